//! `#[nonblocking]` and `nonblocking_crate!` let through what is not
//! blocking the executor: this file compiles only if none of it is flagged.
//! The rejected calls are in `ui-tests/nonblocking/`.

use std::sync::mpsc;
use std::time::Duration;

use bridge_runtime::{blocking, nonblocking, offload};

#[path = "nonblocking/allow_forms.rs"]
mod allow_forms;
#[path = "nonblocking/channels.rs"]
mod channels;
#[path = "nonblocking/formatting.rs"]
mod formatting;
#[path = "nonblocking/handed_on.rs"]
mod handed_on;
#[path = "nonblocking/locks.rs"]
mod locks;
#[path = "nonblocking/own_names.rs"]
mod own_names;
#[path = "nonblocking/readers.rs"]
mod readers;
#[path = "nonblocking/tokio_imports.rs"]
mod tokio_imports;

// The whole of this package's `src/`, and a small service written with
// idiomatic tokio, are clean.
bridge_runtime::nonblocking_crate!();
bridge_runtime::nonblocking_crate!("../fixtures/nonblocking/clean");

#[nonblocking]
async fn tokio_apis_and_offloaded_closures(dir: std::path::PathBuf) -> std::io::Result<usize> {
    // Awaited calls are async, whatever their name.
    tokio::time::sleep(Duration::from_millis(1)).await;
    let text = tokio::fs::read_to_string(dir.join("Cargo.toml")).await?;
    // Closures handed to another thread may block: that is the point.
    let len =
        bridge_runtime::io(move || std::fs::read(dir.join("Cargo.toml")).map(|b| b.len())).await?;
    let slept = tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(1))).await;
    assert!(slept.is_ok());
    let joined = std::thread::spawn(|| std::thread::sleep(Duration::from_millis(1)));
    drop(joined); // not joined on the executor
    assert_eq!(len, text.len());
    Ok(len)
}

#[nonblocking]
async fn allow_blocking_lets_one_statement_through() -> u32 {
    #[allow_blocking]
    std::thread::sleep(Duration::from_micros(10));
    #[allow_blocking]
    let value = std::fs::metadata("Cargo.toml").map(|m| m.len() > 0);
    assert_eq!(value.ok(), Some(true));
    7
}

#[nonblocking]
async fn a_closure_bound_first_then_handed_to_a_pool(dir: std::path::PathBuf) -> bool {
    let path = dir.join("Cargo.toml");
    let work = move || std::fs::metadata(path).is_ok();
    let found = tokio::task::spawn_blocking(work).await.unwrap_or(false);
    let again = move || std::fs::metadata(dir.join("Cargo.toml")).is_ok();
    // Handed over inside another closure.
    let found_again = tokio::task::spawn_blocking(again).await.unwrap_or(false);
    found && found_again
}

#[nonblocking]
async fn nested_sync_fns_are_not_async_code() -> u64 {
    fn helper() -> u64 {
        std::thread::sleep(Duration::from_micros(10));
        3
    }
    let (tx, rx) = mpsc::channel();
    tx.send(5u64).ok();
    // `try_recv` never blocks.
    rx.try_recv().unwrap_or(0) + helper()
}

struct Service;

#[nonblocking]
impl Service {
    /// Sync methods of a checked impl are not async code.
    fn warm_up(&self) {
        std::thread::sleep(Duration::from_micros(10));
    }

    async fn handle(&self) -> u32 {
        self.warm_up_done().await
    }

    async fn warm_up_done(&self) -> u32 {
        tokio::task::yield_now().await;
        1
    }

    #[offload(io)]
    fn offloaded(self) -> u32 {
        std::thread::sleep(Duration::from_micros(10));
        2
    }

    #[blocking]
    async fn blocking_version(&self) -> u32 {
        tokio::time::sleep(Duration::from_millis(1)).await;
        3
    }
}

#[nonblocking]
mod checked {
    use std::time::Duration;

    pub async fn in_a_module() -> u8 {
        tokio::time::sleep(Duration::from_millis(1)).await;
        4
    }

