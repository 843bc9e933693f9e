//! What a watchdog tells: [`Stall`] and its parts, the log of recent stalls
//! with the user's callback, and the `tracing` reports.

use std::collections::VecDeque;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread::ThreadId;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One stall of the executor, as [`Watchdog::recent_stalls`] lists it and a
/// [`Watchdog::on_stall`] callback receives it.
///
/// Its `Display` is one line for people, like the watchdog's own reports:
///
/// ```text
/// executor was blocked for 312 ms (since 14:03:07.412 UTC) in `handle{request=2}` (src/app.rs:42) on thread `main`
/// ```
///
/// [`Watchdog::recent_stalls`]: crate::Watchdog::recent_stalls
/// [`Watchdog::on_stall`]: crate::Watchdog::on_stall
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use bridge_runtime::{Blocked, Watchdog};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let watchdog = Watchdog::start(Watchdog::DEFAULT_THRESHOLD);
/// std::thread::sleep(Duration::from_millis(300)); // blocks the runtime's only thread
/// tokio::time::sleep(Duration::from_millis(200)).await; // lets the watchdog see it end
///
/// let stall = &watchdog.recent_stalls()[0];
/// assert_eq!(stall.number, 1);
/// assert_eq!(stall.blocked, Blocked::Executor);
/// assert!(!stall.ongoing);
/// assert!(stall.duration >= Duration::from_millis(100));
/// // No span was entered: the report names the thread.
/// assert_eq!(stall.threads[0].name.as_deref(), std::thread::current().name());
/// assert!(stall.threads[0].span.is_none());
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Stall {
    /// 1 for the first stall this watchdog saw, 2 for the next, and so on:
    /// what [`Watchdog::stalls`](crate::Watchdog::stalls) counted once it
    /// was seen.
    pub number: u64,
    /// When it began, as closely as the watchdog can tell (see its
    /// resolution caveat).
    pub start: SystemTime,
    /// How long it lasted: so far while `ongoing`, in full once it is over.
    pub duration: Duration,
    /// Whether it was still going on when this was reported: `true` at its
    /// detection, `false` once the executor polled again (or its runtime
    /// shut down under it: the duration then runs until the watchdog saw
    /// that).
    pub ongoing: bool,
    /// What was blocked.
    pub blocked: Blocked,
    /// The blocked threads the watchdog could tell, each with the innermost
    /// span entered there. Empty when the thread is unknown (a worker of a
    /// multi-thread runtime that neither polled the watchdog's heartbeat nor
    /// entered a span).
    pub threads: Vec<StalledThread>,
}

/// What a [`Stall`] blocked.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Blocked {
    /// The whole executor: the thread of a current-thread runtime, or every
    /// worker of a multi-thread one (no worker was free to poll a woken
    /// task).
    Executor,
    /// Some workers of a multi-thread runtime, while others still polled.
    Workers {
        /// Their indices, as tokio's metrics number workers.
        indices: Vec<usize>,
        /// The runtime's number of workers.
        of: usize,
    },
}

/// A thread of a [`Stall`], and the span it was in.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StalledThread {
    /// The thread.
    pub id: ThreadId,
    /// Its name: tokio names its workers `tokio-rt-worker` unless the
    /// runtime is built with another name, and `#[tokio::test]` runs a current-thread
    /// runtime on the test's thread, named after the test.
    pub name: Option<String>,
    /// Its index among the runtime's workers (0 on a current-thread runtime).
    pub worker: usize,
    /// The innermost `tracing` span entered on the thread when the stall was
    /// seen; `None` when none was, or when the subscriber has no
    /// [`WatchdogLayer`](crate::WatchdogLayer) (or without the `tracing`
    /// feature).
    pub span: Option<StalledSpan>,
}

/// A `tracing` span entered on a [`StalledThread`]: most often the
/// `#[tracing::instrument]` of the function that blocked, or of its caller.
///
/// Its `Display` is the name and the fields, as `tracing_subscriber::fmt`
/// writes them: `handle{request=2}`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StalledSpan {
    /// The span's name (the function's, for `#[instrument]`).
    pub name: &'static str,
    /// Its target (the module path, by default).
    pub target: &'static str,
    /// Its fields, `name=value` separated by spaces, each value as `Debug`
    /// shows it, including those recorded after the span was created.
    pub fields: String,
    /// The source file where the span is defined.
    pub file: Option<&'static str>,
    /// The line in that file.
    pub line: Option<u32>,
}

