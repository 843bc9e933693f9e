//! `Watchdog`: notices when an executor stopped polling, and names what was
//! running there.
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
//!
//! A report names the blocked threads: which thread is which worker comes
//! from the heartbeat (`tokio::runtime::worker_index` where it runs) and
//! from the [`WatchdogLayer`] (the same, where a thread enters a span),
//! whichever saw it last; what a thread is in comes from the layer alone
//! (`layer.rs`).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant, SystemTime};

use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::sync::Notify;
use tokio::task::{AbortHandle, JoinHandle};

#[cfg(feature = "tracing")]
mod layer;
mod report;

#[cfg(feature = "tracing")]
pub use layer::WatchdogLayer;
use report::StallLog;
pub use report::{Blocked, Stall, StalledSpan, StalledThread};

/// Notices when a tokio executor stopped polling for longer than a
/// threshold, as asyncio's debug mode does, says what was running there, and
/// reports each stall through `tracing::warn!`, a callback and a list.
///
/// A task that blocks (a `std::thread::sleep`, a synchronous file read, a
/// long loop without `.await`) holds its executor thread, and every task
/// queued behind it waits. The watchdog makes that visible, once when the
/// stall is detected and once when the executor polls again, naming the
/// innermost `tracing` span entered on the blocked thread (when the
/// subscriber has the watchdog's [layer](Watchdog::layer)) and the thread:
///
/// ```text
/// WARN bridge_runtime::watchdog: executor blocked for more than 100 ms (since 14:03:07.412 UTC) in `handle{request=2}` (src/app.rs:42) on thread `main`
/// WARN bridge_runtime::watchdog: executor was blocked for 312 ms in `handle{request=2}` (src/app.rs:42) on thread `main`
/// ```
///
/// It counts the stalls ([`stalls`](Self::stalls)), keeps the latest
/// ([`recent_stalls`](Self::recent_stalls)), hands each report to a callback
/// of yours ([`on_stall`](Self::on_stall)), and stops when dropped.
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
/// WARN bridge_runtime::watchdog: tokio worker 2 of 4 blocked for more than 100 ms (since 14:03:09.101 UTC) in `handle{request=7}` (src/app.rs:42) on thread `tokio-rt-worker`: a poll there has not returned, or its polls take milliseconds each
/// WARN bridge_runtime::watchdog: tokio worker 2 of 4 was blocked for 277 ms in `handle{request=7}` (src/app.rs:42) on thread `tokio-rt-worker`
/// ```
///
/// # What it names
///
/// Each report names the blocked threads it can tell: the thread of a
/// current-thread runtime, the stuck workers of a multi-thread one (or all
/// its workers, when the whole executor is blocked). For each, the
/// innermost `tracing` span entered there when the stall was seen (name,
/// fields, source location), which is the `#[tracing::instrument]`ed
/// function that blocked or its closest instrumented caller; this needs the
/// [`WatchdogLayer`] in the subscriber. Without a span (no layer, nothing
/// instrumented, or no `tracing` feature) the report names the thread
/// only. A multi-thread worker is known once it has polled the
/// watchdog's heartbeat or entered a span; a report names no thread for a
/// worker that did neither.
///
/// # Where reports go
///
/// - `tracing::warn!`, on the monitor thread, with target
///   `bridge_runtime::watchdog`, to the dispatcher that was the default
///   where the watchdog was started (a scoped one set with
///   `tracing::subscriber::set_default` or `with_default` included), inside
///   the span that was current there. The detection carries the fields
///   `threshold_ms` and `since` (UTC time of day), the recovery
///   `blocked_ms`; both carry `thread` (its name), `span` (the span's name),
///   `span_fields` and `span_location` (`file:line`) of the first blocked
///   thread that was in a span (or of the first blocked thread), each only
///   when known; the message names every blocked thread. A stall that ends
///   between passing the threshold and the next check is reported once, at
///   its end, with `blocked_ms` and `since`, naming what ran at the last
///   check before.
/// - [`on_stall`](Self::on_stall): your callback, given a [`Stall`] with
///   each of these reports.
/// - [`recent_stalls`](Self::recent_stalls): the last 32 stalls, each as of
///   its latest report.
///
/// Without the `tracing` feature the watchdog still counts, calls back and
/// keeps the recent stalls, naming threads only.
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
/// 2-vCPU virtual machine, where a thread wake-up costs about 50 µs: 0.1 to
/// 0.3% of one CPU at [`DEFAULT_THRESHOLD`](Self::DEFAULT_THRESHOLD), 0.6
/// to 2% at 10 ms
/// (`cargo run --release -p bridge-runtime --example watchdog_cost`
/// measures it on yours, and what the [`WatchdogLayer`] adds to a span's
/// enter and exit). The cost grows as the threshold shrinks.
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
/// - **The span named is the innermost entered when the stall was seen**:
///   a blocking call made outside any instrumented function is blamed on
///   the closest instrumented caller (or on none), and a worker handed
///   over by `tokio::task::block_in_place` may be named after the thread
///   that left it until the new one polls an instrumented task or the
///   heartbeat.
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
#[must_use = "the watchdog stops when dropped: keep it in a named binding (`let _watchdog = ...`), not `let _ = ...`"]
pub struct Watchdog {
    log: Arc<StallLog>,
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
    /// `threshold / 4`. Its reports go to the `tracing` dispatcher that is
    /// the default here, inside the span that is current here.
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
        let runtime = Shape::of(&handle);
        let pulse = Arc::new(Pulse::new(runtime.workers));
        // Known before the heartbeat first runs, in case this very poll
        // blocks: the thread starting a watchdog on a current-thread runtime
        // is the one that drives it.
        pulse.note_thread();
        let log = Arc::new(StallLog::new());
        let heartbeat = handle.spawn(heartbeat(pulse.clone()));
        let abort = heartbeat.abort_handle();
        let (stop, stopped) = mpsc::channel();
        let monitor = Monitor {
            pulse,
            log: log.clone(),
            threshold,
            heartbeat,
            stopped,
            outstanding: None,
            workers: Workers::of(&handle),
            runtime,
            episode: None,
            suspects: Vec::new(),
        };
        // Reports go to the default dispatcher where the watchdog started,
        // inside the span current there; with no subscriber here (yet), to
        // whichever is the global one when they are made.
        #[cfg(feature = "tracing")]
        let context = crate::trace::Context::capture();
        let monitor = thread::Builder::new()
            .name("bridge-watchdog".into())
            .spawn(move || {
                #[cfg(feature = "tracing")]
                return context.in_scope(move || monitor.run());
                #[cfg(not(feature = "tracing"))]
                monitor.run()
            })
            .unwrap_or_else(|e| {
                abort.abort();
                panic!("bridge: could not start the `bridge-watchdog` thread: {e}")
            });
        Watchdog {
            log,
            threshold,
            stop: Some(stop),
            monitor: Some(monitor),
            heartbeat: abort,
        }
    }

    /// The layer to add to your `tracing` subscriber so that stall reports
    /// name the span the blocked thread was in; see [`WatchdogLayer`].
    ///
    /// One layer serves every watchdog of the process. It needs the
    /// subscriber to be a `tracing_subscriber` registry, the usual base
    /// (`tracing_subscriber::registry()`, or `tracing_subscriber::fmt()`
    /// through `.with(..)` on its `finish()`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use bridge_runtime::Watchdog;
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// #[tracing::instrument]
    /// async fn handle(request: u32) {
    ///     std::thread::sleep(Duration::from_millis(300)); // the mistake
    /// }
    ///
    /// // In a program: `.with(tracing_subscriber::fmt::layer()).init()`.
    /// let subscriber = tracing_subscriber::registry().with(Watchdog::layer());
    /// let _default = tracing::subscriber::set_default(subscriber);
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
    /// let watchdog = Watchdog::start(Watchdog::DEFAULT_THRESHOLD);
    /// handle(2).await;
    /// tokio::time::sleep(Duration::from_millis(200)).await;
    ///
    /// let stall = &watchdog.recent_stalls()[0];
    /// let span = stall.threads[0].span.as_ref().expect("the span it blocked in");
    /// assert_eq!(span.to_string(), "handle{request=2}");
    /// assert_eq!((span.file, span.line.is_some()), (Some(file!()), true));
    /// # });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "tracing")]
    pub fn layer() -> WatchdogLayer {
        WatchdogLayer::new()
    }

    /// Hands each report of a stall to `callback`, to feed metrics or
    /// alerts: once at its detection ([`Stall::ongoing`], with the duration
    /// so far), again each time it is seen to block more (more workers, or
    /// the whole executor), and once at its end, with its full duration. A
    /// stall seen only once over gives one call. Replaces the callback set
    /// before, if any.
    ///
    /// The callback runs on the watchdog's monitor thread: a slow one delays
    /// the next look at the runtime. A panic in it is caught (the panic hook
    /// prints it) and the watchdog goes on.
    ///
    /// ```
    /// use std::time::Duration;
    /// use bridge_runtime::Watchdog;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let (alerts, received) = std::sync::mpsc::channel();
    /// let watchdog = Watchdog::start(Watchdog::DEFAULT_THRESHOLD).on_stall(move |stall| {
    ///     let _ = alerts.send(stall.clone()); // or: a metric, a page
    /// });
    ///
    /// std::thread::sleep(Duration::from_millis(300));
    /// tokio::time::sleep(Duration::from_millis(200)).await;
    ///
    /// let reports: Vec<_> = received.try_iter().collect();
    /// assert!(reports.iter().all(|stall| stall.number == 1));
    /// let last = reports.last().expect("a report");
    /// assert!(!last.ongoing && last.duration >= Duration::from_millis(100));
    /// # drop(watchdog);
    /// # }
    /// ```
    pub fn on_stall(self, callback: impl FnMut(&Stall) + Send + 'static) -> Watchdog {
        self.log.set_callback(Box::new(callback));
        self
    }

    /// The last 32 stalls, oldest first, each as of its latest report: one
    /// still going on is there with [`Stall::ongoing`] set and its duration
    /// so far.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let watchdog = bridge_runtime::Watchdog::start(Duration::from_millis(100));
    /// assert!(watchdog.recent_stalls().is_empty());
    ///
    /// std::thread::sleep(Duration::from_millis(300));
    /// tokio::time::sleep(Duration::from_millis(200)).await;
    ///
    /// let stalls = watchdog.recent_stalls();
    /// assert_eq!(stalls.len(), 1);
    /// println!("{}", stalls[0]); // executor was blocked for 3.. ms (since ..) on thread `main`
    /// # }
    /// ```
    pub fn recent_stalls(&self) -> Vec<Stall> {
        self.log.recent()
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
        self.log.count()
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

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The next number in the order in which threads were seen becoming
/// workers, by the heartbeat or by the layer: of two threads seen as the
/// same worker, the later one is it now. Also noted as the latest sighting
/// of `worker` (of whatever runtime: see [`seen_since`]).
fn next_sighting(worker: usize) -> u64 {
    static SIGHTINGS: AtomicU64 = AtomicU64::new(0);
    let order = SIGHTINGS.fetch_add(1, Ordering::Relaxed) + 1;
    if let Some(latest) = LATEST_SIGHTING.get(worker) {
        latest.fetch_max(order, Ordering::Relaxed);
    }
    order
}

/// By worker index, the order of the latest sighting of a thread as that
/// worker, of any runtime (runtimes sharing an index only make a thread
/// claim its worker again sooner than it needs to).
static LATEST_SIGHTING: [AtomicU64; 64] = [const { AtomicU64::new(0) }; 64];

/// Whether another thread may have been seen as `worker` since a sighting
/// of order `order`: a thread that left the worker (`block_in_place`) and
/// came back to the same index must be seen again, or the one that was the
/// worker in between would be taken for it. A read of one shared number.
#[cfg(feature = "tracing")]
fn seen_since(worker: usize, order: u64) -> bool {
    LATEST_SIGHTING
        .get(worker)
        .is_none_or(|latest| latest.load(Ordering::Relaxed) > order)
}

/// What the heartbeat task and the monitor thread exchange: the pings, their
/// answers, and which thread the heartbeat ran on as each worker.
struct Pulse {
    /// Wakes the heartbeat task.
    ping: Notify,
    /// The number of the last ping sent.
    ping_seq: AtomicU64,
    /// The last ping the heartbeat answered, and when.
    pong: Mutex<Pong>,
    /// For each worker (one on a current-thread runtime), the thread last
    /// seen being it.
    threads: Mutex<Vec<Option<Sighting>>>,
}

#[derive(Clone, Copy)]
struct Pong {
    seq: u64,
    at: Instant,
}

/// A thread seen being a worker.
#[derive(Clone)]
struct Sighting {
    id: ThreadId,
    name: Option<Arc<str>>,
    /// See [`next_sighting`].
    order: u64,
}

impl Pulse {
    fn new(workers: usize) -> Pulse {
        Pulse {
            ping: Notify::new(),
            ping_seq: AtomicU64::new(0),
            pong: Mutex::new(Pong {
                seq: 0,
                at: Instant::now(),
            }),
            threads: Mutex::new(vec![None; workers]),
        }
    }

    fn pong(&self) -> Pong {
        *lock(&self.pong)
    }

    /// Notes which worker the calling thread is, if it is one.
    fn note_thread(&self) {
        let Some(worker) = tokio::runtime::worker_index() else {
            return;
        };
        let current = thread::current();
        let mut threads = lock(&self.threads);
        let Some(slot) = threads.get_mut(worker) else {
            return;
        };
        if slot.as_ref().is_none_or(|seen| seen.id != current.id()) {
            *slot = Some(Sighting {
                id: current.id(),
                name: current.name().map(Arc::from),
                order: next_sighting(worker),
            });
        }
    }

    fn sightings(&self) -> Vec<Option<Sighting>> {
        lock(&self.threads).clone()
    }
}

/// The task on the watched runtime: answers each ping as soon as it is
/// polled, and notes which thread it runs on.
async fn heartbeat(pulse: Arc<Pulse>) {
    loop {
        pulse.ping.notified().await;
        let seq = pulse.ping_seq.load(Ordering::Acquire);
        *lock(&pulse.pong) = Pong {
            seq,
            at: Instant::now(),
        };
        pulse.note_thread();
    }
}

/// The watched runtime.
struct Shape {
    id: tokio::runtime::Id,
    /// Its number of workers: 1 for a current-thread runtime.
    workers: usize,
    multi_thread: bool,
}

impl Shape {
    fn of(handle: &Handle) -> Shape {
        let multi_thread = handle.runtime_flavor() == RuntimeFlavor::MultiThread;
        Shape {
            id: handle.id(),
            workers: if multi_thread {
                handle.metrics().num_workers()
            } else {
                1
            },
            multi_thread,
        }
    }

    /// What `workers` are, for a report.
    fn blocked(&self, executor: bool, workers: &[usize]) -> Blocked {
        if executor {
            Blocked::Executor
        } else {
            Blocked::Workers {
                indices: workers.to_vec(),
                of: self.workers,
            }
        }
    }
}

#[derive(Clone, Copy)]
struct Ping {
    seq: u64,
    sent: Instant,
}

/// What the ping says at one check.
#[derive(Default)]
struct PingNews {
    /// Unanswered for longer than the threshold: the executor is blocked
    /// since it was sent.
    late_since: Option<Instant>,
    /// Answered since the last check, at that time.
    answered_at: Option<Instant>,
    /// Answered since the last check after waiting longer than the
    /// threshold: sent and answered at those times.
    answered_late: Option<(Instant, Instant)>,
    /// Waiting, and not late yet.
    pending: bool,
}

/// What one check concludes.
struct Verdict {
    /// The whole executor is blocked, since then.
    executor_since: Option<Instant>,
    /// The workers stuck, with since when.
    frozen: Vec<(usize, Instant)>,
}

impl Verdict {
    fn of(frozen: Vec<(usize, Instant)>, ping: &PingNews) -> Verdict {
        let mut executor_since = ping.late_since;
        if !frozen.is_empty() {
            // A ping answered late since the last check: the executor was
            // blocked, and some workers still are.
            executor_since = executor_since.or(ping.answered_late.map(|(sent, _)| sent));
        }
        Verdict {
            executor_since,
            frozen,
        }
    }

    fn blocked(&self) -> bool {
        self.executor_since.is_some() || !self.frozen.is_empty()
    }

    fn frozen_workers(&self) -> Vec<usize> {
        self.frozen.iter().map(|&(worker, _)| worker).collect()
    }
}

/// A stall being reported: from its detection to the check that sees
/// everything polling again.
struct Episode {
    /// Its number among this watchdog's stalls.
    number: u64,
    start: Instant,
    /// `start` on the wall clock, read once so that every report of the
    /// stall gives the same.
    started: SystemTime,
    /// The whole executor was seen blocked.
    executor: bool,
    /// The workers reported blocked one by one.
    workers: Vec<usize>,
    /// The blocked threads named so far.
    threads: Vec<StalledThread>,
}

/// The state of the `bridge-watchdog` thread.
struct Monitor {
    pulse: Arc<Pulse>,
    log: Arc<StallLog>,
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
    runtime: Shape,
    episode: Option<Episode>,
    /// What the runtime's threads were in at the last check that found the
    /// ping waiting: what to name if it turns out to have been a stall.
    suspects: Vec<StalledThread>,
}

impl Monitor {
    fn run(mut self) {
        let period = self.threshold / 4;
        while let Err(RecvTimeoutError::Timeout) = self.stopped.recv_timeout(period) {
            if self.heartbeat.is_finished() {
                // The runtime shut down: nothing left to watch. A stall
                // under way ended with it, when its threads were let go.
                if let Some(episode) = self.episode.take() {
                    self.publish(&episode, Instant::now(), false);
                }
                return;
            }
            self.check(Instant::now());
        }
    }

    /// One look at the runtime: the workers, the ping, then what that means
    /// for the stall under way, if any.
    fn check(&mut self, now: Instant) {
        let seen = match &mut self.workers {
            Some(workers) => workers.observe(now, self.threshold),
            None => Observed::default(),
        };
        let ping = self.read_ping(now);
        self.send_ping(now, seen.any_parked);
        let verdict = Verdict::of(seen.frozen, &ping);

        match (self.episode.take(), verdict.blocked()) {
            // While the ping is pending, stuck workers may be the whole
            // executor: wait for its verdict before reporting them, so that
            // a stall is reported once, at its full extent.
            (None, true) if verdict.executor_since.is_none() && ping.pending => {}
            (None, true) => self.episode = Some(self.begin(&verdict, now)),
            (Some(episode), true) => self.episode = Some(self.widen(episode, &verdict, &ping, now)),
            (Some(episode), false) => self.end(episode, &ping, now),
            (None, false) => {
                if let Some((sent, answered)) = ping.answered_late {
                    self.report_missed(sent, answered, now);
                }
            }
        }

        if ping.pending || ping.late_since.is_some() {
            self.suspects = self.threads_of(&self.executor_workers(&verdict.frozen_workers()));
        } else {
            self.suspects.clear();
        }
    }

    /// Whether the outstanding ping was answered, in time or late, or is
    /// still waiting.
    fn read_ping(&mut self, now: Instant) -> PingNews {
        let mut news = PingNews::default();
        let Some(ping) = self.outstanding else {
            return news;
        };
        let pong = self.pulse.pong();
        if pong.seq >= ping.seq {
            self.outstanding = None;
            news.answered_at = Some(pong.at);
            if pong.at.saturating_duration_since(ping.sent) > self.threshold {
                news.answered_late = Some((ping.sent, pong.at));
            }
        } else if now.saturating_duration_since(ping.sent) > self.threshold {
            news.late_since = Some(ping.sent);
        } else {
            news.pending = true;
        }
        news
    }

    /// Sends a ping unless one is outstanding or a worker is parked.
    fn send_ping(&mut self, now: Instant, any_parked: bool) {
        match self.outstanding {
            // A parked worker would pick up a woken task at once: no need to
            // wake the runtime to prove it, which keeps an idle runtime idle.
            None if any_parked => {}
            None => {
                let seq = self.pulse.ping_seq.fetch_add(1, Ordering::AcqRel) + 1;
                self.outstanding = Some(Ping { seq, sent: now });
                self.pulse.ping.notify_one();
            }
            // Waking it again is free if it is already scheduled, and makes
            // the answer independent of how `Notify` orders memory.
            Some(_) => self.pulse.ping.notify_one(),
        }
    }

    /// A stall is seen: counts and reports it.
    fn begin(&mut self, verdict: &Verdict, now: Instant) -> Episode {
        let first_worker = verdict.frozen.iter().map(|&(_, since)| since).min();
        let start = earliest(verdict.executor_since, first_worker).unwrap_or(now);
        let executor = verdict.executor_since.is_some();
        let workers = verdict.frozen_workers();
        let threads = if executor {
            self.threads_of(&self.executor_workers(&workers))
        } else {
            self.threads_of(&workers)
        };
        let episode = Episode {
            number: self.log.count_one(),
            start,
            started: wall_clock(start, now),
            executor,
            workers,
            threads,
        };
        let blocked = self.runtime.blocked(executor, &episode.workers);
        self.report_blocked(&blocked, episode.started, &episode.threads);
        self.publish(&episode, now, true);
        episode
    }

    /// A stall goes on: reports what it blocks beyond what was reported,
    /// the whole executor or more workers.
    fn widen(
        &mut self,
        mut episode: Episode,
        verdict: &Verdict,
        ping: &PingNews,
        now: Instant,
    ) -> Episode {
        if let Some(since) = verdict.executor_since.filter(|_| !episode.executor) {
            episode.executor = true;
            let threads = self.threads_of(&self.executor_workers(&verdict.frozen_workers()));
            self.report_blocked(&Blocked::Executor, wall_clock(since, now), &threads);
            merge(&mut episode.threads, threads);
            self.publish(&episode, now, true);
        } else if !episode.executor && !ping.pending {
            let new: Vec<(usize, Instant)> = verdict
                .frozen
                .iter()
                .copied()
                .filter(|(worker, _)| !episode.workers.contains(worker))
                .collect();
            if let Some(since) = new.iter().map(|&(_, since)| since).min() {
                let list: Vec<usize> = new.iter().map(|&(worker, _)| worker).collect();
                let threads = self.threads_of(&list);
                let blocked = self.runtime.blocked(false, &list);
                self.report_blocked(&blocked, wall_clock(since, now), &threads);
                episode.workers.extend(list);
                merge(&mut episode.threads, threads);
                self.publish(&episode, now, true);
            }
        }
        episode.executor |= ping.answered_late.is_some();
        episode
    }

    /// Everything polls again: reports how long the stall lasted.
    fn end(&mut self, mut episode: Episode, ping: &PingNews, now: Instant) {
        episode.executor |= ping.answered_late.is_some();
        // The answer to the ping dates the end of a whole-executor stall to
        // the microsecond; a worker's end is seen here.
        let end = match ping.answered_at {
            Some(at) if episode.workers.is_empty() => at,
            _ => now,
        };
        let blocked = self.runtime.blocked(episode.executor, &episode.workers);
        let blocked_for = end.saturating_duration_since(episode.start);
        report::recovered(&blocked, blocked_for, None, &episode.threads);
        self.publish(&episode, end, false);
    }

    /// A ping answered late although nothing looked blocked at the last
    /// check: a stall that passed the threshold and ended between two
    /// checks. Counted and reported once, naming what ran at the last
    /// check.
    fn report_missed(&mut self, sent: Instant, answered: Instant, now: Instant) {
        let episode = Episode {
            number: self.log.count_one(),
            start: sent,
            started: wall_clock(sent, now),
            executor: true,
            workers: Vec::new(),
            threads: std::mem::take(&mut self.suspects),
        };
        let blocked_for = answered.saturating_duration_since(sent);
        let (since, threads) = (Some(episode.started), &episode.threads);
        report::recovered(&Blocked::Executor, blocked_for, since, threads);
        self.publish(&episode, answered, false);
    }

    fn report_blocked(&self, blocked: &Blocked, since: SystemTime, threads: &[StalledThread]) {
        let multi_thread = self.runtime.multi_thread;
        report::blocked(blocked, self.threshold, since, threads, multi_thread);
    }

    /// Keeps the episode's latest news and tells the user's callback.
    fn publish(&self, episode: &Episode, until: Instant, ongoing: bool) {
        self.log.publish(Stall {
            number: episode.number,
            start: episode.started,
            duration: until.saturating_duration_since(episode.start),
            ongoing,
            blocked: self.runtime.blocked(episode.executor, &episode.workers),
            threads: episode.threads.clone(),
        });
    }

    /// The workers to name when the whole executor is blocked: those seen
    /// stuck, or all of them when none is (or without metrics).
    fn executor_workers(&self, frozen: &[usize]) -> Vec<usize> {
        if frozen.is_empty() {
            (0..self.runtime.workers).collect()
        } else {
            frozen.to_vec()
        }
    }

    /// The threads that are `workers` now, each with the span it is in,
    /// leaving out the workers whose thread is unknown.
    fn threads_of(&self, workers: &[usize]) -> Vec<StalledThread> {
        let sightings = self.pulse.sightings();
        let claims = layer::workers(self.runtime.id, workers);
        workers
            .iter()
            .zip(claims)
            .filter_map(|(&worker, claim)| {
                let seen = sightings.get(worker).cloned().flatten();
                // Of the heartbeat's sighting and the layer's, the later
                // one is the thread that is the worker now.
                let spans = match (claim, &seen) {
                    (Some((order, _)), Some(seen)) if seen.order > order => layer::thread(seen.id),
                    (Some((_, spans)), _) => Some(spans),
                    (None, Some(seen)) => layer::thread(seen.id),
                    (None, None) => None,
                };
                match (spans, seen) {
                    (Some(spans), _) => Some(StalledThread {
                        id: spans.id(),
                        name: spans.name().map(String::from),
                        worker,
                        span: spans.innermost(),
                    }),
                    (None, Some(seen)) => Some(StalledThread {
                        id: seen.id,
                        name: seen.name.as_deref().map(String::from),
                        worker,
                        span: None,
                    }),
                    (None, None) => None,
                }
            })
            .collect()
    }
}

/// Adds the threads of `more` that `threads` does not have yet.
fn merge(threads: &mut Vec<StalledThread>, more: Vec<StalledThread>) {
    for thread in more {
        if !threads.iter().any(|t| t.worker == thread.worker) {
            threads.push(thread);
        }
    }
}

/// The time on the wall clock of an `Instant` in the past.
fn wall_clock(then: Instant, now: Instant) -> SystemTime {
    let ago = now.saturating_duration_since(then);
    SystemTime::now()
        .checked_sub(ago)
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// Without the `tracing` feature no thread's spans are known.
#[cfg(not(feature = "tracing"))]
mod layer {
    use std::sync::Arc;
    use std::thread::ThreadId;

    use super::StalledSpan;

    pub(super) enum ThreadSpans {}

    impl ThreadSpans {
        pub(super) fn id(&self) -> ThreadId {
            match *self {}
        }

        pub(super) fn name(&self) -> Option<&str> {
            match *self {}
        }

        pub(super) fn innermost(&self) -> Option<StalledSpan> {
            match *self {}
        }
    }

    pub(super) fn thread(_: ThreadId) -> Option<Arc<ThreadSpans>> {
        None
    }

    pub(super) fn workers(
        _: tokio::runtime::Id,
        workers: &[usize],
    ) -> Vec<Option<(u64, Arc<ThreadSpans>)>> {
        workers.iter().map(|_| None).collect()
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
        let mut observed = Observed::default();
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
