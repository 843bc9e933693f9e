//! `#[blocking]` from every row of the calling-context table, with a body
//! that needs tokio's timers and I/O, and nested through `#[offload(io)]`.

mod deadline;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bridge_runtime::{blocking, offload};
use deadline::panic_text as payload_text;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Sends `payload` through a loopback TCP connection and back, after a timer.
#[blocking]
async fn echo(payload: Vec<u8>) -> std::io::Result<Vec<u8>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let len = payload.len();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await?;
        let mut buffer = vec![0; len];
        socket.read_exact(&mut buffer).await?;
        socket.write_all(&buffer).await?;
        Ok::<_, std::io::Error>(())
    });
    tokio::time::sleep(Duration::from_millis(2)).await;
    let mut client = TcpStream::connect(address).await?;
    client.write_all(&payload).await?;
    let mut back = vec![0; len];
    client.read_exact(&mut back).await?;
    server.await.map_err(std::io::Error::other)??;
    Ok(back)
}

#[blocking]
async fn innermost(x: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(1)).await;
    x * 2
}

#[offload(io)]
fn middle(x: u64) -> u64 {
    innermost(x) + 1
}

/// blocking → offload(io) → blocking, each with timers.
#[blocking]
async fn nested(x: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(1)).await;
    middle(x).await * 10
}

/// Everything a context must support, checked in one place.
fn exercise(context: &str) {
    let payload = format!("hello from {context}").into_bytes();
    match echo(payload.clone()) {
        Ok(back) => assert_eq!(back, payload, "{context}"),
        Err(e) => panic!("{context}: {e}"),
    }
    assert_eq!(nested(4), 90, "{context}");
}

#[test]
fn from_plain_test_code() {
    exercise("a plain #[test]");
}

#[test]
fn from_a_std_thread() {
    std::thread::spawn(|| exercise("a std thread"))
        .join()
        .expect("no panic");
}

#[test]
fn from_a_rayon_worker() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    pool.install(|| {
        assert!(rayon::current_thread_index().is_some());
        exercise("a rayon worker");
    });
}

#[test]
fn from_a_spawn_blocking_thread_of_a_multi_thread_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime
        .block_on(async {
            tokio::task::spawn_blocking(|| exercise("spawn_blocking, multi-thread")).await
        })
        .expect("no panic");
}

#[test]
fn from_a_spawn_blocking_thread_of_a_current_thread_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime
        .block_on(async {
            tokio::task::spawn_blocking(|| exercise("spawn_blocking, current-thread")).await
        })
        .expect("no panic");
}

#[tokio::test]
async fn from_a_current_thread_runtime() {
    exercise("#[tokio::test]");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_the_block_on_thread_of_a_multi_thread_runtime() {
    exercise("the main future of a multi-thread runtime");
}

#[blocking]
async fn sleep_then(value: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(200)).await;
    value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_a_worker_while_other_tasks_keep_running() {
    let ticks = Arc::new(AtomicU64::new(0));
    let counter = ticks.clone();
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(1)).await;
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;

    let worker = tokio::spawn(async move {
        let before = ticks.load(Ordering::SeqCst);
        let started = Instant::now();
        // Blocks this worker for 200 ms.
        let value = sleep_then(5);
        let elapsed = started.elapsed();
        (value, ticks.load(Ordering::SeqCst) - before, elapsed)
    });
    let (value, ticked, elapsed) = worker.await.expect("no panic");
    ticker.abort();
    assert_eq!(value, 5);
    assert!(elapsed >= Duration::from_millis(190), "{elapsed:?}");
    // A ticker starved for 200 ms would tick at most once; one that keeps
    // running ticks about 100-200 times. Wide margins for a noisy machine.
    assert!(ticked >= 20, "the other task ticked only {ticked} times");

    let nested_in_worker = tokio::spawn(async { nested(1) }).await.expect("no panic");
    assert_eq!(nested_in_worker, 30);
}

#[blocking]
async fn fails(message: &str) -> u32 {
    tokio::task::yield_now().await;
    panic!("{message}")
}

#[test]
fn a_panic_resumes_in_the_sync_caller_with_its_payload() {
    let caught = std::panic::catch_unwind(|| fails("from plain code"));
    assert_eq!(payload_text(caught.expect_err("panics")), "from plain code");
}

#[tokio::test]
async fn a_panic_on_the_helper_thread_resumes_in_the_caller() {
    let caught = std::panic::catch_unwind(|| fails("from the helper thread"));
    assert_eq!(
        payload_text(caught.expect_err("panics")),
        "from the helper thread"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_on_a_worker_resumes_in_the_caller() {
    let outcome = tokio::spawn(async { fails("from a worker") }).await;
    let payload = outcome.expect_err("panics").into_panic();
    assert_eq!(payload_text(payload), "from a worker");
}
