//! The plain-function API, each item used as a user would.

mod deadline;

use std::collections::HashSet;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use bridge_runtime::{CpuPool, DEFAULT_BUFFER, IoPool};
use futures::StreamExt;

#[test]
fn block_on_local_runs_a_future_that_is_not_send() {
    let kept = Rc::new(20);
    let got = bridge_runtime::block_on_local(async move {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        *kept + 1
    });
    assert_eq!(got, 21);
}

/// Yields `Rc`s, which are not `Send`.
struct Rcs(u32);

impl futures_core::Stream for Rcs {
    type Item = Rc<u32>;
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Rc<u32>>> {
        let n = self.0;
        self.0 = n.saturating_sub(1);
        Poll::Ready((n > 0).then(|| Rc::new(n)))
    }
}

#[test]
fn block_on_stream_local_iterates_a_stream_that_is_not_send() {
    let items: Vec<u32> = bridge_runtime::block_on_stream_local(Rcs(3))
        .map(|n| *n)
        .collect();
    assert_eq!(items, [3, 2, 1]);
}

#[tokio::test]
async fn block_on_stream_local_panics_per_item_on_a_current_thread_runtime() {
    let mut items = bridge_runtime::block_on_stream_local(Rcs(1));
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| items.next()))
        .expect_err("cannot run here");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("Rcs"), "names the stream: {message}");
    assert!(message.contains(".await"), "names the way out: {message}");
}

#[tokio::test]
async fn block_on_stream_on_a_current_thread_runtime_reuses_helper_threads() {
    let threads: HashSet<_> = bridge_runtime::block_on_stream(
        futures::stream::iter(0..200).then(|_| async { std::thread::current().id() }),
    )
    .collect();
    // 200 items, but only the few reused helper threads ran them.
    assert!(
        threads.len() <= bridge_runtime::HELPER_THREADS,
        "{} threads",
        threads.len()
    );
    assert!(!threads.contains(&std::thread::current().id()));
}

static FILES: IoPool = IoPool::new("files", 2);
static CRUNCH: CpuPool = CpuPool::new("crunch", 2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_pools_run_calls_and_iterators() {
    assert_eq!(FILES.run(|| 6 * 7).await, 42);
    assert_eq!(CRUNCH.run(|| 6 * 8).await, 48);
    let lines: Vec<u32> = FILES.run_iter(|| 1..=3).collect().await;
    assert_eq!(lines, [1, 2, 3]);
    let squares: Vec<u32> = CRUNCH.run_iter(|| (1..=3).map(|n| n * n)).collect().await;
    assert_eq!(squares, [1, 4, 9]);
    assert!(FILES.stats().completed >= 2);
    assert!(CRUNCH.stats().completed >= 2);
    assert_eq!(CRUNCH.threads(), Some(2));
    assert_eq!(FILES.size(), Some(2));
}

/// How far ahead of the consumer the producer got: the most items sent
/// before the consumer took its first.
fn lead_with(buffer: Option<usize>) -> usize {
    let (sent_tx, sent_rx) = std::sync::mpsc::channel();
    let stream = bridge_runtime::offload_iter(move || {
        (0..10_000u32).inspect(move |n| {
            let _ = sent_tx.send(*n);
        })
    });
    let stream = match buffer {
        Some(size) => stream.buffer(size),
        None => stream,
    };
    deadline::deadline("lead", move || {
        futures::executor::block_on(async move {
            let mut stream = std::pin::pin!(stream);
            assert_eq!(stream.next().await, Some(0));
            // Give the producer all the time it wants to run ahead.
            std::thread::sleep(std::time::Duration::from_millis(100));
            sent_rx.try_iter().count()
        })
    })
}

#[test]
fn the_buffer_bounds_how_far_the_producer_runs_ahead() {
    // The items in the buffer, the one the consumer took, and one waiting
    // for room.
    let default = lead_with(None);
    assert!(
        (DEFAULT_BUFFER..=DEFAULT_BUFFER + 2).contains(&default),
        "{default}"
    );
    let four = lead_with(Some(4));
    assert!((4..=6).contains(&four), "{four}");
    // A buffer of 0 is a buffer of 1.
    let zero = lead_with(Some(0));
    assert!((1..=3).contains(&zero), "{zero}");
}
