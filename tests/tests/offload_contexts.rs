//! Where offloaded bodies run, with and without a tokio runtime, and how
//! their panics come back.

mod deadline;
mod runtimes;

use std::panic::{AssertUnwindSafe, catch_unwind, panic_any};
use std::thread;

use bridge_runtime::offload;
use deadline::deadline;
use runtimes::{current_thread, multi_thread};

fn thread_name() -> String {
    thread::current().name().unwrap_or("<unnamed>").to_owned()
}

#[offload(io)]
fn io_where() -> (thread::ThreadId, String) {
    (thread::current().id(), thread_name())
}

#[offload(cpu)]
fn cpu_where() -> (thread::ThreadId, Option<usize>) {
    (thread::current().id(), rayon::current_thread_index())
}

#[offload(io)]
fn io_panics(message: String) -> u32 {
    panic!("{message}")
}

#[derive(Debug, PartialEq)]
struct CustomPayload(u32);

#[offload(cpu)]
fn cpu_panics_with(code: u32) -> u32 {
    panic_any(CustomPayload(code))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn io_runs_on_the_current_runtimes_blocking_pool() {
    let caller = thread::current().id();
    let (ran_on, name) = io_where().await;
    assert_ne!(ran_on, caller);
    // Not bridge's shared runtime: the shared runtime's threads are named
    // `bridge-shared-N`.
    assert!(!name.starts_with("bridge-shared-"), "ran on {name}");
    // A blocking thread, not a worker: a worker is inside the runtime, where
    // tokio's own `Handle::block_on` panics; on a blocking thread it works.
    let on_blocking_thread = bridge_runtime::io(|| {
        let handle = tokio::runtime::Handle::current();
        catch_unwind(AssertUnwindSafe(|| handle.block_on(async { 1 }))).is_ok()
    })
    .await;
    assert!(on_blocking_thread);
}

#[test]
fn io_with_a_custom_runtime_uses_that_runtimes_threads() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .thread_name("custom-rt")
        .build()
        .expect("runtime");
    let (_, name) = runtime.block_on(io_where());
    assert_eq!(name, "custom-rt");
}

#[test]
fn io_without_tokio_falls_back_to_the_shared_runtime() {
    assert!(tokio::runtime::Handle::try_current().is_err());
    let (ran_on, name) = futures::executor::block_on(io_where());
    assert_ne!(ran_on, thread::current().id());
    assert!(name.starts_with("bridge-shared-"), "ran on {name}");
}

#[test]
fn cpu_runs_on_rayon_without_tokio() {
    let (ran_on, index) = futures::executor::block_on(cpu_where());
    assert_ne!(ran_on, thread::current().id());
    assert!(index.is_some(), "not a rayon worker");
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
}

#[tokio::test]
async fn io_panic_resumes_in_the_awaiting_task_with_its_payload() {
    let error = tokio::spawn(io_panics("disk on fire".into()))
        .await
        .expect_err("the task should have panicked");
    let payload = error.into_panic();
    assert_eq!(panic_message(&*payload), Some("disk on fire"));
}

#[test]
fn cpu_panic_resumes_with_its_payload_and_rayon_survives() {
    for code in [1, 2, 3] {
        let caught = catch_unwind(AssertUnwindSafe(|| {
            futures::executor::block_on(cpu_panics_with(code))
        }));
        let payload = caught.expect_err("the call should have panicked");
        assert_eq!(
            payload.downcast_ref::<CustomPayload>(),
            Some(&CustomPayload(code))
        );
    }
    // The process is alive and rayon's pool still works.
    let (_, index) = futures::executor::block_on(cpu_where());
    assert!(index.is_some());
    assert!(bridge_runtime::CpuPool::global().stats().panicked >= 3);
}

#[test]
fn plain_api_matches_the_macros() {
    use bridge_runtime::{CpuPool, IoPool};
    // The plain calls run where the macros' do, and are counted in the
    // same default pools.
    let io_before = IoPool::global().stats().completed;
    let cpu_before = CpuPool::global().stats().completed;
    let (_, by_macro) = futures::executor::block_on(io_where());
    let by_hand = futures::executor::block_on(bridge_runtime::io(thread_name));
    let prefix = |name: &str| {
        name.trim_end_matches(|c: char| c.is_ascii_digit())
            .to_owned()
    };
    assert_eq!(prefix(&by_macro), prefix(&by_hand));
    assert!(by_hand.starts_with("bridge-shared-"), "ran on {by_hand}");
    let (_, macro_index) = futures::executor::block_on(cpu_where());
    let hand_index = futures::executor::block_on(bridge_runtime::cpu(rayon::current_thread_index));
    assert!(macro_index.is_some() && hand_index.is_some());
    assert!(IoPool::global().stats().completed >= io_before + 2);
    assert!(CpuPool::global().stats().completed >= cpu_before + 2);
}

