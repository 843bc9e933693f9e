//! Named pools: limits, thread counts, stats, cancellation before start, and
//! a runtime that shuts down under a queued call.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::task::Context;
use std::thread;
use std::time::{Duration, Instant};

use bridge_runtime::{CpuPool, IoPool, offload};

/// Tracks how many bodies run at once and the highest that reached.
struct Gauge {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl Gauge {
    const fn new() -> Self {
        Gauge {
            now: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    fn hold(&self, duration: Duration) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        thread::sleep(duration);
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

static LIMITED: IoPool = IoPool::new("limited", 2).timed();
static LIMITED_GAUGE: Gauge = Gauge::new();

#[offload(io, pool = LIMITED)]
fn limited_work(id: usize) -> usize {
    LIMITED_GAUGE.hold(Duration::from_millis(40));
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn io_pool_runs_at_most_its_size_at_once_and_counts_everything() {
    let tasks: Vec<_> = (0..8).map(|i| tokio::spawn(limited_work(i))).collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("no panic"));
    }
    assert_eq!(results, (0..8).collect::<Vec<_>>());
    assert_eq!(LIMITED_GAUGE.peak.load(Ordering::SeqCst), 2);

    let stats = LIMITED.stats();
    assert_eq!(stats.submitted, 8);
    assert_eq!(stats.completed, 8);
    assert_eq!((stats.running, stats.queued), (0, 0));
    assert_eq!((stats.panicked, stats.cancelled), (0, 0));
    // Times are added just after each result is sent: give the last ones a
    // moment. 8 bodies of 40 ms make at least 320 ms of run time, and with 2
    // slots the later calls waited for the earlier ones.
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    let stats = loop {
        let stats = LIMITED.stats();
        if stats.run_time >= Duration::from_millis(300) || std::time::Instant::now() > deadline {
            break stats;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    assert!(stats.run_time >= Duration::from_millis(300), "{stats:?}");
    assert!(stats.queue_wait >= Duration::from_millis(100), "{stats:?}");
    assert_eq!(LIMITED.size(), Some(2));
}

static HEAVY: CpuPool = CpuPool::new("heavy", 2);
static HEAVY_GAUGE: Gauge = Gauge::new();

#[offload(cpu, pool = HEAVY)]
fn heavy_work() -> String {
    HEAVY_GAUGE.hold(Duration::from_millis(30));
    thread::current().name().unwrap_or_default().to_owned()
}

#[test]
fn cpu_pool_starts_its_threads_on_first_use() {
    assert!(format!("{HEAVY:?}").contains("started: false"));
    let names = futures::executor::block_on(async {
        let calls: Vec<_> = (0..6).map(|_| heavy_work()).collect();
        let mut names = Vec::new();
        for call in calls {
            // Polled together so they are all submitted before any finishes.
            names.push(call);
        }
        futures::future::join_all(names).await
    });
    assert!(format!("{HEAVY:?}").contains("started: true"));
    for name in &names {
        assert!(name == "heavy-0" || name == "heavy-1", "ran on {name}");
    }
    assert_eq!(HEAVY_GAUGE.peak.load(Ordering::SeqCst), 2);
    assert_eq!(HEAVY.stats().completed, 6);
    assert_eq!(HEAVY.threads(), Some(2));
}

static ONE: IoPool = IoPool::new("one", 1);

#[offload(io, pool = ONE)]
fn occupy(release: Arc<Barrier>) {
    release.wait();
}

#[offload(io, pool = ONE)]
fn must_not_run(ran: Arc<AtomicBool>) {
    ran.store(true, Ordering::SeqCst);
}

fn poll_once<F: std::future::Future + Unpin>(future: &mut F) -> bool {
    let mut cx = Context::from_waker(std::task::Waker::noop());
    std::pin::Pin::new(future).poll(&mut cx).is_ready()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_dropped_while_queued_never_runs() {
    let release = Arc::new(Barrier::new(2));
    let busy = tokio::spawn(occupy(release.clone()));
    // Wait until the single slot is taken.
    until("ONE running", || ONE.stats().running > 0);
    let ran = Arc::new(AtomicBool::new(false));
    let mut queued = Box::pin(must_not_run(ran.clone()));
    assert!(!poll_once(&mut queued));
    assert_eq!(ONE.stats().queued, 1);
    drop(queued);

    tokio::task::spawn_blocking(move || release.wait())
        .await
        .expect("barrier");
    busy.await.expect("no panic");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!ran.load(Ordering::SeqCst), "the dropped call ran");
    let stats = ONE.stats();
    assert_eq!((stats.cancelled, stats.completed, stats.queued), (1, 1, 0));
}

static SINGLE: CpuPool = CpuPool::new("single", 1);

#[test]
fn a_cpu_call_dropped_in_rayons_queue_never_runs() {
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let busy = thread::spawn(move || {
        futures::executor::block_on(SINGLE.run(move || {
            let _ = started_tx.send(());
            let _ = release_rx.recv();
        }))
    });
    started_rx.recv().expect("busy call started");

    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let mut queued = Box::pin(SINGLE.run(move || flag.store(true, Ordering::SeqCst)));
    assert!(!poll_once(&mut queued));
    drop(queued);

    release_tx.send(()).expect("release");
    busy.join().expect("no panic");
    // Let the pool's thread take the dropped call off its queue.
    futures::executor::block_on(SINGLE.run(|| ()));
    assert!(!ran.load(Ordering::SeqCst), "the dropped call ran");
    assert_eq!(SINGLE.stats().cancelled, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_dropped_after_its_body_started_runs_to_completion() {
    let (started_tx, started_rx) = mpsc::channel();
    let finished = Arc::new(AtomicBool::new(false));
    let done = finished.clone();
    let mut call = Box::pin(bridge_runtime::io(move || {
        let _ = started_tx.send(());
        thread::sleep(Duration::from_millis(50));
        done.store(true, Ordering::SeqCst);
        7
    }));
    assert!(!poll_once(&mut call));
    tokio::task::spawn_blocking(move || started_rx.recv())
        .await
        .expect("join")
        .expect("body started");
    drop(call);
    assert!(!finished.load(Ordering::SeqCst));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        finished.load(Ordering::SeqCst),
        "the started body was stopped"
    );
}

static DOOMED: IoPool = IoPool::new("doomed", 1);

#[offload(io, pool = DOOMED)]
fn hold_doomed(duration: Duration) {
    thread::sleep(duration);
}

#[offload(io, pool = DOOMED)]
fn shutdown_victim() -> u32 {
    1
}

#[test]
fn a_runtime_shut_down_under_a_queued_call_panics_the_awaiter_by_name() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("runtime");
    let handle = runtime.handle().clone();
    let holder = runtime.spawn(hold_doomed(Duration::from_millis(200)));
    until("DOOMED running", || DOOMED.stats().running > 0);
    let awaiter = thread::spawn(move || {
        let _entered = handle.enter();
        futures::executor::block_on(shutdown_victim())
    });
    until("DOOMED queued", || DOOMED.stats().queued > 0);
    drop(holder);
    runtime.shutdown_background();

    let payload = awaiter
        .join()
        .expect_err("the awaiter should panic, not hang");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("shutdown_victim"), "{message}");
    assert!(message.contains("shut down"), "{message}");
    assert_eq!(DOOMED.stats().cancelled, 1);
}

#[test]
fn a_call_dropped_in_tokios_blocking_queue_never_runs() {
    // One blocking thread, held busy: the next call waits in tokio's queue.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .max_blocking_threads(1)
        .build()
        .expect("runtime");
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let cancelled_before = IoPool::global().stats().cancelled;
    runtime.block_on(async move {
        let busy = tokio::spawn(bridge_runtime::io(move || {
            let _ = release_rx.recv();
        }));
        tokio::task::yield_now().await;
        let mut queued = Box::pin(bridge_runtime::io(move || {
            flag.store(true, Ordering::SeqCst)
        }));
        assert!(!poll_once(&mut queued));
        drop(queued);
        release_tx.send(()).expect("release");
        busy.await.expect("no panic");
        // The blocking thread takes the dropped call next, and skips it.
        bridge_runtime::io(|| ()).await;
    });
    assert!(!ran.load(Ordering::SeqCst), "the dropped call ran");
    assert!(IoPool::global().stats().cancelled > cancelled_before);
}

static TIGHT: bridge_runtime::IoPool = bridge_runtime::IoPool::new("tight", 1);
static TIGHT_CPU: bridge_runtime::CpuPool = bridge_runtime::CpuPool::new("tight-cpu", 1);

/// Every snapshot taken while a pool is busy adds up and stays in bounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_snapshot_of_a_busy_pool_is_consistent() {
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watching = done.clone();
    let watcher = std::thread::spawn(move || {
        let mut seen = 0u64;
        while !watching.load(std::sync::atomic::Ordering::Relaxed) {
            for stats in [TIGHT.stats(), TIGHT_CPU.stats()] {
                assert!(stats.running <= 1, "{stats:?}");
                assert_eq!(
                    stats.submitted,
                    stats.completed
                        + stats.panicked
                        + stats.cancelled
                        + stats.running
                        + stats.queued,
                    "{stats:?}"
                );
                seen += 1;
            }
        }
        seen
    });
    let mut calls = Vec::new();
    for i in 0..2_000u64 {
        calls.push(tokio::spawn(TIGHT.run(move || i)));
        calls.push(tokio::spawn(TIGHT_CPU.run(move || i)));
    }
    for call in calls {
        call.await.expect("ran");
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen = watcher.join().expect("every snapshot was consistent");
    assert!(seen > 0);
    assert_eq!(TIGHT.stats().completed, 2_000);
    assert_eq!(TIGHT_CPU.stats().completed, 2_000);
}

/// Waits until `ready` holds, failing the test after 5 s instead of
/// spinning forever.
fn until(what: &str, ready: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "gave up waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

static UNTIMED: bridge_runtime::CpuPool = bridge_runtime::CpuPool::new("untimed", 1);

#[test]
fn times_are_measured_only_while_timing_is_on() {
    let nap = || std::thread::sleep(Duration::from_millis(5));
    futures::executor::block_on(UNTIMED.run(nap));
    assert_eq!(UNTIMED.stats().run_time, Duration::ZERO);
    UNTIMED.set_timing(true);
    futures::executor::block_on(UNTIMED.run(nap));
    let timed = UNTIMED.stats();
    assert!(timed.run_time >= Duration::from_millis(5), "{timed:?}");
    UNTIMED.set_timing(false);
    futures::executor::block_on(UNTIMED.run(nap));
    assert_eq!(UNTIMED.stats().run_time, timed.run_time);
    assert_eq!(UNTIMED.stats().completed, 3);
}

/// Counts its wake-ups.
struct Wakes(AtomicUsize);

impl std::task::Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Whether a `cpu` call looks again before registering: where the
/// process may use more than one CPU.
fn cpu_looks_again() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() > 1)
}

/// Polls `call` until it waits for its body, lets the body finish, and
/// checks that the waker of the last poll is woken, once. Where a call
/// `looks_again` (a `cpu` call, with more than one CPU), the next few polls
/// after the hand-over ask to be polled again at once (a wake of their own
/// each, which stops within a second at the very most) and a later poll
/// registers.
fn last_poll_waker_is_woken(
    looks_again: bool,
    call: impl FnOnce(mpsc::Receiver<()>) -> std::pin::Pin<Box<dyn Future<Output = bool> + Send>>,
) {
    let wakes = Arc::new(Wakes(AtomicUsize::new(0)));
    let waker = std::task::Waker::from(wakes.clone());
    let mut cx = Context::from_waker(&waker);
    let (release, released) = mpsc::channel();
    let mut call = call(released);
    let woken = || wakes.0.load(Ordering::SeqCst);
    assert!(call.as_mut().poll(&mut cx).is_pending());
    assert_eq!(
        woken(),
        usize::from(looks_again),
        "the hand-over's own wake"
    );
    let looking = Instant::now();
    let own = loop {
        let before = woken();
        assert!(call.as_mut().poll(&mut cx).is_pending());
        if woken() == before {
            break before;
        }
        assert!(looks_again, "an io call woke itself");
        assert!(
            looking.elapsed() < Duration::from_secs(1),
            "still looking after a second"
        );
    };
    std::thread::sleep(Duration::from_millis(10));
    assert_eq!(woken(), own, "woken before the body ended");
    release.send(()).expect("the body waits");
    until("the last poll's waker woken", || woken() == own + 1);
    assert!(matches!(
        call.as_mut().poll(&mut cx),
        std::task::Poll::Ready(true)
    ));
}

#[test]
fn the_waker_of_the_last_poll_is_woken_when_the_body_ends() {
    let wait = |released: mpsc::Receiver<()>| released.recv_timeout(Duration::from_secs(5)).is_ok();
    last_poll_waker_is_woken(cpu_looks_again(), |released| {
        Box::pin(bridge_runtime::cpu(move || wait(released)))
    });
    last_poll_waker_is_woken(false, |released| {
        Box::pin(bridge_runtime::io(move || wait(released)))
    });
    static SIZED: IoPool = IoPool::new("sized", 1);
    last_poll_waker_is_woken(false, |released| {
        Box::pin(SIZED.run(move || wait(released)))
    });
}

static QUICK: CpuPool = CpuPool::new("quick", 1);

#[test]
fn a_cpu_body_done_by_the_second_poll_needs_no_wake_up() {
    if !cpu_looks_again() {
        // One CPU: the pool thread cannot run while the caller polls, so
        // a call registers at once, the path the test above covers.
        return;
    }
    type Call = std::pin::Pin<Box<dyn Future<Output = u32> + Send>>;
    let calls: [fn(mpsc::Sender<()>) -> Call; 2] = [
        |ran| {
            Box::pin(bridge_runtime::cpu(move || {
                let _ = ran.send(());
                7
            }))
        },
        |ran| {
            Box::pin(QUICK.run(move || {
                let _ = ran.send(());
                7
            }))
        },
    ];
    for make in calls {
        let (ran, body_ran) = mpsc::channel();
        let mut call = make(ran);
        let wakes = Arc::new(Wakes(AtomicUsize::new(0)));
        let waker = std::task::Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(call.as_mut().poll(&mut cx).is_pending());
        assert_eq!(
            wakes.0.load(Ordering::SeqCst),
            1,
            "the hand-over asks to be polled again"
        );
        body_ran
            .recv_timeout(Duration::from_secs(5))
            .expect("the body ran");
        // The result is in microseconds after the body returns.
        std::thread::sleep(Duration::from_millis(20));
        assert!(matches!(
            call.as_mut().poll(&mut cx),
            std::task::Poll::Ready(7)
        ));
        std::thread::sleep(Duration::from_millis(10));
        assert_eq!(
            wakes.0.load(Ordering::SeqCst),
            1,
            "only the hand-over's own wake"
        );
    }
}
