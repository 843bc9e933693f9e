//! `Watchdog`: notices when an executor stopped polling.
//!
//! Two probes, read by one monitor thread every `threshold / 4`:
//!
//! - a ping: the monitor wakes a heartbeat task spawned on the runtime and
//!   waits for it to answer. A ping unanswered for longer than the threshold
//!   means no thread of the executor picked up a woken task: the whole
//!   executor is blocked. Sound on every kind of runtime, and needs neither
//!   tokio's timer nor its metrics. No ping is sent while the metrics show
//!   a parked worker, which would pick a woken task up at once: an idle
//!   runtime is not woken.
//! - on a multi-thread runtime, each worker's stable metrics (park/unpark
//!   count, busy time), which a worker publishes when it parks and every
//!   `event_interval` scheduler ticks: a worker that is not parked and has
//!   published nothing for longer than the threshold is stuck in a poll (or
//!   in a run of slow polls). This is what catches one blocked worker while
//!   the others still answer the ping. Only the ping may say "executor":
//!   workers that all look stuck but answer it are running slow polls.
//!
//! Both feed one notion of a stall episode, so a stall seen by both probes
//! is counted and reported once; while a ping is pending, stuck workers are
//! not reported yet, so that an executor-wide stall is reported as such
//! from its first warning.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};
#[cfg(feature = "tracing")]
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::sync::Notify;
use tokio::task::{AbortHandle, JoinHandle};

