//! `#[blocking]` in the calling contexts real programs use: `LocalSet`s on
//! either runtime flavour, a current-thread runtime that entered another
//! runtime's handle, `Drop` during a runtime's shutdown, `on_thread_start`
//! hooks, and the current-thread trap, which must not wait in silence.
//!
//! Every case runs on a thread with a deadline: a hang fails the test.

mod deadline;
mod runtimes;
mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bridge_runtime::blocking;
use deadline::{deadline, panic_text};
use runtimes::{current_thread, multi_thread};
use tracing_subscriber::layer::SubscriberExt;

/// Needs a timer of the runtime that drives it.
#[blocking]
async fn timed(x: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(1)).await;
    x + 1
}

/// Not `Send`: cannot move to a helper thread.
#[blocking(local)]
async fn timed_local(x: u64) -> u64 {
    let kept = std::rc::Rc::new(x);
    tokio::time::sleep(Duration::from_millis(1)).await;
    *kept + 1
}

#[test]
fn in_a_spawn_local_task_of_a_local_set_on_a_multi_thread_runtime() {
    let got = deadline("LocalSet::block_on(mt) + spawn_local", || {
        let runtime = multi_thread(2);
        let local = tokio::task::LocalSet::new();
        local.block_on(&runtime, async {
            tokio::task::spawn_local(async { timed(1) })
                .await
                .expect("no panic")
        })
    });
    assert_eq!(got, 2);
}

#[test]
fn in_run_until_of_a_local_set_on_a_multi_thread_runtime() {
    let got = deadline("mt.block_on(LocalSet::run_until)", || {
        let runtime = multi_thread(2);
        let local = tokio::task::LocalSet::new();
        runtime.block_on(local.run_until(async { timed(2) }))
    });
    assert_eq!(got, 3);
}

#[test]
fn in_a_local_set_on_a_current_thread_runtime() {
    let got = deadline("LocalSet on current-thread", || {
        let runtime = current_thread();
        let local = tokio::task::LocalSet::new();
        local.block_on(&runtime, async {
            tokio::task::spawn_local(async { timed(3) })
                .await
                .expect("no panic")
        })
    });
    assert_eq!(got, 4);
}

#[test]
fn in_a_current_thread_runtime_that_entered_a_multi_thread_handle() {
    let got = deadline("current-thread + entered mt handle", || {
        let other = multi_thread(1);
        let runtime = current_thread();
        runtime.block_on(async {
            let _entered = other.handle().enter();
            timed(4)
        })
    });
    assert_eq!(got, 5);
}

#[test]
fn on_a_thread_that_entered_a_multi_thread_handle() {
    let got = deadline("plain thread + entered mt handle", || {
        let runtime = multi_thread(1);
        let _entered = runtime.handle().enter();
        timed(5)
    });
    assert_eq!(got, 6);
}

#[test]
fn local_in_a_local_set_on_a_multi_thread_runtime_panics_with_bridges_message() {
    let message = deadline("local in LocalSet", || {
        let runtime = multi_thread(2);
        let local = tokio::task::LocalSet::new();
        let payload = local
            .block_on(&runtime, async {
                tokio::task::spawn_local(async { timed_local(1) }).await
            })
            .expect_err("a local future cannot run there");
        panic_text(payload.into_panic())
    });
    assert!(message.contains("timed_local"), "{message}");
    assert!(!message.contains("can call blocking only"), "{message}");
}

#[test]
fn local_in_a_current_thread_runtime_that_entered_a_multi_thread_handle_panics_with_bridges_message()
 {
    let message = deadline("local + entered mt handle", || {
        let other = multi_thread(1);
        let runtime = current_thread();
        let outcome = runtime.block_on(async {
            let _entered = other.handle().enter();
            catch_unwind(AssertUnwindSafe(|| timed_local(1)))
        });
        panic_text(outcome.expect_err("cannot run there"))
    });
    assert!(message.contains("timed_local"), "{message}");
    assert!(!message.contains("can call blocking only"), "{message}");
}

#[test]
fn local_on_a_worker_of_a_multi_thread_runtime_runs() {
    let got = deadline("local on a worker", || {
        let runtime = multi_thread(2);
        runtime
            .block_on(async { tokio::spawn(async { timed_local(7) }).await })
            .expect("no panic")
    });
    assert_eq!(got, 8);
}

