//! A running body can ask whether its caller is still there.

mod deadline;

use std::time::{Duration, Instant};

use bridge_runtime::{Cancelled, CpuPool, IoPool, offload};

static SCAN: IoPool = IoPool::new("scan", 1);

/// Scans for 10 s, asking every millisecond whether to go on.
#[offload(io, pool = SCAN)]
fn scan() -> Result<u64, Cancelled> {
    let start = Instant::now();
    let mut rows = 0;
    while start.elapsed() < Duration::from_secs(10) {
        bridge_runtime::checkpoint()?;
        rows += 1;
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_asks_frees_its_slot_soon_after_a_timeout() {
    let abandoned_before = SCAN.stats().abandoned;
    assert!(
        tokio::time::timeout(Duration::from_millis(50), scan())
            .await
            .is_err()
    );
    let gave_up = Instant::now();
    // The pool has one slot: the next call runs once the scan stopped.
    assert_eq!(SCAN.run(|| 7).await, 7);
    let freed = gave_up.elapsed();
    assert!(freed < Duration::from_millis(100), "{freed:?}");
    let stats = SCAN.stats();
    assert_eq!(stats.abandoned, abandoned_before + 1, "{stats:?}");
    assert_eq!((stats.running, stats.queued), (0, 0), "{stats:?}");
}

#[tokio::test]
async fn cancelled_is_false_while_the_caller_waits_and_outside_bodies() {
    assert!(!bridge_runtime::cancelled());
    assert_eq!(bridge_runtime::checkpoint(), Ok(()));
    let asked = bridge_runtime::io(bridge_runtime::cancelled).await;
    assert!(!asked);
    let asked = bridge_runtime::cpu(bridge_runtime::cancelled).await;
    assert!(!asked);
    assert!(!bridge_runtime::cancelled());
}

static HASH: CpuPool = CpuPool::new("hash", 1);

#[test]
fn a_cpu_body_sees_its_caller_leave() {
    let (tx, rx) = std::sync::mpsc::channel();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    futures::executor::block_on(async {
        let call = HASH.run(move || {
            let _ = started_tx.send(());
            let start = Instant::now();
            while !bridge_runtime::cancelled() && start.elapsed() < Duration::from_secs(5) {
                std::hint::spin_loop();
            }
            let _ = tx.send(start.elapsed());
        });
        let mut call = Box::pin(call);
        assert!(futures::poll!(call.as_mut()).is_pending());
        started_rx
            .recv_timeout(Duration::from_secs(5))
            .expect("started");
        drop(call);
    });
    let ran = rx.recv_timeout(Duration::from_secs(6)).expect("body ended");
    assert!(ran < Duration::from_secs(4), "{ran:?}");
    assert!(
        deadline::deadline("next", || futures::executor::block_on(HASH.run(|| true))),
        "the pool runs the next call"
    );
}

#[test]
fn cancelled_converts_into_io_and_boxed_errors() {
    fn boxed() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Err(Cancelled)?
    }
    fn io() -> std::io::Result<()> {
        Err(Cancelled)?
    }
    assert_eq!(
        io().expect_err("cancelled").kind(),
        std::io::ErrorKind::Interrupted
    );
    assert!(boxed().expect_err("cancelled").is::<Cancelled>());
}

static LAZY: bridge_runtime::CpuPool = bridge_runtime::CpuPool::new("lazy", 1);

#[offload(cpu, pool = LAZY)]
fn mark(flag: std::sync::Arc<std::sync::atomic::AtomicBool>) {
    flag.store(true, std::sync::atomic::Ordering::SeqCst);
}

#[test]
fn a_cpu_call_reaches_its_pool_only_when_first_polled() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let never = Arc::new(AtomicBool::new(false));
    let unpolled = mark(never.clone());
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(LAZY.stats().submitted, 0, "handed over before any poll");
    drop(unpolled);

    let polled = Arc::new(AtomicBool::new(false));
    futures::executor::block_on(mark(polled.clone()));
    assert!(polled.load(Ordering::SeqCst));
    assert!(!never.load(Ordering::SeqCst), "a call never polled ran");
    let stats = LAZY.stats();
    assert_eq!((stats.submitted, stats.completed), (1, 1), "{stats:?}");
}

#[test]
fn a_call_polled_after_its_result_panics_with_bridges_message() {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut call = Box::pin(bridge_runtime::cpu(|| 42u32));
    let start = Instant::now();
    let value = loop {
        if let std::task::Poll::Ready(value) = call.as_mut().poll(&mut cx) {
            break value;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "no result");
        std::thread::yield_now();
    };
    assert_eq!(value, 42);
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = call.as_mut().poll(&mut cx);
    }));
    let text = deadline::panic_text(again.expect_err("polling again panics"));
    assert!(
        text.starts_with("bridge: `")
            && text.contains("was polled again after it had returned its result"),
        "{text}"
    );
}

/// A body whose caller left waits (in `block_on`) on a rayon worker, which
/// meanwhile runs other jobs of its pool: those are not the body, and must
/// not see its caller gone.
#[test]
fn jobs_a_waiting_body_runs_meanwhile_do_not_see_its_caller_gone() {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, mpsc};

    let (seen_as_gone, ran) = deadline::deadline("a waiting body's jobs", || {
        let waiting = Arc::new(AtomicBool::new(false));
        let (release, released) = mpsc::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let noticed = waiting.clone();
        runtime.block_on(async move {
            let body = bridge_runtime::cpu(move || {
                while !bridge_runtime::cancelled() {
                    std::thread::sleep(Duration::from_millis(1));
                }
                noticed.store(true, Ordering::SeqCst);
                // Clean-up that waits for async code, on this rayon worker.
                bridge_runtime::block_on(async move {
                    let _ = tokio::task::spawn_blocking(move || released.recv()).await;
                });
            });
            assert!(
                tokio::time::timeout(Duration::from_millis(20), body)
                    .await
                    .is_err()
            );
        });
        while !waiting.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        let (gone, ran) = (AtomicUsize::new(0), AtomicUsize::new(0));
        (0..400).into_par_iter().for_each(|_| {
            ran.fetch_add(1, Ordering::Relaxed);
            if bridge_runtime::cancelled() {
                gone.fetch_add(1, Ordering::Relaxed);
            }
            std::thread::sleep(Duration::from_millis(1));
        });
        drop(release);
        (gone.into_inner(), ran.into_inner())
    });
    assert_eq!(ran, 400);
    assert_eq!(
        seen_as_gone, 0,
        "{seen_as_gone} of 400 par_iter items outside any body saw cancelled()"
    );
}
