//! `Watchdog`: a stall of a tokio executor is reported through `tracing` and
//! counted, on a current-thread runtime, on a multi-thread one whose workers
//! are all blocked, and for one blocked worker among busy ones; idle and
//! well-behaved busy runtimes report nothing; dropping the watchdog (or the
//! runtime) stops it.
//!
//! Timing margins are wide on purpose (CI is a noisy 2-vCPU machine): tasks
//! block for 300 ms against a 100 ms threshold, and the runtimes that must
//! stay quiet are watched with a 200 ms threshold.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod support;

use bridge_runtime::Watchdog;
use support::Recorder;

const THRESHOLD: Duration = Duration::from_millis(100);
const BLOCK: Duration = Duration::from_millis(300);
/// For runtimes that must report nothing: twice the default, so that a
/// machine too busy to wake a thread within 100 ms does not fail the test.
const QUIET_THRESHOLD: Duration = Duration::from_millis(200);
const QUIET_FOR: Duration = Duration::from_secs(2);

// `Recorder` (in `support`) keeps every event with the names of its
// enclosing spans. Each test starts its watchdog inside a span of its own
// name, which the watchdog's reports carry, so tests running in parallel do
// not see each other's reports.

/// Starts a watchdog inside `span`, so that its reports carry the span.
fn start_in(span: tracing::Span, threshold: Duration) -> Watchdog {
    let _entered = span.entered();
    Watchdog::start(threshold)
}