/// Notices when a tokio executor stopped polling for longer than a
/// threshold, as asyncio's debug mode does, and reports each stall through
/// `tracing::warn!`.
///
/// A task that blocks (a `std::thread::sleep`, a synchronous file read, a
/// long loop without `.await`) holds its executor thread, and every task
/// queued behind it waits. The watchdog makes that visible, once when the
/// stall is detected and once when the executor polls again:
///
/// ```text
/// WARN bridge_runtime::watchdog: executor blocked for more than 100 ms (since 14:03:07.412 UTC)
/// WARN bridge_runtime::watchdog: executor was blocked for 312 ms
/// ```
///
/// and counts the stalls ([`stalls`](Self::stalls)). It stops when dropped.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use bridge_runtime::Watchdog;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let watchdog = Watchdog::start(Watchdog::DEFAULT_THRESHOLD); // 100 ms
///
/// // Well-behaved async code: not a stall.
/// tokio::time::sleep(Duration::from_millis(300)).await;
/// assert_eq!(watchdog.stalls(), 0);
///
/// // Blocking the runtime's only thread: a stall.
/// std::thread::sleep(Duration::from_millis(400));
/// assert_eq!(watchdog.stalls(), 1);
/// # }
/// ```
///
/// # What it sees
///
/// | runtime | reported |
/// | --- | --- |
/// | current-thread (`#[tokio::test]`) | its thread not polling: a blocking task, or a blocking call in the future given to `block_on` |
/// | multi-thread | "executor": no worker free to poll a woken task (all of them blocked, or busy for that long); "tokio worker N of M": a worker that has not come back to its scheduler for that long, while the others answer (see the caveats) |
///
/// ```text
/// WARN bridge_runtime::watchdog: tokio worker 2 of 4 blocked for more than 100 ms (since 14:03:09.101 UTC): a poll there has not returned, or its polls take milliseconds each
/// WARN bridge_runtime::watchdog: tokio worker 2 of 4 was blocked for 277 ms
/// ```
///
/// The reports are emitted on the monitor thread, with target
/// `bridge_runtime::watchdog`, inside the `tracing` span that was current
/// when the watchdog was started. The detection carries the fields
/// `threshold_ms` and `since` (UTC time of day), the recovery `blocked_ms`.
/// A stall that ends between passing the threshold and the next check is
/// reported once, at its end, with its start. Without the `tracing` feature
/// the watchdog only counts.
///
/// # How it works
///
/// A thread named `bridge-watchdog` looks at the runtime every
/// `threshold / 4`:
///
/// - it reads each worker's stable tokio metrics (park/unpark count, busy
///   time). If some worker is parked, the runtime is idle, not blocked.
///   Otherwise it pings a heartbeat task spawned on the runtime, and
///   declares the executor blocked when a ping has waited longer than
///   `threshold`. Only this says "executor".
/// - on a multi-thread runtime, a worker that is not parked and has
///   published no progress for longer than `threshold` is reported on its
///   own. A stall seen both ways is counted and reported once.
///
/// It needs neither tokio's timer nor its I/O driver: it works on a runtime
/// built without `enable_time()`.
///
/// # Cost
///
/// One wake-up of the monitor thread every `threshold / 4`, plus one of the
/// runtime per ping, and pings are sent only while no worker is parked: an
/// idle runtime is not woken. Measured over 5 s of an idle runtime on a
/// 2-vCPU virtual machine, where a thread wake-up costs about 50 µs: 0.2 to
/// 0.3% of one CPU at [`DEFAULT_THRESHOLD`](Self::DEFAULT_THRESHOLD), 1 to
/// 2% at 10 ms
/// (`cargo run --release -p bridge-runtime --example watchdog_cost`
/// measures it on yours). The cost grows as the threshold shrinks.
///
/// # Caveats
///
/// - **Resolution.** Stalls are measured from the first ping they delay,
///   which goes out up to `threshold / 4` after they began: a reported
///   duration may be that much short, and a stall shorter than
///   `1.25 × threshold` may go unreported. Detection comes `threshold` to
///   `1.5 × threshold` after the stall began.
/// - **One worker among busy ones** is seen only through tokio's metrics:
///   the stable API has no way to run a probe on a chosen worker, and the
///   ping is answered by any free one. A worker publishes its metrics when
///   it parks and every `event_interval` scheduler ticks (61 by default),
///   so one whose last 61 polls together took longer than `threshold`
///   (polls averaging more than `threshold / 61`: 1.6 ms at the default)
///   cannot be told from one stuck in a single poll, and is reported too,
///   as a worker (never as the executor), with a message naming both
///   causes and counted in [`stalls`](Self::stalls). Measured: 4 tasks
///   polling 3 ms at a time on 2 workers give about 8 such reports a
///   second at the default threshold; 1 ms polls, rarely one. A runtime
///   built with a larger `event_interval` widens the margin of error. Such
///   polls are far beyond tokio's advice of 10 to 100 µs between
///   `.await`s (they are what `#[offload(cpu)]` is for), but if that is
///   your workload, raise the threshold. On targets without 64-bit atomics
///   tokio has no such metrics: only stalls of the whole executor are
///   seen, and an idle runtime is pinged too.
/// - **The `block_on` future of a multi-thread runtime** (the body of
///   `#[tokio::main]`) does not run on a worker: blocking in it holds up only
///   itself and what it awaits, and is not reported. Blocking in a spawned
///   task is. On a current-thread runtime the `block_on` future is polled by
///   the executor's own thread, and blocking in it is reported.
/// - **A current-thread runtime runs only inside `block_on`.** Time between
///   two `block_on` calls on the same runtime is reported as a stall: start
///   the watchdog inside the `block_on` that drives the program, and drop it
///   there.
/// - **Congestion is a stall too.** A ping waits behind every task that is
///   ready before it, and behind an operating system that does not schedule
///   the runtime's threads (an overloaded machine): what the watchdog
///   measures is how long a woken task waits to be polled.
/// - `let _ = Watchdog::start(..)` drops the watchdog at once; keep it in a
///   named binding (`let _watchdog = ..`) for as long as it should watch.
///   Holding it keeps the span it was started in open.
#[must_use = "the watchdog stops when dropped: bind it (`let _watchdog = ...`)"]
pub struct Watchdog {
    shared: Arc<Shared>,
    threshold: Duration,
    /// Dropped to stop the monitor: its `recv_timeout` returns at once.
    stop: Option<mpsc::Sender<()>>,
    monitor: Option<thread::JoinHandle<()>>,
    heartbeat: AbortHandle,
}

impl Watchdog {
    /// The threshold of choice when in doubt: 100 ms, the `slow_callback_duration`
    /// of asyncio's debug mode. A stall that long is felt by users of an
    /// interactive service; shorter ones are better found with a profiler.
    ///
    /// ```
    /// use bridge_runtime::Watchdog;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let watchdog = Watchdog::start(Watchdog::DEFAULT_THRESHOLD);
    /// assert_eq!(watchdog.threshold().as_millis(), 100);
    /// # }
    /// ```
    pub const DEFAULT_THRESHOLD: Duration = Duration::from_millis(100);

    /// The shortest threshold: shorter ones are raised to it.
    const MIN_THRESHOLD: Duration = Duration::from_millis(1);