impl fmt::Display for Stall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let blocked = &self.blocked;
        let since = WallClock(self.start);
        let threads = Culprits(&self.threads);
        let duration = Human(self.duration);
        if self.ongoing {
            write!(
                f,
                "{blocked} blocked for {duration} so far (since {since}){threads}"
            )
        } else {
            let was = blocked.was();
            write!(
                f,
                "{blocked} {was} blocked for {duration} (since {since}){threads}"
            )
        }
    }
}

impl fmt::Display for Blocked {
    /// `executor`, `tokio worker 2 of 4`, `tokio workers 1, 3 of 4`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocked::Executor => f.write_str("executor"),
            Blocked::Workers { indices, of } => {
                if let [one] = indices.as_slice() {
                    return write!(f, "tokio worker {one} of {of}");
                }
                f.write_str("tokio workers ")?;
                for (n, worker) in indices.iter().enumerate() {
                    if n > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{worker}")?;
                }
                write!(f, " of {of}")
            }
        }
    }
}

impl Blocked {
    fn was(&self) -> &'static str {
        match self {
            Blocked::Workers { indices, .. } if indices.len() > 1 => "were",
            _ => "was",
        }
    }
}

impl fmt::Display for StalledThread {
    /// ``in `handle{request=2}` (src/app.rs:42) on thread `main` ``, or
    /// ``on thread `main` `` without a span.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(span) = &self.span {
            write!(f, "in `{span}`")?;
            if let Some(location) = span.location() {
                write!(f, " ({location})")?;
            }
            f.write_str(" ")?;
        }
        match &self.name {
            Some(name) => write!(f, "on thread `{name}`"),
            None => write!(f, "on an unnamed thread ({:?})", self.id),
        }
    }
}

impl fmt::Display for StalledSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)?;
        if !self.fields.is_empty() {
            write!(f, "{{{}}}", self.fields)?;
        }
        Ok(())
    }
}

impl StalledSpan {
    /// `file:line`, when the span's metadata has them.
    fn location(&self) -> Option<String> {
        let file = self.file?;
        Some(match self.line {
            Some(line) => format!("{file}:{line}"),
            None => file.to_owned(),
        })
    }
}

/// The threads a report names: `` in `a{x=1}` (src/a.rs:3) on thread `t1`,
/// on thread `t2` ``, with a leading space; nothing without threads.
struct Culprits<'a>(&'a [StalledThread]);

impl fmt::Display for Culprits<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, thread) in self.0.iter().enumerate() {
            f.write_str(if n == 0 { " " } else { ", " })?;
            write!(f, "{thread}")?;
        }
        Ok(())
    }
}

/// The user's callback.
type Callback = Box<dyn FnMut(&Stall) + Send>;

/// The stalls a watchdog saw: their count, the latest of them, and the
/// callback to tell. Written by the monitor thread, read through the
/// `Watchdog`.
pub(super) struct StallLog {
    count: AtomicU64,
    recent: Mutex<VecDeque<Stall>>,
    callback: Mutex<Option<Callback>>,
}

impl StallLog {
    /// How many stalls [`recent`](Self::recent) keeps.
    pub(super) const KEPT: usize = 32;

    pub(super) fn new() -> StallLog {
        StallLog {
            count: AtomicU64::new(0),
            recent: Mutex::new(VecDeque::with_capacity(Self::KEPT)),
            callback: Mutex::new(None),
        }
    }