/// Waits, without blocking the runtime, until the warnings in `span` end with
/// a recovery ("… was blocked for N ms"), or 5 s.
async fn recovery_in(span: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let warnings = Recorder::global().warnings_in(span);
        let recovered = warnings
            .last()
            .is_some_and(|w| w.contains(" was blocked for ") || w.contains(" were blocked for "));
        if recovered || Instant::now() > deadline {
            return warnings;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The `N` of "… blocked for N ms".
fn blocked_ms(recovery: &str) -> u64 {
    recovery
        .rsplit_once(" blocked for ")
        .and_then(|(_, rest)| rest.strip_suffix(" ms"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no duration in {recovery:?}"))
}

#[tokio::test]
async fn blocking_a_current_thread_runtime_is_reported_once() {
    Recorder::global();
    let watchdog = start_in(tracing::info_span!("current_thread_blocked"), THRESHOLD);
    tokio::time::sleep(Duration::from_millis(50)).await;

    std::thread::sleep(BLOCK);

    let warnings = recovery_in("current_thread_blocked").await;
    assert_eq!(watchdog.stalls(), 1, "{warnings:?}");
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("executor blocked for more than 100 ms (since "),
        "{warnings:?}"
    );
    assert!(warnings[0].ends_with(" UTC)"), "{warnings:?}");
    assert!(
        warnings[1].starts_with("executor was blocked for "),
        "{warnings:?}"
    );
    let ms = blocked_ms(&warnings[1]);
    assert!((100..5_000).contains(&ms), "{warnings:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_every_worker_of_a_multi_thread_runtime_is_reported_once() {
    Recorder::global();
    let watchdog = start_in(tracing::info_span!("all_workers_blocked"), THRESHOLD);
    tokio::time::sleep(Duration::from_millis(50)).await;

    // Two tasks that block their workers at the same time: each waits
    // (blocking) for the other to have started, up to 2 s, then sleeps.
    let started = Arc::new(AtomicUsize::new(0));
    let block = |started: Arc<AtomicUsize>| {
        tokio::spawn(async move {
            started.fetch_add(1, Ordering::SeqCst);
            let since = Instant::now();
            while started.load(Ordering::SeqCst) < 2 && since.elapsed() < Duration::from_secs(2) {
                std::thread::sleep(Duration::from_millis(1));
            }
            std::thread::sleep(BLOCK);
        })
    };
    let (a, b) = (block(started.clone()), block(started.clone()));
    a.await.expect("first blocking task");
    b.await.expect("second blocking task");

    let warnings = recovery_in("all_workers_blocked").await;
    assert_eq!(watchdog.stalls(), 1, "{warnings:?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("executor blocked for more than 100 ms (since ")),
        "{warnings:?}"
    );
    let last = warnings.last().expect("a recovery");
    assert!(
        last.starts_with("executor was blocked for "),
        "{warnings:?}"
    );
    assert!((100..5_000).contains(&blocked_ms(last)), "{warnings:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn one_blocked_worker_among_busy_ones_is_reported() {
    Recorder::global();
    let watchdog = start_in(tracing::info_span!("one_worker_blocked"), THRESHOLD);

    let stop = Arc::new(AtomicBool::new(false));
    let busy: Vec<_> = (0..4)
        .map(|_| tokio::spawn(well_behaved(stop.clone())))
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;

    tokio::spawn(async { std::thread::sleep(BLOCK) })
        .await
        .expect("blocking task");
    let warnings = recovery_in("one_worker_blocked").await;
    stop.store(true, Ordering::Relaxed);
    for task in busy {
        task.await.expect("busy task");
    }

    assert_eq!(watchdog.stalls(), 1, "{warnings:?}");
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].starts_with("tokio worker "), "{warnings:?}");
    assert!(
        warnings[0].contains(" of 3 blocked for more than 100 ms (since "),
        "{warnings:?}"
    );
    assert!(
        warnings[0]
            .ends_with(" UTC): a poll there has not returned, or its polls take milliseconds each"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].contains(" of 3 was blocked for "),
        "{warnings:?}"
    );
}

/// A busy task that never blocks: short timer sleeps and yields.
async fn well_behaved(stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(1)).await;
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
    }
}

/// Runs `well_behaved` tasks (or nothing) for `QUIET_FOR` and checks that
/// nothing was reported.
async fn stays_quiet(span: tracing::Span, name: &str, busy_tasks: usize) {
    let watchdog = start_in(span, QUIET_THRESHOLD);
    let stop = Arc::new(AtomicBool::new(false));
    let busy: Vec<_> = (0..busy_tasks)
        .map(|_| tokio::spawn(well_behaved(stop.clone())))
        .collect();
    tokio::time::sleep(QUIET_FOR).await;
    stop.store(true, Ordering::Relaxed);
    for task in busy {
        task.await.expect("busy task");
    }
    assert_eq!(watchdog.stalls(), 0);
    assert_eq!(Recorder::global().warnings_in(name), Vec::<String>::new());
}

#[tokio::test]
async fn an_idle_current_thread_runtime_reports_nothing() {
    Recorder::global();
    stays_quiet(tracing::info_span!("idle_current"), "idle_current", 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_multi_thread_runtime_reports_nothing() {
    Recorder::global();
    stays_quiet(tracing::info_span!("idle_multi"), "idle_multi", 0).await;
}

#[tokio::test]
async fn a_busy_well_behaved_current_thread_runtime_reports_nothing() {
    Recorder::global();
    stays_quiet(tracing::info_span!("busy_current"), "busy_current", 8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_well_behaved_multi_thread_runtime_reports_nothing() {
    Recorder::global();
    stays_quiet(tracing::info_span!("busy_multi"), "busy_multi", 8).await;
}

#[tokio::test]
async fn dropping_the_watchdog_stops_it() {
    Recorder::global();
    let watchdog = start_in(tracing::info_span!("dropped"), THRESHOLD);
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(watchdog);

    // Would be a stall, and is not reported.
    std::thread::sleep(BLOCK);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        Recorder::global().warnings_in("dropped"),
        Vec::<String>::new()
    );

    // The heartbeat task is gone too.
    let metrics = tokio::runtime::Handle::current().metrics();
    let deadline = Instant::now() + Duration::from_secs(2);
    while metrics.num_alive_tasks() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(metrics.num_alive_tasks(), 0);
}

#[tokio::test]
async fn drop_returns_without_waiting_for_the_period() {
    // Checks every 2.5 s: a drop that waited for the next check would take
    // up to that.
    let watchdog = Watchdog::start(Duration::from_secs(10));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    drop(watchdog);
    let took = started.elapsed();
    assert!(took < Duration::from_millis(500), "drop took {took:?}");
}

#[test]
fn a_runtime_shut_down_under_the_watchdog_is_not_a_stall() {
    Recorder::global();
    // No timer, no I/O driver: the watchdog needs neither.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let watchdog = {
        let _entered = tracing::info_span!("shut_down").entered();
        let _runtime = runtime.enter();
        Watchdog::start(THRESHOLD)
    };
    runtime.block_on(async {
        tokio::task::yield_now().await;
        std::thread::sleep(BLOCK);
        tokio::task::yield_now().await;
    });
    // The runtime is not running between two `block_on`s (see the caveat):
    // drop it at once, then let the watchdog look for a while.
    drop(runtime);
    let stalls = watchdog.stalls();
    std::thread::sleep(BLOCK);
    assert_eq!(stalls, 1);
    assert_eq!(watchdog.stalls(), 1);
    let warnings = Recorder::global().warnings_in("shut_down");
    assert!(
        warnings[0].starts_with("executor blocked for more than 100 ms"),
        "{warnings:?}"
    );
    assert!(warnings.len() <= 2, "{warnings:?}");
}

#[test]
#[should_panic(expected = "`Watchdog::start` must be called inside a tokio runtime")]
fn starting_outside_a_runtime_panics_with_a_clear_message() {
    let _watchdog = Watchdog::start(THRESHOLD);
}

#[test]
fn the_watchdog_can_be_shared_between_threads() {
    fn send_sync<T: Send + Sync + std::fmt::Debug>() {}
    send_sync::<Watchdog>();
    assert_eq!(Watchdog::DEFAULT_THRESHOLD, Duration::from_millis(100));
}
