//! `#[blocking]` on threads that are both rayon workers and inside a tokio
//! runtime: a parallel iterator whose items each drive a runtime, and
//! calls nested on bridge's own helper threads (which are a rayon pool).
//!
//! A rayon worker that waits may run other jobs of its pool meanwhile; run
//! inside a runtime, a job that starts a runtime of its own panics with
//! tokio's "Cannot start a runtime from within a runtime". A deadlock here
//! would poison rayon's global pool, so these cases have a test binary of
//! their own, and each runs under a deadline.

mod deadline;
mod runtimes;
mod support;

use std::time::{Duration, Instant};

use bridge_runtime::blocking;
use deadline::deadline;
use rayon::prelude::*;
use runtimes::{current_thread, multi_thread};
use tracing_subscriber::layer::SubscriberExt;

#[blocking]
async fn nap(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[blocking]
async fn doubled_after_a_nap(x: u64) -> u64 {
    // A `#[blocking]` call inside another one's body.
    let napped = nap_from_sync_code(1);
    tokio::time::sleep(Duration::from_millis(1)).await;
    x * 2 + napped - 1
}

/// A sync helper, as the nested call would be in real code.
fn nap_from_sync_code(ms: u64) -> u64 {
    nap(ms)
}

#[test]
fn nested_calls_from_several_current_thread_runtimes_at_once() {
    // Each outer call runs on a helper thread; the nested one on the same
    // helper, while other callers' calls wait for a helper of their own.
    let outcomes = deadline("nested calls from 4 current-thread runtimes", || {
        let callers: Vec<_> = (0..4u64)
            .map(|caller| {
                std::thread::spawn(move || {
                    (0..25u64)
                        .map(|round| {
                            let x = caller * 100 + round;
                            let got = current_thread().block_on(async { doubled_after_a_nap(x) });
                            (x, got)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        callers
            .into_iter()
            .map(|caller| caller.join().map_err(deadline::panic_text))
            .collect::<Vec<_>>()
    });
    for outcome in outcomes {
        for (x, got) in outcome.expect("no call panics") {
            assert_eq!(got, x * 2);
        }
    }
}

#[test]
fn a_parallel_iterator_whose_items_each_drive_a_current_thread_runtime() {
    let sum = deadline("par_iter items on current-thread runtimes", || {
        (0..8u64)
            .into_par_iter()
            .map(|_| current_thread().block_on(async { nap(5) }))
            .sum::<u64>()
    });
    assert_eq!(sum, 40);
}

#[test]
fn a_parallel_iterator_whose_items_each_drive_a_multi_thread_runtime() {
    let runtime = multi_thread(1);
    let handle = runtime.handle().clone();
    let sum = deadline(
        "par_iter items in a multi-thread runtime's block_on",
        move || {
            (0..8u64)
                .into_par_iter()
                .map(|_| handle.block_on(async { nap(5) }))
                .sum::<u64>()
        },
    );
    assert_eq!(sum, 40);
    drop(runtime);
}

/// A server on a current-thread runtime driven by a rayon worker, and a
/// `#[blocking]` client of it called on that runtime: the call can never
/// finish, and must say so, as on any other thread.
#[test]
fn the_current_thread_trap_on_a_rayon_worker_is_reported() {
    let recorder = support::Recorder::default();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a pool");
    let subscriber = tracing_subscriber::registry().with(recorder.clone());
    let (waited, took) = deadline("current-thread trap on a rayon worker", move || {
        pool.install(move || {
            tracing::subscriber::with_default(subscriber, || {
                let started = Instant::now();
                let waited = current_thread().block_on(async {
                    let (answer_tx, answer_rx) = tokio::sync::oneshot::channel::<u64>();
                    // The "server" would answer, but never runs while its
                    // runtime's only thread waits in `ask`.
                    let (served_tx, served_rx) = tokio::sync::oneshot::channel::<()>();
                    tokio::spawn(async move {
                        let _ = served_rx.await;
                    });
                    // Unblocks the call from outside after 1.6 s, so the
                    // test ends; the warning must have come before.
                    std::thread::spawn(move || {
                        std::thread::sleep(Duration::from_millis(1_600));
                        let _ = answer_tx.send(7);
                    });
                    drop(served_tx);
                    ask(answer_rx)
                });
                (waited, started.elapsed())
            })
        })
    });
    assert_eq!(waited, 7);
    assert!(took >= Duration::from_millis(1_500), "{took:?}");
    let events = recorder.events();
    let warned: Vec<_> = events
        .iter()
        .filter(|e| e.level == tracing::Level::WARN)
        .collect();
    assert_eq!(warned.len(), 1, "{events:?}");
    assert!(warned[0].message.contains("ask"), "{}", warned[0].message);
}

#[blocking]
async fn ask(answer: tokio::sync::oneshot::Receiver<u64>) -> u64 {
    answer.await.unwrap_or(0)
}
