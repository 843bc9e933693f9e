//! The two kinds of pool: [`IoPool`] on tokio's blocking threads, [`CpuPool`] on rayon.

use std::fmt;
use std::future::Future;
use std::sync::OnceLock;

use tokio::sync::Semaphore;

use crate::call::{Pool, PoolCall, Taken};
use crate::job::{Job, Slot};
use crate::shared_runtime;
use crate::stats::{Counters, PoolStats};

/// The timing switches, the same for both kinds of pool.
macro_rules! timing_methods {
    ($kind:ident, $declare:literal, $name:ident) => {
        /// The same pool, measuring times from the start: each call reads the
        /// clock when submitted, when its body starts and when it ends, for the
        /// `queue_wait` and `run_time` of [`stats`](Self::stats). See
        /// [`set_timing`](Self::set_timing) for what that costs.
        ///
        /// ```
        #[doc = $declare]
        #[doc = concat!("assert!(", stringify!($name), ".timing());")]
        /// ```
        pub const fn timed(mut self) -> Self {
            self.counters = Counters::timed_from_start();
            self
        }

        /// Turns the measuring of `queue_wait` and `run_time` on or off; the
        /// counts are always kept. Off by default, as tokio's poll-time
        /// histogram is: three clock reads a call, one of them on the path from
        /// a woken pool thread to the body, add about a microsecond to a trivial
        /// call on a virtual machine (see BENCHMARKS.md), which matters for
        /// short bodies and not for long ones.
        ///
        /// ```
        /// # futures::executor::block_on(async {
        #[doc = concat!("let pool = bridge_runtime::", stringify!($kind), "::global();")]
        /// pool.set_timing(true);
        /// pool.run(|| std::thread::sleep(std::time::Duration::from_millis(1))).await;
        /// assert!(pool.stats().run_time > std::time::Duration::ZERO);
        /// pool.set_timing(false);
        /// # });
        /// ```
        pub fn set_timing(&self, on: bool) {
            self.counters.set_timing(on);
        }

        /// Whether the pool measures `queue_wait` and `run_time`; see
        /// [`set_timing`](Self::set_timing).
        ///
        /// ```
        #[doc = concat!("assert!(!bridge_runtime::", stringify!($kind), "::global().timing());")]
        /// ```
        pub fn timing(&self) -> bool {
            self.counters.timing()
        }
    };
}

/// A named pool for blocking I/O: bodies run on the blocking threads of the
/// current tokio runtime (or of the [shared runtime](crate::set_runtime) when
/// there is none), at most `size` at a time.
///
/// Declare it as a `static` and name it in `#[offload(io, pool = NAME)]`, or
/// call [`run`](Self::run) directly. The limit is the point: a database that
/// takes four connections gets at most four queries at once, and the fifth
/// caller waits asynchronously, without holding a thread. Calls start in the
/// order they were submitted.
///
/// The default pool, used by `#[offload(io)]` without `pool =` and by
/// [`io`](crate::io), is [`IoPool::global`]: no limit of its own beyond
/// tokio's blocking-thread cap.
///
/// # Examples
///
/// ```
/// use bridge_runtime::{IoPool, offload};
///
/// static DB: IoPool = IoPool::new("db", 4);
///
/// #[offload(io, pool = DB)]
/// fn query(id: u32) -> String {
///     format!("row {id}") // a blocking driver call in real code
/// }
///
/// # #[tokio::main] async fn main() {
/// assert_eq!(query(7).await, "row 7");
/// assert_eq!(DB.stats().completed, 1);
/// # }
/// ```
///
/// A size of zero is refused when the `static` is compiled:
///
/// ```compile_fail
/// static NONE: bridge_runtime::IoPool = bridge_runtime::IoPool::new("none", 0);
/// ```
pub struct IoPool {
    name: &'static str,
    limit: Option<Semaphore>,
    size: usize,
    counters: Counters,
}

static GLOBAL_IO: IoPool = IoPool {
    name: "io",
    limit: None,
    size: 0,
    counters: Counters::new(),
};

impl IoPool {
    /// A pool named `name` that runs at most `size` bodies at once.
    ///
    /// # Panics
    ///
    /// If `size` is 0. In a `static` (the intended use) that is a compile
    /// error, not a run-time panic.
    pub const fn new(name: &'static str, size: usize) -> Self {
        assert!(
            size > 0,
            "an IoPool needs a size of at least 1: it is the number of bodies that may run at once"
        );
        assert!(
            size <= Semaphore::MAX_PERMITS,
            "an IoPool's size must be at most tokio's Semaphore::MAX_PERMITS"
        );
        IoPool {
            name,
            limit: Some(Semaphore::const_new(size)),
            size,
            counters: Counters::new(),
        }
    }

