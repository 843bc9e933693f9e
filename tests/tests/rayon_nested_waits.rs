//! A parallel iterator whose items each call a `#[blocking]` fn that waits
//! on a timer (a client doing I/O): while an item's call waits, its rayon
//! worker runs other jobs of its pool, which are more items, whose calls
//! wait in turn, each one a level deeper on the worker's stack. Unbounded,
//! a few hundred items overflowed the worker's stack and aborted the
//! process; the nesting is now bounded, and a worker at the bound still
//! runs the `cpu` calls the future it waits for makes.
//!
//! An overflow aborts the whole binary and a deadlock would poison rayon's
//! global pool, so these cases have a test binary of their own, and each
//! runs under a deadline.

mod deadline;
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bridge_runtime::{blocking, offload};
use deadline::deadline_of;
use rayon::prelude::*;
use tracing_subscriber::layer::SubscriberExt;

/// Calls under way at once, and the most seen.
static UNDER_WAY: AtomicUsize = AtomicUsize::new(0);
static MOST: AtomicUsize = AtomicUsize::new(0);

/// Counts a call under way until dropped.
struct UnderWay;

impl UnderWay {
    fn new() -> Self {
        let now = UNDER_WAY.fetch_add(1, Ordering::SeqCst) + 1;
        MOST.fetch_max(now, Ordering::SeqCst);
        UnderWay
    }
}

impl Drop for UnderWay {
    fn drop(&mut self) {
        UNDER_WAY.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A client call: waits on a timer, as on a socket.
#[blocking]
async fn fetch(i: u64) -> u64 {
    let _counted = UnderWay::new();
    tokio::time::sleep(Duration::from_millis(1)).await;
    i
}

#[offload(cpu)]
fn parse(i: u64) -> u64 {
    i * 2
}

/// A client call that waits on a timer, then hands the parsing to rayon.
#[blocking]
async fn fetch_and_parse(i: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(1)).await;
    parse(i).await
}

const ITEMS: u64 = 3_000;

/// The sum of `call` over `ITEMS` items of a parallel iterator on rayon's
/// global pool, or a failure naming `what` if it takes 30 s.
fn summed_over_the_items(what: &str, call: fn(u64) -> u64) -> u64 {
    deadline_of(what, Duration::from_secs(30), move || {
        (0..ITEMS).into_par_iter().map(call).sum()
    })
}

#[test]
fn items_that_wait_do_not_nest_without_bound() {
    let sum = summed_over_the_items("a par_iter of waiting #[blocking] calls", fetch);
    assert_eq!(sum, ITEMS * (ITEMS - 1) / 2);
    // Each worker has at most a bounded number of calls nested on its
    // stack (16), where unbounded nesting had hundreds under way.
    let most = MOST.load(Ordering::SeqCst);
    let workers = rayon::current_num_threads();
    assert!(
        most <= workers * 16,
        "{most} calls under way at once on {workers} workers"
    );
}

#[test]
fn a_worker_at_the_bound_still_runs_the_work_its_call_waits_for() {
    // Every worker reaches the bound (the timers keep each level waiting),
    // and the call at the bound waits for a `cpu` call, which rayon queues
    // on that same worker.
    let sum = summed_over_the_items(
        "a par_iter of #[blocking] calls that wait for cpu calls",
        fetch_and_parse,
    );
    assert_eq!(sum, ITEMS * (ITEMS - 1));
}

/// `levels` calls nested on this thread, the innermost waiting for
/// `answer`.
fn nested(levels: u32, answer: tokio::sync::oneshot::Receiver<u64>) -> u64 {
    if levels == 0 {
        wait_for(answer)
    } else {
        one_level_deeper(levels - 1, answer)
    }
}

#[blocking]
async fn one_level_deeper(levels: u32, answer: tokio::sync::oneshot::Receiver<u64>) -> u64 {
    nested(levels, answer)
}

#[blocking]
async fn wait_for(answer: tokio::sync::oneshot::Receiver<u64>) -> u64 {
    answer.await.unwrap_or(0)
}

#[test]
fn a_long_wait_at_the_bound_says_so() {
    // One worker, 16 calls deep: the innermost runs no other job of its
    // pool while it waits, which could be for good; it says so once it has
    // waited a second.
    let recorder = support::Recorder::default();
    let subscriber = tracing_subscriber::registry().with(recorder.clone());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a pool");
    let answered = deadline_of(
        "16 nested calls on one worker",
        Duration::from_secs(10),
        move || {
            pool.install(move || {
                tracing::subscriber::with_default(subscriber, || {
                    let (answer, answered) = tokio::sync::oneshot::channel();
                    std::thread::spawn(move || {
                        std::thread::sleep(Duration::from_millis(1_500));
                        let _ = answer.send(7);
                    });
                    nested(15, answered)
                })
            })
        },
    );
    assert_eq!(answered, 7);
    let warned: Vec<_> = recorder
        .events()
        .into_iter()
        .filter(|e| e.level == tracing::Level::WARN)
        .collect();
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(
        warned[0].message.contains("wait_for") && warned[0].message.contains("15 calls deep"),
        "{}",
        warned[0].message
    );
}