/// Calls a `#[blocking]` fn with a timer when dropped.
struct FlushOnDrop(mpsc::Sender<u64>);

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(timed(10));
    }
}

#[test]
fn in_a_drop_that_runs_while_a_multi_thread_runtime_shuts_down() {
    let flushed = deadline("Drop during shutdown", || {
        let runtime = multi_thread(2);
        let (tx, rx) = mpsc::channel();
        runtime.spawn(async move {
            let _flush = FlushOnDrop(tx);
            std::future::pending::<()>().await;
        });
        // Let the task start, so it is dropped by the shutdown.
        std::thread::sleep(Duration::from_millis(20));
        drop(runtime);
        rx.recv_timeout(Duration::from_secs(1))
    });
    assert_eq!(flushed, Ok(11));
}

#[test]
fn in_a_drop_that_runs_while_a_current_thread_runtime_shuts_down() {
    let flushed = deadline("Drop during current-thread shutdown", || {
        let runtime = current_thread();
        let (tx, rx) = mpsc::channel();
        runtime.spawn(async move {
            let _flush = FlushOnDrop(tx);
            std::future::pending::<()>().await;
        });
        runtime.block_on(tokio::task::yield_now());
        drop(runtime);
        rx.recv_timeout(Duration::from_secs(1))
    });
    assert_eq!(flushed, Ok(11));
}

#[test]
fn in_the_on_thread_start_hook_of_a_multi_thread_runtime() {
    let started = deadline("on_thread_start", || {
        let (tx, rx) = mpsc::channel();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .on_thread_start(move || {
                let _ = tx.send(timed(20));
            })
            .build()
            .expect("runtime");
        let answer = runtime.block_on(async { tokio::spawn(async { 42 }).await });
        (
            rx.recv_timeout(Duration::from_secs(2)),
            answer.expect("ran"),
        )
    });
    assert_eq!(started, (Ok(21), 42));
}

/// A server on the test's own current-thread runtime, and a `#[blocking]`
/// client of it called on that runtime: the call can never finish. It must
/// say so, then the test unblocks it by answering from outside.
#[test]
fn the_current_thread_trap_is_reported_after_a_second() {
    let recorder = support::Recorder::default();
    let (events, waited) = deadline("current-thread trap", move || {
        let runtime = current_thread();
        let (answer_tx, answer_rx) = tokio::sync::oneshot::channel::<u64>();
        let (served_tx, served_rx) =
            tokio::sync::oneshot::channel::<tokio::sync::oneshot::Sender<u64>>();
        let started = Instant::now();
        let waited = tracing::subscriber::with_default(
            tracing_subscriber::registry().with(recorder.clone()),
            || {
                runtime.block_on(async move {
                    // The "server": would answer, but never runs while its
                    // runtime's only thread waits in `ask`.
                    tokio::spawn(async move {
                        if let Ok(reply) = served_rx.await {
                            let _ = reply.send(1);
                        }
                    });
                    // Unblocks the call from outside after 1.6 s, so the test
                    // ends; the warning must have come before.
                    std::thread::spawn(move || {
                        std::thread::sleep(Duration::from_millis(1_600));
                        let _ = answer_tx.send(7);
                    });
                    drop(served_tx);
                    ask(answer_rx)
                })
            },
        );
        assert_eq!(waited, 7);
        (recorder.events(), started.elapsed())
    });
    let warned: Vec<_> = events
        .iter()
        .filter(|e| e.level == tracing::Level::WARN)
        .collect();
    assert_eq!(warned.len(), 1, "{events:?}");
    let text = &warned[0].message;
    assert!(text.contains("ask"), "names the fn: {text}");
    assert!(text.contains(".await"), "names the way out: {text}");
    assert!(waited >= Duration::from_millis(1_500), "{waited:?}");
}

#[blocking]
async fn ask(answer: tokio::sync::oneshot::Receiver<u64>) -> u64 {
    answer.await.unwrap_or(0)
}

#[test]
fn a_helper_thread_call_that_finishes_quickly_warns_nothing() {
    let recorder = support::Recorder::default();
    let events = deadline("quick helper call", move || {
        let runtime = current_thread();
        tracing::subscriber::with_default(
            tracing_subscriber::registry().with(recorder.clone()),
            || {
                runtime.block_on(async { assert_eq!(timed(1), 2) });
            },
        );
        recorder.events()
    });
    assert!(events.is_empty(), "{events:?}");
}
