//! `Watchdog`: a stall of a tokio executor is reported through `tracing`, a
//! callback and a list of recent stalls, and counted, on a current-thread
//! runtime, on a multi-thread one whose workers are all blocked, and for one
//! blocked worker among busy ones; each report names the innermost span
//! entered on the blocked thread (through `Watchdog::layer`), or the thread;
//! reports reach the dispatcher current where the watchdog started; idle
//! and well-behaved busy runtimes report nothing; dropping the watchdog (or
//! the runtime) stops it.
//!
//! Timing margins are wide on purpose (CI is a noisy 2-vCPU machine): tasks
//! block for 300 ms against a 100 ms threshold, and the runtimes that must
//! stay quiet are watched with a 200 ms threshold.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

mod deadline;
mod support;

use bridge_runtime::{Blocked, Stall, Watchdog};
use deadline::deadline;
use support::{Event, Recorder};

const THRESHOLD: Duration = Duration::from_millis(100);
const BLOCK: Duration = Duration::from_millis(300);
/// For runtimes that must report nothing: twice the default, so that a
/// machine too busy to wake a thread within 100 ms does not fail the test.
const QUIET_THRESHOLD: Duration = Duration::from_millis(200);
const QUIET_FOR: Duration = Duration::from_secs(2);

// `Recorder` (in `support`) keeps every event with its fields and the names
// of its enclosing spans. Each test starts its watchdog inside a span of its
// own name, which the watchdog's reports carry, so tests running in
// parallel do not see each other's reports.

