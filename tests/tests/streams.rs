//! Iterators built and drained on a pool, consumed as streams: lazy,
//! bounded, stopped by drop, panic-transparent, holding their pool slot.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bridge_runtime::{IoPool, offload};
use futures::StreamExt;

#[offload(io)]
fn numbers(n: u32) -> impl Iterator<Item = u32> {
    0..n
}

#[offload(cpu, buffer = 2, keep = squares_blocking)]
fn squares(limit: u64) -> impl Iterator<Item = u64> {
    (1..=limit).map(|n| n * n)
}

#[offload(io, buffer = 4)]
fn endless(produced: Arc<AtomicUsize>) -> impl Iterator<Item = usize> {
    (0..).inspect(move |_| {
        produced.fetch_add(1, Ordering::SeqCst);
    })
}

#[offload(cpu)]
fn fails_after(good: u32) -> impl Iterator<Item = u32> {
    (0..).map(move |n| {
        if n < good {
            n
        } else {
            panic!("item {n} is bad")
        }
    })
}

fn assert_send_static<T: Send + 'static>(value: T) -> T {
    value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iterator_fns_become_streams() {
    assert_eq!(numbers(4).collect::<Vec<_>>().await, [0, 1, 2, 3]);
    assert_eq!(squares(4).collect::<Vec<_>>().await, [1, 4, 9, 16]);
    assert_eq!(squares_blocking(3).collect::<Vec<_>>(), [1, 4, 9]);
    // Send + 'static: a task can own it.
    let stream = assert_send_static(numbers(3));
    let summed = tokio::spawn(async move { stream.fold(0, |a, b| async move { a + b }).await });
    assert_eq!(summed.await.ok(), Some(3));
}

#[test]
fn streams_need_no_tokio_runtime() {
    let items = futures::executor::block_on(squares(3).collect::<Vec<_>>());
    assert_eq!(items, [1, 4, 9]);
}

#[tokio::test]
async fn nothing_runs_until_first_polled() {
    let made = Arc::new(AtomicUsize::new(0));
    let counter = made.clone();
    let mut stream = bridge_runtime::offload_iter(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        0..2
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(made.load(Ordering::SeqCst), 0);
    assert_eq!(stream.next().await, Some(0));
    assert_eq!(made.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_buffer_pauses_the_producer_and_drop_stops_it() {
    let produced = Arc::new(AtomicUsize::new(0));
    let mut stream = endless(produced.clone());
    for expected in 0..5 {
        assert_eq!(stream.next().await, Some(expected));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // 5 consumed, at most 4 buffered, one in the producer's hand.
    let ahead = produced.load(Ordering::SeqCst);
    assert!(ahead <= 5 + 4 + 1, "the producer ran {ahead} items ahead");

    drop(stream);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let after_drop = produced.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        produced.load(Ordering::SeqCst),
        after_drop,
        "still producing"
    );
    assert!(after_drop <= ahead + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_the_iterator_resumes_in_the_consumer_at_that_point() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    let consumer = tokio::spawn(async move {
        let mut stream = fails_after(3);
        while let Some(item) = stream.next().await {
            sink.lock().expect("lock").push(item);
        }
    });
    let payload = consumer.await.expect_err("panics").into_panic();
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("item 3 is bad")
    );
    assert_eq!(*seen.lock().expect("lock"), [0, 1, 2]);
}

static ONE_SLOT: IoPool = IoPool::new("one-slot", 1);

#[offload(io, pool = ONE_SLOT, buffer = 1)]
fn slotted(tag: u32) -> impl Iterator<Item = u32> {
    std::iter::repeat(tag)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_holds_its_pool_slot_until_it_ends() {
    let mut first = slotted(1);
    assert_eq!(first.next().await, Some(1));
    let mut second = slotted(2);
    // The second producer waits for the slot the first one holds.
    let waited = tokio::time::timeout(Duration::from_millis(100), second.next()).await;
    assert!(
        waited.is_err(),
        "the second stream started while the first held the slot"
    );
    assert_eq!((ONE_SLOT.stats().running, ONE_SLOT.stats().queued), (1, 1));

    drop(first);
    let next = tokio::time::timeout(Duration::from_secs(5), second.next()).await;
    assert_eq!(next.ok().flatten(), Some(2));
}