/// Short and long calls on each kind of pool, one at a time and many at
/// once: a `cpu` call looks again for its result before it registers, which
/// each executor schedules its own way.
async fn calls_of_every_kind() -> u64 {
    static SIZED: bridge_runtime::IoPool = bridge_runtime::IoPool::new("sized", 2);
    let nap = || thread::sleep(std::time::Duration::from_millis(2));
    let mut sum = 0;
    for i in 0..20u64 {
        sum += bridge_runtime::cpu(move || i).await;
        sum += bridge_runtime::cpu(move || {
            nap();
            i
        })
        .await;
        sum += bridge_runtime::io(move || i).await;
        sum += SIZED.run(move || i).await;
    }
    let many = (0..500u64).map(|i| bridge_runtime::cpu(move || i));
    sum + futures::future::join_all(many).await.iter().sum::<u64>()
}

/// What [`calls_of_every_kind`] returns.
const EVERY_KIND: u64 = 4 * (19 * 20 / 2) + 499 * 500 / 2;

/// Runs `calls` on a thread of its own under a deadline, and checks what
/// they add up to.
fn within_deadline(what: &str, calls: impl FnOnce() -> u64 + Send + 'static) {
    assert_eq!(deadline(what, calls), EVERY_KIND, "{what}");
}

#[test]
fn calls_finish_in_every_executor() {
    within_deadline("multi-thread block_on", || {
        multi_thread(2).block_on(calls_of_every_kind())
    });
    within_deadline("multi-thread task", || {
        let rt = multi_thread(2);
        rt.block_on(rt.spawn(calls_of_every_kind())).expect("task")
    });
    within_deadline("current-thread block_on", || {
        current_thread().block_on(calls_of_every_kind())
    });
    within_deadline("current-thread task", || {
        let rt = current_thread();
        rt.block_on(rt.spawn(calls_of_every_kind())).expect("task")
    });
    within_deadline("LocalSet on a current-thread runtime", || {
        let local = tokio::task::LocalSet::new();
        local.block_on(&current_thread(), async {
            tokio::task::spawn_local(calls_of_every_kind())
                .await
                .expect("task")
        })
    });
    within_deadline("LocalSet on a multi-thread runtime", || {
        let local = tokio::task::LocalSet::new();
        local.block_on(&multi_thread(2), calls_of_every_kind())
    });
    within_deadline("futures::executor::block_on", || {
        futures::executor::block_on(calls_of_every_kind())
    });
    // Blocking inside async code (what `#[nonblocking]` reports), yet it
    // must not hang: the tokio scheduler under it never runs until the
    // calls are back.
    within_deadline("futures::executor::block_on in a multi-thread task", || {
        let rt = multi_thread(2);
        rt.block_on(rt.spawn(async { futures::executor::block_on(calls_of_every_kind()) }))
            .expect("task")
    });
    within_deadline(
        "futures::executor::block_on in a current-thread task",
        || {
            let rt = current_thread();
            rt.block_on(rt.spawn(async { futures::executor::block_on(calls_of_every_kind()) }))
                .expect("task")
        },
    );
    within_deadline(
        "futures::executor::block_on in current-thread block_on",
        || current_thread().block_on(async { futures::executor::block_on(calls_of_every_kind()) }),
    );
    within_deadline("Handle::block_on in block_in_place on a worker", || {
        let rt = multi_thread(2);
        rt.block_on(rt.spawn(async {
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(calls_of_every_kind())
            })
        }))
        .expect("task")
    });
    within_deadline("Handle::block_on on a spawn_blocking thread", || {
        let rt = multi_thread(2);
        rt.block_on(
            rt.spawn_blocking(|| tokio::runtime::Handle::current().block_on(calls_of_every_kind())),
        )
        .expect("task")
    });
}