/// The global recorder, installed with the watchdog's layer beside it.
fn recorder() -> &'static Recorder {
    Recorder::global_with("Watchdog::layer", Watchdog::layer)
}

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
        let warnings = recorder().warnings_in(span);
        let recovered = warnings
            .last()
            .is_some_and(|w| w.contains(" was blocked for ") || w.contains(" were blocked for "));
        if recovered || Instant::now() > deadline {
            return warnings;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The `N` of "… blocked for N ms …".
fn blocked_ms(recovery: &str) -> u64 {
    recovery
        .rsplit_once(" blocked for ")
        .and_then(|(_, rest)| rest.split_once(" ms"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no duration in {recovery:?}"))
}

/// The name of the calling thread: `#[tokio::test]` runs a current-thread
/// runtime on the test's thread, which libtest names after the test.
fn this_thread() -> String {
    std::thread::current()
        .name()
        .expect("libtest names its threads")
        .to_owned()
}

#[tokio::test]
async fn blocking_a_current_thread_runtime_is_reported_once() {
    recorder();
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
    // No span was entered on the runtime's thread: the report names it.
    let on_thread = format!(" UTC) on thread `{}`", this_thread());
    assert!(warnings[0].ends_with(&on_thread), "{warnings:?}");
    assert!(
        warnings[1].starts_with("executor was blocked for "),
        "{warnings:?}"
    );
    assert!(
        warnings[1].ends_with(&format!(" ms on thread `{}`", this_thread())),
        "{warnings:?}"
    );
    let ms = blocked_ms(&warnings[1]);
    assert!((100..5_000).contains(&ms), "{warnings:?}");

    let stalls = watchdog.recent_stalls();
    assert_eq!(stalls.len(), 1, "{stalls:?}");
    assert_eq!(stalls[0].blocked, Blocked::Executor);
    assert!(!stalls[0].ongoing, "{stalls:?}");
    assert_eq!(stalls[0].threads.len(), 1, "{stalls:?}");
    assert_eq!(stalls[0].threads[0].id, std::thread::current().id());
    assert_eq!(stalls[0].threads[0].name, Some(this_thread()));
    assert_eq!(stalls[0].threads[0].worker, 0);
    assert!(stalls[0].threads[0].span.is_none(), "{stalls:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_every_worker_of_a_multi_thread_runtime_is_reported_once() {
    recorder();
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
    recorder();
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
    assert_eq!(recorder().warnings_in(name), Vec::<String>::new());
}

#[tokio::test]
async fn an_idle_current_thread_runtime_reports_nothing() {
    recorder();
    stays_quiet(tracing::info_span!("idle_current"), "idle_current", 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_multi_thread_runtime_reports_nothing() {
    recorder();
    stays_quiet(tracing::info_span!("idle_multi"), "idle_multi", 0).await;
}

#[tokio::test]
async fn a_busy_well_behaved_current_thread_runtime_reports_nothing() {
    recorder();
    stays_quiet(tracing::info_span!("busy_current"), "busy_current", 8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_well_behaved_multi_thread_runtime_reports_nothing() {
    recorder();
    stays_quiet(tracing::info_span!("busy_multi"), "busy_multi", 8).await;
}

#[tokio::test]
async fn dropping_the_watchdog_stops_it() {
    recorder();
    let watchdog = start_in(tracing::info_span!("dropped"), THRESHOLD);
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(watchdog);

    // Would be a stall, and is not reported.
    std::thread::sleep(BLOCK);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(recorder().warnings_in("dropped"), Vec::<String>::new());

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
    recorder();
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
    let warnings = recorder().warnings_in("shut_down");
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

/// A request handler: request 2 blocks its thread for `BLOCK` (after a
/// first `.await`), the others behave until `stop`.
#[tracing::instrument(skip(stop))]
async fn handle(request: u32, stop: Arc<AtomicBool>) {
    if request == 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        std::thread::sleep(BLOCK);
    } else {
        well_behaved(stop).await;
    }
}

/// Waits, without blocking the runtime, until the warnings in `span` end
/// with a recovery, or 5 s; returns them whole.
async fn recovery_events_in(span: &str) -> Vec<Event> {
    recovery_in(span).await;
    recorder().warning_events_in(span)
}

/// Runs handlers 1 to 4 on the current runtime, of which 2 blocks its
/// thread, under a watchdog started in `span` (named `name`); returns the
/// watchdog and the warnings in `span` once the stall is over.
async fn one_handler_blocks(span: tracing::Span, name: &str) -> (Watchdog, Vec<Event>) {
    let watchdog = start_in(span, THRESHOLD);
    let stop = Arc::new(AtomicBool::new(false));
    let handlers: Vec<_> = (1..=4)
        .map(|request| tokio::spawn(handle(request, stop.clone())))
        .collect();
    let warnings = recovery_events_in(name).await;
    stop.store(true, Ordering::Relaxed);
    for handler in handlers {
        handler.await.expect("handler");
    }
    (watchdog, warnings)
}

/// Checks that `warning` names `handle{request=2}` and no other handler.
fn names_request_2(warning: &str) {
    assert!(
        warning.contains(&format!(" in `handle{{request=2}}` ({}:", file!())),
        "{warning}"
    );
    for other in [1, 3, 4] {
        assert!(!warning.contains(&format!("request={other}")), "{warning}");
    }
}

#[tokio::test]
async fn the_report_names_the_span_of_the_handler_that_blocked_a_current_thread_runtime() {
    recorder();
    let (watchdog, warnings) =
        one_handler_blocks(tracing::info_span!("culprit_current"), "culprit_current").await;
    let messages: Vec<&str> = warnings.iter().map(|e| e.message.as_str()).collect();

    assert_eq!(watchdog.stalls(), 1, "{messages:?}");
    assert_eq!(warnings.len(), 2, "{messages:?}");
    let on_thread = format!(" on thread `{}`", this_thread());
    assert!(
        messages[0].starts_with("executor blocked for more than 100 ms (since "),
        "{messages:?}"
    );
    assert!(messages[0].ends_with(&on_thread), "{messages:?}");
    assert!(
        messages[1].starts_with("executor was blocked for "),
        "{messages:?}"
    );
    assert!(messages[1].ends_with(&on_thread), "{messages:?}");
    for message in &messages {
        names_request_2(message);
    }

    let stall = &watchdog.recent_stalls()[0];
    let span = stall.threads[0].span.as_ref().expect("the handler's span");
    assert_eq!(span.name, "handle");
    assert_eq!(span.fields, "request=2");
    assert_eq!(span.target, module_path!());
    assert_eq!(span.file, Some(file!()));
    assert!(span.line.is_some_and(|line| line > 0), "{span:?}");
    assert_eq!(span.to_string(), "handle{request=2}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn the_report_names_the_span_of_the_handler_that_blocked_one_worker() {
    recorder();
    let (watchdog, warnings) =
        one_handler_blocks(tracing::info_span!("culprit_worker"), "culprit_worker").await;
    let messages: Vec<&str> = warnings.iter().map(|e| e.message.as_str()).collect();

    assert_eq!(watchdog.stalls(), 1, "{messages:?}");
    assert_eq!(warnings.len(), 2, "{messages:?}");
    assert!(messages[0].starts_with("tokio worker "), "{messages:?}");
    assert!(
        messages[0].contains(" on thread `tokio-rt-worker`: a poll there has not returned"),
        "{messages:?}"
    );
    for message in &messages {
        names_request_2(message);
    }

    let stall = &watchdog.recent_stalls()[0];
    let Blocked::Workers { indices, of } = &stall.blocked else {
        panic!("one worker, not the executor: {stall:?}");
    };
    assert_eq!((indices.len(), *of), (1, 3), "{stall:?}");
    assert_eq!(stall.threads.len(), 1, "{stall:?}");
    assert_eq!(stall.threads[0].worker, indices[0]);
    assert_eq!(stall.threads[0].name.as_deref(), Some("tokio-rt-worker"));
    let span = stall.threads[0].span.as_ref().expect("the handler's span");
    assert_eq!(span.to_string(), "handle{request=2}");
}

#[tokio::test]
async fn the_documented_tracing_fields_are_there() {
    recorder();
    let (watchdog, warnings) = one_handler_blocks(tracing::info_span!("fields"), "fields").await;
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    let (detection, recovery) = (&warnings[0], &warnings[1]);
    assert_eq!(detection.target, "bridge_runtime::watchdog");

    assert_eq!(
        detection.field("threshold_ms"),
        Some("100"),
        "{detection:?}"
    );
    let since = detection.field("since").expect("`since`");
    // `14:03:07.412 UTC`, as in the message.
    let shape: String = since
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    assert_eq!(shape, "99:99:99.999 UTC", "{detection:?}");
    assert!(detection.message.contains(&format!("(since {since})")));
    assert_eq!(detection.field("blocked_ms"), None, "{detection:?}");

    let blocked_ms: u64 = recovery
        .field("blocked_ms")
        .expect("`blocked_ms`")
        .parse()
        .expect("a number of milliseconds");
    assert!((100..5_000).contains(&blocked_ms), "{recovery:?}");
    assert_eq!(blocked_ms, self::blocked_ms(&recovery.message));
    assert_eq!(recovery.field("threshold_ms"), None, "{recovery:?}");

    // `file:line` of `handle`'s span, from its metadata.
    let stall = &watchdog.recent_stalls()[0];
    let span = stall.threads[0].span.as_ref().expect("the handler's span");
    let location = format!("{}:{}", file!(), span.line.expect("a line"));
    for event in [detection, recovery] {
        assert_eq!(
            event.field("thread"),
            Some(this_thread().as_str()),
            "{event:?}"
        );
        assert_eq!(event.field("span"), Some("handle"), "{event:?}");
        assert_eq!(event.field("span_fields"), Some("request=2"), "{event:?}");
        assert_eq!(
            event.field("span_location"),
            Some(location.as_str()),
            "{event:?}"
        );
    }
}

/// Blocks a fresh current-thread runtime under a watchdog, on this thread,
/// with `handle(2)`; returns the stalls it saw once the stall is over.
fn block_a_runtime_in_handle_2(recorder: &Recorder) -> Vec<Stall> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let watchdog = Watchdog::start(THRESHOLD);
        handle(2, Arc::new(AtomicBool::new(false))).await;
        let deadline = Instant::now() + Duration::from_secs(5);
        while watchdog.recent_stalls().first().is_none_or(|s| s.ongoing)
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The callback and the list are filled before the warning is sent:
        // give the recorder the time to see it.
        while recorder.events().len() < 2 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        watchdog.recent_stalls()
    })
}

#[test]
fn reports_reach_a_scoped_subscriber_and_name_its_spans() {
    recorder();
    deadline("a watchdog under a scoped subscriber", || {
        let (scoped, subscriber) = Recorder::scoped(Watchdog::layer());
        let stalls =
            tracing::subscriber::with_default(subscriber, || block_a_runtime_in_handle_2(&scoped));

        let warnings: Vec<String> = scoped
            .events()
            .into_iter()
            .filter(|e| e.target == "bridge_runtime::watchdog")
            .map(|e| e.message)
            .collect();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].starts_with("executor blocked for more than 100 ms (since "),
            "{warnings:?}"
        );
        assert!(
            warnings[1].starts_with("executor was blocked for "),
            "{warnings:?}"
        );
        for warning in &warnings {
            names_request_2(warning);
        }
        assert_eq!(stalls.len(), 1, "{stalls:?}");
        let span = stalls[0].threads[0].span.as_ref().expect("the span");
        assert_eq!(span.to_string(), "handle{request=2}");
    });
}

#[test]
fn without_the_layer_the_report_names_the_thread() {
    recorder();
    deadline("a watchdog under a subscriber without its layer", || {
        let (scoped, subscriber) = Recorder::scoped(tracing_subscriber::layer::Identity::new());
        let stalls =
            tracing::subscriber::with_default(subscriber, || block_a_runtime_in_handle_2(&scoped));

        let thread = this_thread();
        let warnings: Vec<String> = scoped
            .events()
            .into_iter()
            .filter(|e| e.target == "bridge_runtime::watchdog")
            .map(|e| e.message)
            .collect();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        for warning in &warnings {
            assert!(
                warning.ends_with(&format!(" on thread `{thread}`")),
                "{warnings:?}"
            );
            assert!(!warning.contains("handle"), "{warnings:?}");
        }
        assert_eq!(stalls.len(), 1, "{stalls:?}");
        assert_eq!(stalls[0].threads[0].name.as_deref(), Some(thread.as_str()));
        assert!(stalls[0].threads[0].span.is_none(), "{stalls:?}");
    });
}

#[tokio::test]
async fn the_callback_gets_each_report_and_the_list_the_latest() {
    recorder();
    let (sender, received) = mpsc::channel::<Stall>();
    let watchdog = start_in(tracing::info_span!("callback"), THRESHOLD).on_stall(move |stall| {
        let _ = sender.send(stall.clone());
    });
    tokio::time::sleep(Duration::from_millis(50)).await;

    std::thread::sleep(BLOCK);
    let warnings = recovery_in("callback").await;

    let reports: Vec<Stall> = received.try_iter().collect();
    assert_eq!(reports.len(), 2, "{reports:?} {warnings:?}");
    let (detected, over) = (&reports[0], &reports[1]);
    assert_eq!((detected.number, over.number), (1, 1));
    assert!(detected.ongoing && !over.ongoing, "{reports:?}");
    assert_eq!(detected.start, over.start);
    assert!(detected.duration > THRESHOLD, "{reports:?}");
    assert!(over.duration >= detected.duration, "{reports:?}");
    assert!(over.duration < Duration::from_secs(5), "{reports:?}");
    assert_eq!(over.blocked, Blocked::Executor);
    assert_eq!(over.threads[0].name, Some(this_thread()));

    // The list has the stall as of its last report.
    let recent = watchdog.recent_stalls();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].to_string(), over.to_string());
    assert!(
        recent[0]
            .to_string()
            .starts_with("executor was blocked for "),
        "{}",
        recent[0]
    );
    // And the duration is the one the warning gave.
    let last = warnings.last().expect("a recovery");
    assert_eq!(
        u128::from(blocked_ms(last)),
        over.duration.as_millis(),
        "{last}"
    );
}

#[tokio::test]
async fn the_list_keeps_the_latest_32_stalls() {
    recorder();
    let threshold = Duration::from_millis(10);
    let watchdog = start_in(tracing::info_span!("many"), threshold);
    let deadline = Instant::now() + Duration::from_secs(10);
    while watchdog.stalls() < 40 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(40));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let recent = watchdog.recent_stalls();
    let counted = watchdog.stalls();
    assert!(counted >= 40, "{counted} stalls");
    assert_eq!(recent.len(), 32);
    let numbers: Vec<u64> = recent.iter().map(|stall| stall.number).collect();
    let first = numbers[0];
    assert_eq!(numbers, (first..first + 32).collect::<Vec<_>>());
    assert!(first + 31 <= counted, "{numbers:?}, {counted} counted");
    assert!(first + 31 >= 40 - 1, "{numbers:?}");
}

#[tokio::test]
async fn a_panicking_callback_does_not_stop_the_watchdog() {
    recorder();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let watchdog =
        start_in(tracing::info_span!("panicking_callback"), THRESHOLD).on_stall(move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
            panic!("a callback with a bug");
        });
    tokio::time::sleep(Duration::from_millis(50)).await;
    for _ in 0..2 {
        std::thread::sleep(BLOCK);
        recovery_in("panicking_callback").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(watchdog.stalls(), 2);
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    let recent = watchdog.recent_stalls();
    assert_eq!(recent.len(), 2, "{recent:?}");
    assert!(recent.iter().all(|stall| !stall.ongoing), "{recent:?}");
}

#[test]
fn the_watchdog_can_be_shared_between_threads() {
    fn send_sync<T: Send + Sync + std::fmt::Debug>() {}
    send_sync::<Watchdog>();
    send_sync::<Stall>();

    recorder();
    deadline("a watchdog shared between threads", || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .expect("runtime");
        let watchdog = Arc::new({
            let _entered = tracing::info_span!("shared").entered();
            let _runtime = runtime.enter();
            Watchdog::start(THRESHOLD)
        });

        // Threads outside the runtime watch the same watchdog.
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let watchdog = watchdog.clone();
                std::thread::spawn(move || {
                    let deadline = Instant::now() + Duration::from_secs(5);
                    while watchdog.recent_stalls().first().is_none_or(|s| s.ongoing)
                        && Instant::now() < deadline
                    {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    (watchdog.stalls(), watchdog.recent_stalls())
                })
            })
            .collect();

        // Both workers blocked at once.
        runtime.block_on(async {
            let started = Arc::new(AtomicUsize::new(0));
            let block = |started: Arc<AtomicUsize>| {
                tokio::spawn(async move {
                    started.fetch_add(1, Ordering::SeqCst);
                    let since = Instant::now();
                    while started.load(Ordering::SeqCst) < 2
                        && since.elapsed() < Duration::from_secs(2)
                    {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    std::thread::sleep(BLOCK);
                })
            };
            let (a, b) = (block(started.clone()), block(started.clone()));
            a.await.expect("first blocking task");
            b.await.expect("second blocking task");
        });

        for reader in readers {
            let (stalls, recent) = reader.join().expect("reader");
            assert_eq!(stalls, 1, "{recent:?}");
            assert_eq!(recent.len(), 1, "{recent:?}");
            assert_eq!(recent[0].blocked, Blocked::Executor, "{recent:?}");
            assert!(!recent[0].ongoing, "{recent:?}");
        }

        // The last handle, dropped on another thread, stops it: the
        // heartbeat task is gone from the runtime.
        assert_eq!(Arc::strong_count(&watchdog), 1);
        std::thread::spawn(move || drop(watchdog))
            .join()
            .expect("dropped on another thread");
        let metrics = runtime.metrics();
        let deadline = Instant::now() + Duration::from_secs(2);
        while metrics.num_alive_tasks() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(metrics.num_alive_tasks(), 0);
        assert_eq!(
            recorder().warnings_in("shared").len(),
            2,
            "{:?}",
            recorder().warnings_in("shared")
        );
    });
}