    /// Starts watching the tokio runtime of the calling context, which must
    /// be running it (async code, or a thread that entered it), like
    /// `tokio::spawn`. A pause of more than `threshold` is a stall;
    /// thresholds under 1 ms are raised to 1 ms.
    ///
    /// Returns at once; the watchdog's first check comes after
    /// `threshold / 4`.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, with a message saying so: from sync code,
    /// enter the runtime first (`let _guard = runtime.enter();`). Also if
    /// the operating system refuses to start the monitor thread.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build()?;
    /// let watchdog = {
    ///     let _guard = runtime.enter();
    ///     bridge_runtime::Watchdog::start(Duration::from_millis(200))
    /// };
    /// runtime.block_on(async { tokio::task::yield_now().await });
    /// assert_eq!(watchdog.stalls(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start(threshold: Duration) -> Watchdog {
        let handle = Handle::try_current().unwrap_or_else(|_| {
            panic!(
                "`Watchdog::start` must be called inside a tokio runtime, like `tokio::spawn`: \
                 call it from async code, or enter the runtime first with `let _guard = runtime.enter();`"
            )
        });
        let threshold = threshold.max(Self::MIN_THRESHOLD);
        let shared = Arc::new(Shared {
            ping: Notify::new(),
            ping_seq: AtomicU64::new(0),
            pong: Mutex::new(Pong {
                seq: 0,
                at: Instant::now(),
            }),
            stalls: AtomicU64::new(0),
        });
        let heartbeat = handle.spawn(heartbeat(shared.clone()));
        let abort = heartbeat.abort_handle();
        let (stop, stopped) = mpsc::channel();
        let monitor = Monitor {
            shared: shared.clone(),
            threshold,
            heartbeat,
            stopped,
            outstanding: None,
            workers: Workers::of(&handle),
            episode: None,
            #[cfg(feature = "tracing")]
            span: tracing::Span::current(),
        };
        let monitor = thread::Builder::new()
            .name("bridge-watchdog".into())
            .spawn(move || monitor.run())
            .unwrap_or_else(|e| {
                abort.abort();
                panic!("bridge: could not start the `bridge-watchdog` thread: {e}")
            });
        Watchdog {
            shared,
            threshold,
            stop: Some(stop),
            monitor: Some(monitor),
            heartbeat: abort,
        }
    }

    /// How many stalls were seen so far. A stall is counted once, when it is
    /// detected, while it may still be going on (or at its end, if it ended
    /// between passing the threshold and the next check).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)] async fn main() {
    /// let watchdog = bridge_runtime::Watchdog::start(Duration::from_millis(100));
    ///
    /// // Both workers blocked at once: the executor is blocked.
    /// let block = || tokio::spawn(async { std::thread::sleep(Duration::from_millis(400)) });
    /// let (a, b) = (block(), block());
    /// let _ = (a.await, b.await);
    /// assert_eq!(watchdog.stalls(), 1);
    /// # }
    /// ```
    pub fn stalls(&self) -> u64 {
        self.shared.stalls.load(Ordering::Relaxed)
    }

    /// The threshold this watchdog was started with (at least 1 ms).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let watchdog = bridge_runtime::Watchdog::start(Duration::ZERO);
    /// assert_eq!(watchdog.threshold(), Duration::from_millis(1));
    /// # }
    /// ```
    pub fn threshold(&self) -> Duration {
        self.threshold
    }
}

impl Drop for Watchdog {
    /// Stops the monitor thread and waits for it to end, which takes
    /// microseconds (it is woken, not left to finish its period); no report
    /// comes after the drop. Then cancels the heartbeat task.
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(monitor) = self.monitor.take() {
            // A panic there (a panicking tracing subscriber) is not ours to
            // re-raise in a destructor.
            let _ = monitor.join();
        }
        self.heartbeat.abort();
    }
}

impl fmt::Debug for Watchdog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watchdog")
            .field("threshold", &self.threshold)
            .field("stalls", &self.stalls())
            .finish()
    }
}

/// What the watchdog, the monitor thread and the heartbeat task share.
struct Shared {
    /// Wakes the heartbeat task.
    ping: Notify,
    /// The number of the last ping sent.
    ping_seq: AtomicU64,
    /// The last ping the heartbeat answered, and when.
    pong: Mutex<Pong>,
    stalls: AtomicU64,
}

#[derive(Clone, Copy)]
struct Pong {
    seq: u64,
    at: Instant,
}