    /// The default I/O pool: tokio's blocking pool with no limit of its own.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let before = bridge_runtime::IoPool::global().stats().completed;
    /// bridge_runtime::io(|| ()).await;
    /// assert!(bridge_runtime::IoPool::global().stats().completed > before);
    /// # }
    /// ```
    pub fn global() -> &'static IoPool {
        &GLOBAL_IO
    }

    /// The pool's name.
    ///
    /// ```
    /// static DB: bridge_runtime::IoPool = bridge_runtime::IoPool::new("db", 4);
    /// assert_eq!(DB.name(), "db");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// How many bodies may run at once, or `None` for the unlimited [`global`](Self::global) pool.
    ///
    /// ```
    /// static DB: bridge_runtime::IoPool = bridge_runtime::IoPool::new("db", 4);
    /// assert_eq!(DB.size(), Some(4));
    /// assert_eq!(bridge_runtime::IoPool::global().size(), None);
    /// ```
    pub fn size(&self) -> Option<usize> {
        self.limit.as_ref().map(|_| self.size)
    }

    timing_methods!(
        IoPool,
        r#"static DB: bridge_runtime::IoPool = bridge_runtime::IoPool::new("db", 4).timed();"#,
        DB
    );

    /// A snapshot of the pool's counters; see [`PoolStats`].
    ///
    /// ```
    /// static FILES: bridge_runtime::IoPool = bridge_runtime::IoPool::new("files", 2);
    /// assert_eq!(FILES.stats().submitted, 0);
    /// ```
    pub fn stats(&self) -> PoolStats {
        self.counters.snapshot_of(self.size())
    }

    /// Runs `f` on this pool and resolves to its result: what
    /// `#[offload(io, pool = ..)]` expands to.
    ///
    /// Nothing happens until the future is first polled. If the future is
    /// dropped before `f` has started, `f` never runs; once started, `f` can
    /// ask [`cancelled`](crate::cancelled) whether its caller is still there,
    /// and otherwise runs to completion and its result is dropped. A panic in
    /// `f` resumes in the task that awaits, with its original payload.
    ///
    /// # Examples
    ///
    /// ```
    /// static FILES: bridge_runtime::IoPool = bridge_runtime::IoPool::new("files", 2);
    ///
    /// # #[tokio::main] async fn main() {
    /// let len = FILES.run(|| std::fs::read("Cargo.toml").map(|b| b.len())).await;
    /// assert!(len.unwrap() > 0);
    /// # }
    /// ```
    pub fn run<F, R>(&'static self, f: F) -> impl Future<Output = R> + Send + 'static
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.run_named(std::any::type_name::<F>(), f)
    }

    /// Builds an iterator with `make` on this pool, drains it there, and
    /// streams its items. While the buffer is full, the producer holds
    /// neither a thread nor a slot of the pool. See
    /// [`OffloadStream`](crate::OffloadStream).
    ///
    /// ```
    /// static FILES: bridge_runtime::IoPool = bridge_runtime::IoPool::new("files", 1);
    ///
    /// # #[tokio::main] async fn main() {
    /// let mut squares = std::pin::pin!(FILES.run_iter(|| (1..=3u32).map(|n| n * n)));
    /// let mut seen = Vec::new();
    /// while let Some(n) = std::future::poll_fn(|cx| squares.as_mut().poll_next(cx)).await {
    ///     seen.push(n);
    /// }
    /// assert_eq!(seen, [1, 4, 9]);
    /// # use futures_core::Stream;
    /// # }
    /// ```
    pub fn run_iter<F, I>(&'static self, make: F) -> crate::OffloadStream<I::Item>
    where
        F: FnOnce() -> I + Send + 'static,
        I: IntoIterator + 'static,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
    {
        crate::stream::on_pool(self, std::any::type_name::<F>(), make)
    }

    pub(crate) fn run_named<F, R>(&'static self, what: &'static str, f: F) -> PoolCall<Self, F, R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        PoolCall::new(self, what, f)
    }

    /// Hands a job to tokio's blocking pool (the current runtime's, or the
    /// shared one).
    fn hand_over<F, R>(job: Job<F, R, Slot>)
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let handle = shared_runtime::current_or_shared();
        // The JoinHandle is not needed: the result comes back through the
        // job's channel, and a job the runtime drops unrun closes it.
        drop(handle.spawn_blocking(move || job.run()));
    }
}