#[tracing::instrument]
async fn leaves_its_worker(ms: u64) {
    tokio::task::block_in_place(|| std::thread::sleep(Duration::from_millis(ms)));
}

#[tracing::instrument]
async fn blocks_its_worker(seen_on: Arc<std::sync::Mutex<Option<String>>>) {
    *seen_on.lock().expect("not poisoned") = std::thread::current().name().map(str::to_owned);
    std::thread::sleep(BLOCK);
}

/// A thread that leaves its worker (`block_in_place`) and later becomes the
/// same worker again, after another thread was it meanwhile: the thread
/// that blocks is named, not the one that did right and left in between.
#[test]
fn a_thread_back_on_its_old_worker_is_named_when_it_blocks() {
    recorder();
    let (blamed, blocker) = deadline("back on its old worker", || {
        let threads = AtomicUsize::new(0);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .thread_name_fn(move || {
                format!("old-worker-{}", threads.fetch_add(1, Ordering::Relaxed))
            })
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let watchdog = start_in(tracing::info_span!("back_on_old_worker"), THRESHOLD);
            // The first thread leaves the worker; a second one becomes it.
            tokio::spawn(leaves_its_worker(300)).await.expect("ran");
            tokio::time::sleep(Duration::from_millis(50)).await;
            // The second one leaves it too, for longer; the first, idle,
            // becomes the worker again.
            let second = tokio::spawn(leaves_its_worker(1_500));
            tokio::time::sleep(Duration::from_millis(100)).await;
            let seen_on = Arc::new(std::sync::Mutex::new(None));
            tokio::spawn(blocks_its_worker(seen_on.clone()))
                .await
                .expect("ran");
            tokio::time::sleep(Duration::from_millis(200)).await;
            second.await.expect("ran");
            let stalls = watchdog.recent_stalls();
            let blamed: Vec<(Option<String>, Option<&'static str>)> = stalls
                .iter()
                .flat_map(|stall| &stall.threads)
                .map(|thread| (thread.name.clone(), thread.span.as_ref().map(|s| s.name)))
                .collect();
            let blocker = seen_on.lock().expect("not poisoned").clone();
            (blamed, blocker)
        })
    });
    assert_eq!(blamed, [(blocker, Some("blocks_its_worker"))]);
}

/// The runtime shuts down while a stall is under way: the stall ends with
/// it, rather than staying "ongoing" for good.
#[test]
fn a_stall_ends_when_its_runtime_shuts_down() {
    recorder();
    let (during, after) = deadline("shut down mid-stall", || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let watchdog = {
            let _runtime = runtime.enter();
            start_in(tracing::info_span!("shut_down_mid_stall"), THRESHOLD)
        };
        runtime.block_on(async { tokio::time::sleep(Duration::from_millis(50)).await });
        for _ in 0..2 {
            runtime.spawn(async { std::thread::sleep(Duration::from_millis(1_000)) });
        }
        std::thread::sleep(Duration::from_millis(400));
        let during = watchdog.recent_stalls();
        runtime.shutdown_timeout(Duration::from_millis(100));
        std::thread::sleep(Duration::from_millis(600));
        (during, watchdog.recent_stalls())
    });
    assert!(
        during.last().is_some_and(|stall| stall.ongoing),
        "{during:?}"
    );
    let last = after.last().expect("the stall");
    assert!(
        !last.ongoing,
        "still ongoing after the runtime shut down: {last:?}"
    );
    assert_eq!(after.len(), during.len(), "{after:?}");
}
