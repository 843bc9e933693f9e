//! `#[nonblocking]` lets through what is not blocking the executor: this
//! file compiles only if none of it is flagged. The rejected calls are in
//! `ui-tests/nonblocking/`.

use std::sync::mpsc;
use std::time::Duration;

use bridge_runtime::{blocking, nonblocking, offload};

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
}

/// What the checker cannot see, by design: it reads syntax, not types. A
/// blocking call behind a wrapper fn, or reached through a variable it
/// cannot trace, compiles. (These would block; that is the documented limit.)
mod cannot_see {
    use std::time::Duration;

    use bridge_runtime::nonblocking;

    fn nap(d: Duration) {
        std::thread::sleep(d);
    }

    #[nonblocking]
    pub async fn through_a_wrapper() -> u8 {
        nap(Duration::from_micros(1));
        1
    }

    #[nonblocking]
    pub async fn through_an_argument(rx: std::sync::mpsc::Receiver<u8>) -> u8 {
        rx.recv().unwrap_or(0)
    }
}

#[tokio::test]
async fn what_it_cannot_see_compiles() {
    assert_eq!(cannot_see::through_a_wrapper().await, 1);
    let (tx, rx) = std::sync::mpsc::channel();
    tx.send(2).ok();
    assert_eq!(cannot_see::through_an_argument(rx).await, 2);
}