impl Shared {
    fn pong(&self) -> Pong {
        *self.pong.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The task on the watched runtime: answers each ping as soon as it is
/// polled.
async fn heartbeat(shared: Arc<Shared>) {
    loop {
        shared.ping.notified().await;
        let seq = shared.ping_seq.load(Ordering::Acquire);
        *shared.pong.lock().unwrap_or_else(PoisonError::into_inner) = Pong {
            seq,
            at: Instant::now(),
        };
    }
}

#[derive(Clone, Copy)]
struct Ping {
    seq: u64,
    sent: Instant,
}

/// A stall being reported: from its detection to the check that sees
/// everything polling again.
struct Episode {
    start: Instant,
    /// The whole executor was seen blocked.
    executor: bool,
    /// The workers reported blocked one by one.
    workers: Vec<usize>,
}

/// The state of the `bridge-watchdog` thread.
struct Monitor {
    shared: Arc<Shared>,
    threshold: Duration,
    /// Finished when the runtime shut down (or the watchdog was dropped).
    heartbeat: JoinHandle<()>,
    /// Disconnected when the watchdog is dropped.
    stopped: mpsc::Receiver<()>,
    /// The ping not answered yet.
    outstanding: Option<Ping>,
    /// The workers' metrics: whether one is parked and, on a multi-thread
    /// runtime, each one's progress. `None` without 64-bit atomics.
    workers: Option<Workers>,
    episode: Option<Episode>,
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl Monitor {
    fn run(mut self) {
        #[cfg(feature = "tracing")]
        let span = self.span.clone();
        #[cfg(feature = "tracing")]
        let _entered = span.enter();
        let period = self.threshold / 4;
        while let Err(RecvTimeoutError::Timeout) = self.stopped.recv_timeout(period) {
            if self.heartbeat.is_finished() {
                // The runtime shut down: nothing left to watch.
                return;
            }
            self.check(Instant::now());
        }
    }

    fn check(&mut self, now: Instant) {
        let threshold = self.threshold;

        // The workers, one by one.
        let seen = match &mut self.workers {
            Some(workers) => workers.observe(now, threshold),
            None => Observed::default(),
        };
        let (frozen, of) = (seen.frozen, seen.of);

        // The ping: answered, late, or still in time.
        let mut executor_since = None;
        let mut answered_late = None;
        let mut answered_at = None;
        let mut pending = false;
        if let Some(ping) = self.outstanding {
            let pong = self.shared.pong();
            if pong.seq >= ping.seq {
                self.outstanding = None;
                answered_at = Some(pong.at);
                if pong.at.saturating_duration_since(ping.sent) > threshold {
                    answered_late = Some((ping.sent, pong.at));
                }
            } else if now.saturating_duration_since(ping.sent) > threshold {
                executor_since = Some(ping.sent);
            } else {
                pending = true;
            }
        }
        match self.outstanding {
            // A parked worker would pick up a woken task at once: no need to
            // wake the runtime to prove it, which keeps an idle runtime idle.
            None if seen.any_parked => {}
            None => {
                let seq = self.shared.ping_seq.fetch_add(1, Ordering::AcqRel) + 1;
                self.outstanding = Some(Ping { seq, sent: now });
                self.shared.ping.notify_one();
            }
            // Waking it again is free if it is already scheduled, and makes
            // the answer independent of how `Notify` orders memory.
            Some(_) => self.shared.ping.notify_one(),
        }

        // Only the ping says the whole executor is blocked: workers that
        // all look stuck may be running slow polls, and still answer it.
        // While it is pending, stuck workers may be the whole executor:
        // wait for its verdict before reporting them, so that a stall is
        // reported once, at its full extent.
        let first_worker = frozen.iter().map(|&(_, since)| since).min();
        if !frozen.is_empty() {
            // A ping answered late since the last check: the executor was
            // blocked, and some workers still are.
            executor_since = executor_since.or(answered_late.map(|(since, _)| since));
        }
        let blocked = executor_since.is_some() || !frozen.is_empty();
        match (&mut self.episode, blocked) {
            (None, true) if executor_since.is_none() && pending => {}
            (None, true) => {
                self.shared.stalls.fetch_add(1, Ordering::Relaxed);
                let start = earliest(executor_since, first_worker).unwrap_or(now);
                let workers: Vec<usize> = frozen.iter().map(|&(i, _)| i).collect();
                if executor_since.is_some() {
                    blocked_report(Who::Executor { workers: of }, threshold, start, now);
                } else {
                    blocked_report(Who::Workers { list: &workers, of }, threshold, start, now);
                }
                self.episode = Some(Episode {
                    start,
                    executor: executor_since.is_some(),
                    workers,
                });
            }
            (Some(episode), true) => {
                if let Some(since) = executor_since.filter(|_| !episode.executor) {
                    // It spread from some workers to the whole executor.
                    episode.executor = true;
                    blocked_report(Who::Executor { workers: of }, threshold, since, now);
                } else if !episode.executor && !pending {
                    let new: Vec<(usize, Instant)> = frozen
                        .iter()
                        .copied()
                        .filter(|(i, _)| !episode.workers.contains(i))
                        .collect();
                    if let Some(since) = new.iter().map(|&(_, since)| since).min() {
                        let list: Vec<usize> = new.iter().map(|&(i, _)| i).collect();
                        blocked_report(Who::Workers { list: &list, of }, threshold, since, now);
                        episode.workers.extend(list);
                    }
                }
                episode.executor |= answered_late.is_some();
            }
            (Some(episode), false) => {
                let executor = episode.executor || answered_late.is_some();
                // The answer to the ping dates the end of a whole-executor
                // stall to the microsecond; a worker's end is seen here.
                let end = match answered_at {
                    Some(at) if episode.workers.is_empty() => at,
                    _ => now,
                };
                let blocked_for = end.saturating_duration_since(episode.start);
                if executor {
                    recovered_report(Who::Executor { workers: of }, blocked_for, None, now);
                } else {
                    let who = Who::Workers {
                        list: &episode.workers,
                        of,
                    };
                    recovered_report(who, blocked_for, None, now);
                }
                self.episode = None;
            }
            (None, false) => {
                if let Some((since, end)) = answered_late {
                    // Passed the threshold and ended between two checks.
                    self.shared.stalls.fetch_add(1, Ordering::Relaxed);
                    let blocked_for = end.saturating_duration_since(since);
                    recovered_report(Who::Executor { workers: of }, blocked_for, Some(since), now);
                }
            }
        }
    }
}

/// The earlier of two optional times.
fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// What one look at the workers found.
#[derive(Default)]
struct Observed {
    /// Some worker is parked: the runtime is idle, not blocked.
    any_parked: bool,
    /// The workers stuck, with the time since when; only on a multi-thread
    /// runtime.
    frozen: Vec<(usize, Instant)>,
    /// The number of workers of a multi-thread runtime, else 0.
    of: usize,
}

/// The workers of the runtime, seen through tokio's stable metrics (which
/// need 64-bit atomics).
#[cfg(target_has_atomic = "64")]
struct Workers {
    metrics: tokio::runtime::RuntimeMetrics,
    /// Multi-thread: look for single stuck workers too.
    one_by_one: bool,
    seen: Vec<Seen>,
}

/// The last metrics published by one worker, and when the monitor first saw
/// them.
#[cfg(target_has_atomic = "64")]
struct Seen {
    park_unpark: u64,
    busy: Duration,
    changed_at: Instant,
}

#[cfg(target_has_atomic = "64")]
impl Workers {
    fn of(handle: &Handle) -> Option<Workers> {
        let metrics = handle.metrics();
        let now = Instant::now();
        let seen = (0..metrics.num_workers())
            .map(|worker| Seen {
                park_unpark: metrics.worker_park_unpark_count(worker),
                busy: metrics.worker_total_busy_duration(worker),
                changed_at: now,
            })
            .collect();
        Some(Workers {
            metrics,
            one_by_one: handle.runtime_flavor() == RuntimeFlavor::MultiThread,
            seen,
        })
    }

    /// Which workers are parked (an odd park/unpark count) and, on a
    /// multi-thread runtime, which are not parked yet have published
    /// nothing for more than `threshold`.
    fn observe(&mut self, now: Instant, threshold: Duration) -> Observed {
        let mut observed = Observed {
            of: if self.one_by_one { self.seen.len() } else { 0 },
            ..Observed::default()
        };
        for (worker, seen) in self.seen.iter_mut().enumerate() {
            let park_unpark = self.metrics.worker_park_unpark_count(worker);
            let busy = self.metrics.worker_total_busy_duration(worker);
            let parked = park_unpark % 2 == 1;
            observed.any_parked |= parked;
            if (park_unpark, busy) != (seen.park_unpark, seen.busy) {
                *seen = Seen {
                    park_unpark,
                    busy,
                    changed_at: now,
                };
            } else if self.one_by_one
                && !parked
                && now.saturating_duration_since(seen.changed_at) > threshold
            {
                observed.frozen.push((worker, seen.changed_at));
            }
        }
        observed
    }
}

/// Without 64-bit atomics tokio has no per-worker metrics: only the ping.
#[cfg(not(target_has_atomic = "64"))]
struct Workers;

#[cfg(not(target_has_atomic = "64"))]
impl Workers {
    fn of(_: &Handle) -> Option<Workers> {
        None
    }

    fn observe(&mut self, _: Instant, _: Duration) -> Observed {
        Observed::default()
    }
}

/// What was blocked.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "tracing"), allow(dead_code))] // Only reports read it.
enum Who<'a> {
    /// The whole executor; `workers` is the number of workers of a
    /// multi-thread runtime, 0 for a current-thread one.
    Executor { workers: usize },
    /// Some workers of a multi-thread runtime, out of `of`.
    Workers { list: &'a [usize], of: usize },
}

#[cfg(feature = "tracing")]
impl fmt::Display for Who<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Who::Executor { .. } => f.write_str("executor"),
            Who::Workers { list: [one], of } => write!(f, "tokio worker {one} of {of}"),
            Who::Workers { list, of } => {
                f.write_str("tokio workers ")?;
                for (n, worker) in list.iter().enumerate() {
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

#[cfg(feature = "tracing")]
impl Who<'_> {
    fn was(&self) -> &'static str {
        match self {
            Who::Workers { list, .. } if list.len() > 1 => "were",
            _ => "was",
        }
    }

    /// What the detection adds after the time.
    fn detail(&self) -> &'static str {
        match self {
            Who::Executor { workers: 0 } => "",
            Who::Executor { .. } => ": no worker is free to poll a woken task",
            Who::Workers { .. } => {
                ": a poll there has not returned, or its polls take milliseconds each"
            }
        }
    }
}

/// Reports a stall at its detection.
#[cfg(feature = "tracing")]
fn blocked_report(who: Who<'_>, threshold: Duration, since: Instant, now: Instant) {
    let since = WallClock::of(since, now);
    tracing::warn!(
        threshold_ms = millis(threshold),
        since = %since,
        "{who} blocked for more than {} (since {since}){}",
        Human(threshold),
        who.detail(),
    );
}

/// Reports the end of a stall; with `since`, one that was only seen once
/// over.
#[cfg(feature = "tracing")]
fn recovered_report(who: Who<'_>, blocked_for: Duration, since: Option<Instant>, now: Instant) {
    match since {
        None => tracing::warn!(
            blocked_ms = millis(blocked_for),
            "{who} {} blocked for {}",
            who.was(),
            Human(blocked_for),
        ),
        Some(since) => {
            let since = WallClock::of(since, now);
            tracing::warn!(
                blocked_ms = millis(blocked_for),
                since = %since,
                "{who} {} blocked for {} (since {since})",
                who.was(),
                Human(blocked_for),
            );
        }
    }
}

#[cfg(not(feature = "tracing"))]
fn blocked_report(_: Who<'_>, _: Duration, _: Instant, _: Instant) {}

#[cfg(not(feature = "tracing"))]
fn recovered_report(_: Who<'_>, _: Duration, _: Option<Instant>, _: Instant) {}

#[cfg(feature = "tracing")]
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A duration for people: `312 ms`, `4.25 s`.
#[cfg(feature = "tracing")]
struct Human(Duration);

#[cfg(feature = "tracing")]
impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < Duration::from_secs(10) {
            write!(f, "{} ms", self.0.as_millis())
        } else {
            write!(f, "{:.2} s", self.0.as_secs_f64())
        }
    }
}

/// The UTC time of day of an `Instant` in the past: `14:03:07.412 UTC`.
#[cfg(feature = "tracing")]
struct WallClock(Option<Duration>);

#[cfg(feature = "tracing")]
impl WallClock {
    fn of(then: Instant, now: Instant) -> WallClock {
        let ago = now.saturating_duration_since(then);
        WallClock(
            SystemTime::now()
                .checked_sub(ago)
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok()),
        )
    }
}

#[cfg(feature = "tracing")]
impl fmt::Display for WallClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(since_epoch) = self.0 else {
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
