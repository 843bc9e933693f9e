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
async fn two_endless_streams_take_turns_on_a_pool_of_one() {
    let mut first = slotted(1);
    let mut second = slotted(2);
    // Each producer leaves the pool's only slot when its buffer is full, so
    // neither starves the other.
    for _ in 0..50 {
        let both = tokio::time::timeout(Duration::from_secs(5), async {
            (first.next().await, second.next().await)
        })
        .await;
        assert_eq!(both.expect("no stream starves"), (Some(1), Some(2)));
        assert!(ONE_SLOT.stats().running <= 1);
    }
}

mod deadline;

static ONE_IO: bridge_runtime::IoPool = bridge_runtime::IoPool::new("one-io", 1);
static ONE_CPU: bridge_runtime::CpuPool = bridge_runtime::CpuPool::new("one-cpu", 1);

#[test]
fn a_consumer_may_use_the_io_pool_of_one_its_producer_runs_on() {
    let sum = deadline::deadline("IoPool of 1, buffer 1", || {
        futures::executor::block_on(async {
            let mut items = std::pin::pin!(ONE_IO.run_iter(|| 0..100u64).buffer(1));
            let mut sum = 0;
            while let Some(n) = futures::StreamExt::next(&mut items).await {
                sum += ONE_IO.run(move || n * 2).await;
                let stats = ONE_IO.stats();
                assert!(stats.running <= 1, "{stats:?}");
            }
            sum
        })
    });
    assert_eq!(sum, 9_900);
}

#[test]
fn a_consumer_may_use_the_cpu_pool_of_one_its_producer_runs_on() {
    let sum = deadline::deadline("CpuPool of 1, buffer 1", || {
        futures::executor::block_on(async {
            let mut items = std::pin::pin!(ONE_CPU.run_iter(|| 0..100u64).buffer(1));
            let mut sum = 0;
            while let Some(n) = futures::StreamExt::next(&mut items).await {
                sum += ONE_CPU.run(move || n * 2).await;
            }
            sum
        })
    });
    assert_eq!(sum, 9_900);
    let stats = ONE_CPU.stats();
    assert_eq!((stats.running, stats.queued), (0, 0), "{stats:?}");
}

#[test]
fn a_producer_with_a_full_buffer_holds_no_slot() {
    static SLOT: bridge_runtime::IoPool = bridge_runtime::IoPool::new("slot", 1);
    let (first, stats) = deadline::deadline("full buffer", || {
        futures::executor::block_on(async {
            let mut items = std::pin::pin!(SLOT.run_iter(|| 0..u64::MAX).buffer(4));
            let first = futures::StreamExt::next(&mut items).await;
            // The producer filled the buffer and left: nothing runs now.
            let mut stats = SLOT.stats();
            for _ in 0..200 {
                if stats.running == 0 {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
                stats = SLOT.stats();
            }
            (first, stats)
        })
    });
    assert_eq!(first, Some(0));
    assert_eq!((stats.running, stats.queued), (0, 0), "{stats:?}");
}

#[test]
fn dropping_the_stream_cancels_the_running_producer() {
    static PRODUCER: bridge_runtime::IoPool = bridge_runtime::IoPool::new("producer", 1);
    let stopped = deadline::deadline("stream dropped", || {
        let (tx, rx) = std::sync::mpsc::channel();
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        futures::executor::block_on(async {
            let mut items = std::pin::pin!(PRODUCER.run_iter(move || {
                // Item 1 takes until the consumer is gone (5 s at most).
                (0..3u32).inspect(move |&n| {
                    if n == 1 {
                        let _ = started_tx.send(());
                        let start = std::time::Instant::now();
                        while start.elapsed() < std::time::Duration::from_secs(5) {
                            if bridge_runtime::cancelled() {
                                let _ = tx.send(start.elapsed());
                                break;
                            }
                            std::thread::sleep(std::time::Duration::from_millis(1));
                        }
                    }
                })
            }));
            assert_eq!(futures::StreamExt::next(&mut items).await, Some(0));
            // Leave once item 1 is under way, so the producer is running.
            started_rx
                .recv_timeout(std::time::Duration::from_secs(5))
                .expect("item 1 started");
        });
        rx.recv_timeout(std::time::Duration::from_secs(6))
    });
    let waited = stopped.expect("the producer never saw its consumer leave");
    assert!(waited < std::time::Duration::from_secs(4), "{waited:?}");
}