    pub fn sync_in_a_module() -> u8 {
        std::thread::sleep(Duration::from_micros(1));
        5
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checked_code_compiles_and_runs() {
    let len = tokio_apis_and_offloaded_closures(".".into())
        .await
        .expect("read");
    assert!(len > 0);
    assert_eq!(allow_blocking_lets_one_statement_through().await, 7);
    assert_eq!(nested_sync_fns_are_not_async_code().await, 8);
    Service.warm_up();
    assert_eq!(Service.handle().await, 1);
    assert_eq!(Service.offloaded().await, 2);
    let from_worker = tokio::spawn(async { Service.blocking_version() })
        .await
        .expect("ran");
    assert_eq!(from_worker, 3);
    assert_eq!(checked::in_a_module().await, 4);
    assert_eq!(checked::sync_in_a_module(), 5);
    assert!(a_closure_bound_first_then_handed_to_a_pool(".".into()).await);
}

#[tokio::test]
async fn tokio_futures_handed_on_compile_and_run() {
    let text = tokio_imports::read_with_timeout("Cargo.toml")
        .await
        .expect("read");
    assert!(text.contains("bridge-tests"));
    assert_eq!(tokio_imports::receive_with_timeout().await, Some(7));
    assert!(tokio_imports::spawned_read("Cargo.toml".into()).await > 0);
    let both = tokio_imports::joined_reads(vec!["Cargo.toml".into(), "Cargo.toml".into()]).await;
    assert_eq!(both, 2 * text.len());
    assert!(tokio_imports::metadata_future("Cargo.toml").await);
    assert_eq!(
        tokio_imports::glob_in_the_body::len("Cargo.toml").await,
        tokio_imports::glob_in_the_body::len_now("Cargo.toml")
    );
    let len = tokio::task::spawn_blocking(|| tokio_imports::read_len_blocking("Cargo.toml".into()))
        .await
        .expect("ran");
    assert_eq!(len, text.len());
}

#[tokio::test]
async fn closures_handed_to_helpers_compile_and_run() {
    let len = std::fs::read("Cargo.toml").expect("readable").len();
    assert_eq!(handed_on::joined("Cargo.toml").await, 2 * len);
    assert_eq!(handed_on::under_a_timeout("Cargo.toml").await, len);
    assert_eq!(handed_on::awaited_later("Cargo.toml").await, len);
    assert_eq!(
        handed_on::through_a_renamed_spawn_blocking("Cargo.toml").await,
        len
    );
    assert_eq!(handed_on::block_wrapped("Cargo.toml".into()).await, 2 * len);
    assert_eq!(handed_on::bound_then_given("Cargo.toml").await, 3 * len);
    assert_eq!(
        handed_on::closures_made_by_a_closure(vec!["Cargo.toml", "Cargo.toml"]).await,
        2 * len
    );
}

#[tokio::test]
async fn a_lock_around_a_file_compiles_and_runs() {
    let file = std::fs::File::open("Cargo.toml").expect("readable");
    let log = locks::Log::new(file);
    assert!(log.is_free().await);
    assert!(log.can_write().await);
}

#[tokio::test]
async fn formatting_into_memory_and_tokio_compiles_and_runs() {
    let (text, buf) = formatting::into_memory(formatting::Celsius(20)).await;
    assert_eq!(text, "20 °C\n20 °C");
    assert_eq!(buf, b"20");
    let mut out = Vec::new();
    assert!(formatting::into_a_generic(&mut out, &formatting::Celsius(-3)).await);
    assert_eq!(out, "-3 °C\n".as_bytes());
    let dir = tempfile::tempdir().expect("a temporary folder");
    let written = formatting::through_tokio(dir.path().join("t.txt")).await;
    assert_eq!(written.ok(), Some("21 °C\n".len() as u64));
    let file = std::fs::File::open("Cargo.toml").expect("readable");
    assert!(formatting::own_macro::counted(file).await);
}

#[tokio::test]
async fn loops_that_do_not_wait_on_std_channels_compile_and_run() {
    assert_eq!(channels::summed(vec![1, 2]).await, 21);
    assert_eq!(channels::through_tokio().await, 6);
    let tasks = vec![tokio::spawn(async { 1 }), tokio::spawn(async { 2 })];
    let threads = vec![std::thread::spawn(|| 10), std::thread::spawn(|| 20)];
    let words = vec![vec!["a", "b"], vec!["c"]];
    let (total, joined, text) = channels::handles(tasks, threads, words).await;
    assert_eq!((total, joined, text.as_str()), (3, 30, "a bc"));
}

#[tokio::test]
async fn reads_of_memory_and_tokio_compile_and_run() {
    let (text, copied) = readers::in_memory(b"abc").await.expect("in memory");
    assert_eq!((text.as_str(), copied.as_slice()), ("abc", &b"abc"[..]));
    assert_eq!(readers::from_a_generic(&b"abcd"[..]).await, 4);
    let copied = readers::through_tokio(b"xy").await.expect("in memory");
    assert_eq!(copied, b"xy");
    let read = readers::by_trait_path(b"pqr").await.expect("in memory");
    assert_eq!(read, b"pqr");
    assert!(readers::tokio_command_by_path().await);
}

#[tokio::test]
async fn own_items_named_like_std_compile_and_run() {
    assert_eq!(own_names::uses_own_names().await, 5);
    assert_eq!(own_names::service::cached("abc").await, 3);
    assert!(own_names::books(own_names::Planner).await);
    let slots = own_names::Slots;
    assert_eq!(own_names::books_through_a_trait(&slots, &slots).await, 12);
    assert_eq!(own_names::lays_out().await, 6);
    assert_eq!(own_names::awaits_its_own_block_on().await, 5);
    assert_eq!(own_names::made_by_macros::paced().await, 4);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bound");
    let addr = listener.local_addr().expect("bound");
    assert!(own_names::made_by_macros::connects(addr).await);
    let peers = own_names::peers::Peers { addrs: vec![addr] };
    assert_eq!(own_names::peers::count(&peers).await, 1);
    assert_eq!(own_names::peers::lookup("127.0.0.1"), 1);
    use own_names::type_state::{Awaits, Client, Waits};
    assert_eq!(Client(Awaits).both().await, 4);
    assert_eq!(
        tokio::task::spawn_blocking(|| Client(Waits).get())
            .await
            .expect("ran"),
        1
    );
}

#[tokio::test]
async fn allow_blocking_forms_compile_and_run() {
    let len = allow_forms::on_statements("Cargo.toml").await;
    assert!(len > 0 && len % 2 == 0, "both reads counted: {len}");
    assert_eq!(allow_forms::on_match_arms(false).await, 2);
    assert!(allow_forms::around_one_expression("Cargo.toml").await);
    let warm = allow_forms::service::Warm;
    assert_eq!(allow_forms::service::start_up().await, 1);
    assert_eq!(
        warm.load().await + warm.reload().await + warm.quick().await,
        9
    );
    assert_eq!(allow_forms::plain_fn().await, 5);
    assert_eq!(allow_forms::Plain.method().await, 6);
    let sync = tokio::task::spawn_blocking(|| {
        allow_forms::service::sync_start_up()
            + allow_forms::plain_blocking_first()
            + allow_forms::plain_blocking_second()
    });
    assert_eq!(sync.await.expect("ran"), 24);
}

/// Test-only code (`#[cfg(test)]`) inside a checked module is not checked,
/// as `nonblocking_crate!` leaves it alone; its markers are still removed.
#[nonblocking]
mod test_only_code {
    use std::time::Duration;

    #[cfg(test)]
    pub async fn only_in_tests() -> u8 {
        std::thread::sleep(Duration::from_micros(1));
        #[allow_blocking]
        std::thread::sleep(Duration::from_micros(1));
        1
    }

    pub async fn with_test_statements() -> u8 {
        #[cfg(test)]
        std::thread::sleep(Duration::from_micros(1));
        #[cfg(test)]
        let read = std::fs::read("Cargo.toml").map_or(0, |b| b.len());
        u8::from(read > 0) + 1
    }

    #[cfg(test)]
    pub mod tests {
        pub async fn reads() -> bool {
            std::fs::read("Cargo.toml").is_ok()
        }
    }
}

#[tokio::test]
async fn test_only_code_is_not_checked() {
    assert_eq!(test_only_code::only_in_tests().await, 1);
    assert_eq!(test_only_code::with_test_statements().await, 2);
    assert!(test_only_code::tests::reads().await);
}

/// What the checker cannot see, by design: it reads syntax, not types. A
/// blocking call behind a sync wrapper fn, a value whose kind no `let`,
/// parameter, field or static shows, a path whose meaning is out of view:
/// all compile. (These would block; that is the documented limit.)
mod cannot_see {
    use std::sync::mpsc::Receiver;
    use std::time::Duration;

    use bridge_runtime::nonblocking;

    fn nap(d: Duration) {
        std::thread::sleep(d);
    }

    fn make_receiver() -> Receiver<u8> {
        let (tx, rx) = std::sync::mpsc::channel();
        tx.send(2).ok();
        rx
    }

    #[nonblocking]
    pub async fn through_a_wrapper() -> u8 {
        nap(Duration::from_micros(1));
        1
    }

    #[nonblocking]
    pub async fn through_a_returned_value() -> u8 {
        let rx = make_receiver();
        rx.recv().unwrap_or(0)
    }

    #[nonblocking]
    pub async fn through_a_generic<R: std::io::Read>(mut reader: R) -> usize {
        let mut buf = [0u8; 4];
        reader.read(&mut buf).unwrap_or(0)
    }
}

#[tokio::test]
async fn what_it_cannot_see_compiles() {
    assert_eq!(cannot_see::through_a_wrapper().await, 1);
    assert_eq!(cannot_see::through_a_returned_value().await, 2);
    assert_eq!(cannot_see::through_a_generic(&b"abcdef"[..]).await, 4);
}