    pub(super) fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Counts a new stall, and returns its number.
    pub(super) fn count_one(&self) -> u64 {
        self.count.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(super) fn recent(&self) -> Vec<Stall> {
        lock(&self.recent).iter().cloned().collect()
    }

    pub(super) fn set_callback(&self, callback: Callback) {
        *lock(&self.callback) = Some(callback);
    }

    /// Keeps the latest news of `stall` (replacing what was kept of it) and
    /// tells the callback.
    pub(super) fn publish(&self, stall: Stall) {
        {
            let mut recent = lock(&self.recent);
            match recent.back_mut() {
                Some(last) if last.number == stall.number => *last = stall.clone(),
                _ => {
                    if recent.len() == Self::KEPT {
                        recent.pop_front();
                    }
                    recent.push_back(stall.clone());
                }
            }
        }
        if let Some(callback) = lock(&self.callback).as_mut() {
            // A panicking callback is the user's bug, already printed by the
            // panic hook; the watchdog goes on watching.
            let _ = panic::catch_unwind(AssertUnwindSafe(|| callback(&stall)));
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The target of the reports: the module users know.
#[cfg(feature = "tracing")]
const TARGET: &str = "bridge_runtime::watchdog";

/// The `tracing` report of a stall at its detection, or of a part of it
/// (more workers, or the whole executor) seen later.
#[cfg(feature = "tracing")]
pub(super) fn blocked(
    blocked: &Blocked,
    threshold: Duration,
    since: SystemTime,
    threads: &[StalledThread],
    multi_thread: bool,
) {
    let culprit = Culprit::of(threads);
    let since = WallClock(since);
    let detail = match blocked {
        Blocked::Executor if multi_thread => ": no worker is free to poll a woken task",
        Blocked::Executor => "",
        Blocked::Workers { .. } => {
            ": a poll there has not returned, or its polls take milliseconds each"
        }
    };
    tracing::warn!(
        target: TARGET,
        threshold_ms = millis(threshold),
        since = %since,
        thread = culprit.thread,
        span = culprit.span,
        span_fields = culprit.fields,
        span_location = culprit.location,
        "{blocked} blocked for more than {} (since {since}){}{detail}",
        Human(threshold),
        Culprits(threads),
    );
}

/// The `tracing` report of a stall's end; with `since`, of one seen only
/// once over.
#[cfg(feature = "tracing")]
pub(super) fn recovered(
    blocked: &Blocked,
    blocked_for: Duration,
    since: Option<SystemTime>,
    threads: &[StalledThread],
) {
    let culprit = Culprit::of(threads);
    let was = blocked.was();
    let duration = Human(blocked_for);
    let culprits = Culprits(threads);
    match since.map(WallClock) {
        None => tracing::warn!(
            target: TARGET,
            blocked_ms = millis(blocked_for),
            thread = culprit.thread,
            span = culprit.span,
            span_fields = culprit.fields,
            span_location = culprit.location,
            "{blocked} {was} blocked for {duration}{culprits}",
        ),
        Some(since) => tracing::warn!(
            target: TARGET,
            blocked_ms = millis(blocked_for),
            since = %since,
            thread = culprit.thread,
            span = culprit.span,
            span_fields = culprit.fields,
            span_location = culprit.location,
            "{blocked} {was} blocked for {duration} (since {since}){culprits}",
        ),
    }
}

#[cfg(not(feature = "tracing"))]
pub(super) fn blocked(_: &Blocked, _: Duration, _: SystemTime, _: &[StalledThread], _: bool) {}

#[cfg(not(feature = "tracing"))]
pub(super) fn recovered(_: &Blocked, _: Duration, _: Option<SystemTime>, _: &[StalledThread]) {}

/// The structured fields of a report: the first thread that was in a span,
/// else the first thread.
#[cfg(feature = "tracing")]
struct Culprit<'a> {
    thread: Option<&'a str>,
    span: Option<&'static str>,
    fields: Option<&'a str>,
    location: Option<String>,
}

#[cfg(feature = "tracing")]
impl<'a> Culprit<'a> {
    fn of(threads: &'a [StalledThread]) -> Culprit<'a> {
        let first = threads
            .iter()
            .find(|thread| thread.span.is_some())
            .or(threads.first());
        let span = first.and_then(|thread| thread.span.as_ref());
        Culprit {
            thread: first.and_then(|thread| thread.name.as_deref()),
            span: span.map(|span| span.name),
            fields: span.map(|span| span.fields.as_str()),
            location: span.and_then(StalledSpan::location),
        }
    }
}

#[cfg(feature = "tracing")]
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A duration for people: `312 ms`, `4.25 s`.
struct Human(Duration);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < Duration::from_secs(10) {
            write!(f, "{} ms", self.0.as_millis())
        } else {
            write!(f, "{:.2} s", self.0.as_secs_f64())
        }
    }
}

/// A time of day in UTC: `14:03:07.412 UTC`.
struct WallClock(SystemTime);

impl fmt::Display for WallClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Ok(since_epoch) = self.0.duration_since(UNIX_EPOCH) else {
            return f.write_str("an unknown time");
        };
        let of_day = since_epoch.as_secs() % 86_400;
        write!(
            f,
            "{:02}:{:02}:{:02}.{:03} UTC",
            of_day / 3600,
            of_day / 60 % 60,
            of_day % 60,
            since_epoch.subsec_millis(),
        )
    }
}