impl Pool for IoPool {
    fn looks_again() -> bool {
        false
    }

    const TOKIO_SEES_THE_BODY: bool = true;

    fn take<F, R>(&'static self, what: &'static str, body: F) -> Taken<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (mut job, completion) = Job::<_, _, Slot>::new(body, &self.counters, what);
        let Some(limit) = &self.limit else {
            Self::hand_over(job);
            return Taken::Running(completion);
        };
        // tokio's semaphore hands released slots to waiters first, so a
        // free slot here jumps no queue.
        if let Ok(permit) = limit.try_acquire() {
            job.hold(Some(permit));
            Self::hand_over(job);
            return Taken::Running(completion);
        }
        // Waits without a thread; dropping the wait drops the job unrun,
        // which counts it as cancelled.
        let wait = async move {
            job.hold(limit.acquire().await.ok());
            Self::hand_over(job);
        };
        Taken::Queued(completion, Box::pin(wait))
    }
}

impl fmt::Debug for IoPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoPool")
            .field("name", &self.name)
            .field("size", &self.size())
            .field("stats", &self.stats())
            .finish()
    }
}

/// A named pool for CPU-heavy work: a rayon thread pool of `threads` threads
/// (named `NAME-0`, `NAME-1`, …), built the first time a body runs on it.
///
/// The default pool, used by `#[offload(cpu)]` without `pool =` and by
/// [`cpu`](crate::cpu), is [`CpuPool::global`]: rayon's global pool.
///
/// A panic in a body never reaches rayon (whose default is to abort the
/// process): it resumes in the task that awaits, with its original payload.
///
/// # Examples
///
/// ```
/// use bridge_runtime::{CpuPool, offload};
///
/// static HEAVY: CpuPool = CpuPool::new("heavy", 2);
///
/// #[offload(cpu, pool = HEAVY)]
/// fn fib(n: u64) -> u64 {
///     if n < 2 { n } else { (1..n).fold((0, 1), |(a, b), _| (b, a + b)).1 }
/// }
///
/// # futures::executor::block_on(async {
/// assert_eq!(fib(50).await, 12_586_269_025);
/// assert_eq!(HEAVY.stats().completed, 1);
/// # });
/// ```
///
/// A size of zero is refused when the `static` is compiled:
///
/// ```compile_fail
/// static NONE: bridge_runtime::CpuPool = bridge_runtime::CpuPool::new("none", 0);
/// ```
pub struct CpuPool {
    name: &'static str,
    threads: usize,
    pool: OnceLock<rayon::ThreadPool>,
    counters: Counters,
}

static GLOBAL_CPU: CpuPool = CpuPool {
    name: "cpu",
    threads: 0,
    pool: OnceLock::new(),
    counters: Counters::new(),
};

impl CpuPool {
    /// A pool named `name` of `threads` rayon threads, started on first use.
    ///
    /// # Panics
    ///
    /// If `threads` is 0. In a `static` (the intended use) that is a compile
    /// error, not a run-time panic.
    pub const fn new(name: &'static str, threads: usize) -> Self {
        assert!(
            threads > 0,
            "a CpuPool needs at least 1 thread: its size is the number of rayon threads it starts"
        );
        CpuPool {
            name,
            threads,
            pool: OnceLock::new(),
            counters: Counters::new(),
        }
    }

    /// The default CPU pool: rayon's global thread pool.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let before = bridge_runtime::CpuPool::global().stats().completed;
    /// assert_eq!(bridge_runtime::cpu(|| 6 * 7).await, 42);
    /// assert!(bridge_runtime::CpuPool::global().stats().completed > before);
    /// # });
    /// ```
    pub fn global() -> &'static CpuPool {
        &GLOBAL_CPU
    }

    /// The pool's name.
    ///
    /// ```
    /// static HEAVY: bridge_runtime::CpuPool = bridge_runtime::CpuPool::new("heavy", 2);
    /// assert_eq!(HEAVY.name(), "heavy");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The number of threads, or `None` for the [`global`](Self::global)
    /// pool, whose size rayon decides.
    ///
    /// ```
    /// static HEAVY: bridge_runtime::CpuPool = bridge_runtime::CpuPool::new("heavy", 2);
    /// assert_eq!(HEAVY.threads(), Some(2));
    /// ```
    pub fn threads(&self) -> Option<usize> {
        (self.threads > 0).then_some(self.threads)
    }

    timing_methods!(
        CpuPool,
        r#"static HEAVY: bridge_runtime::CpuPool = bridge_runtime::CpuPool::new("heavy", 2).timed();"#,
        HEAVY
    );

    /// A snapshot of the pool's counters; see [`PoolStats`].
    ///
    /// ```
    /// static HEAVY: bridge_runtime::CpuPool = bridge_runtime::CpuPool::new("heavy", 2);
    /// assert_eq!(HEAVY.stats().completed, 0);
    /// ```
    pub fn stats(&self) -> PoolStats {
        self.counters.snapshot_of(self.threads())
    }

    /// Runs `f` on this pool and resolves to its result: what
    /// `#[offload(cpu, pool = ..)]` expands to.
    ///
    /// Lazy, cancellable before start and panic-transparent, like
    /// [`IoPool::run`]. Needs no tokio runtime.
    ///
    /// # Panics
    ///
    /// The first call panics if the operating system refuses to start the
    /// pool's threads.
    ///
    /// # Examples
    ///
    /// ```
    /// static HEAVY: bridge_runtime::CpuPool = bridge_runtime::CpuPool::new("heavy", 2);
    ///
    /// # futures::executor::block_on(async {
    /// let primes = HEAVY.run(|| (2..1000u32).filter(|n| (2..*n).all(|d| n % d != 0)).count()).await;
    /// assert_eq!(primes, 168);
    /// # });
    /// ```
    pub fn run<F, R>(&'static self, f: F) -> impl Future<Output = R> + Send + 'static
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.run_named(std::any::type_name::<F>(), f)
    }

    pub(crate) fn run_named<F, R>(&'static self, what: &'static str, f: F) -> PoolCall<Self, F, R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        PoolCall::new(self, what, f)
    }

    /// Builds an iterator with `make` on this pool, drains it there, and
    /// streams its items. While the buffer is full, the producer holds no
    /// thread of the pool. See [`OffloadStream`](crate::OffloadStream).
    ///
    /// ```
    /// static HEAVY: bridge_runtime::CpuPool = bridge_runtime::CpuPool::new("heavy", 1);
    ///
    /// # futures::executor::block_on(async {
    /// let mut primes = std::pin::pin!(HEAVY.run_iter(|| (2..30u32).filter(|n| (2..*n).all(|d| n % d != 0))));
    /// let first = std::future::poll_fn(|cx| primes.as_mut().poll_next(cx)).await;
    /// assert_eq!(first, Some(2));
    /// # use futures_core::Stream;
    /// # });
    /// ```
    pub fn run_iter<F, I>(&'static self, make: F) -> crate::OffloadStream<I::Item>
    where
        F: FnOnce() -> I + Send + 'static,
        I: IntoIterator + 'static,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
    {
        crate::stream::on_pool(self, std::any::type_name::<F>(), make)
    }

    fn rayon(&self) -> &rayon::ThreadPool {
        self.pool.get_or_init(|| {
            let name = self.name;
            rayon::ThreadPoolBuilder::new()
                .num_threads(self.threads)
                .thread_name(move |i| format!("{name}-{i}"))
                // Bodies run under catch_unwind; this only guards against a
                // panic escaping anyway, which must not abort the process.
                .panic_handler(|_| {})
                .build()
                .unwrap_or_else(|e| {
                    panic!(
                        "bridge: could not start the {} threads of CpuPool `{name}`: {e}",
                        self.threads
                    )
                })
        })
    }
}

impl Pool for CpuPool {
    fn looks_again() -> bool {
        crate::call::more_than_one_cpu()
    }

    const TOKIO_SEES_THE_BODY: bool = false;

    fn take<F, R>(&'static self, what: &'static str, body: F) -> Taken<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (job, completion) = Job::<_, _>::new(body, &self.counters, what);
        if self.threads == 0 {
            crate::rayon_pool::spawn_global(move || job.run());
        } else {
            crate::rayon_pool::spawn_on(self.rayon(), move || job.run());
        }
        Taken::Running(completion)
    }
}

impl fmt::Debug for CpuPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CpuPool")
            .field("name", &self.name)
            .field("threads", &self.threads())
            .field("started", &self.pool.get().is_some())
            .field("stats", &self.stats())
            .finish()
    }
}
