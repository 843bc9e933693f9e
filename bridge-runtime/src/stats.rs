//! Per-pool counters, and the snapshot users read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A snapshot of a pool's counters, from [`IoPool::stats`](crate::IoPool::stats)
/// or [`CpuPool::stats`](crate::CpuPool::stats).
///
/// Counts are totals since the program started, except `running` and
/// `queued`, which are the calls in that state when the snapshot was taken.
/// A call is *submitted* when its future is first polled, *queued* until its
/// body starts on a pool thread, then *running* until the body returns
/// (`completed`) or panics (`panicked`). A call whose future is dropped before
/// the body started never runs and counts as `cancelled`.
///
/// The counts of a call are updated before its result reaches the caller;
/// its two times are added just after, so as not to delay the result, and
/// may lag a snapshot taken at that very moment.
///
/// # Examples
///
/// ```
/// use bridge_runtime::CpuPool;
///
/// static HASH: CpuPool = CpuPool::new("hash", 1);
///
/// # futures::executor::block_on(async {
/// let sum = HASH.run(|| (1..=10u64).sum::<u64>()).await;
/// assert_eq!(sum, 55);
///
/// let stats = HASH.stats();
/// assert_eq!((stats.submitted, stats.completed), (1, 1));
/// assert_eq!((stats.running, stats.queued), (0, 0));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PoolStats {
    /// Calls handed to the pool.
    pub submitted: u64,
    /// Calls whose body is running now.
    pub running: u64,
    /// Calls waiting for a thread (or, on a sized pool, for a free slot) now.
    pub queued: u64,
    /// Bodies that returned.
    pub completed: u64,
    /// Bodies that panicked (the panic re-raised in the awaiting task).
    pub panicked: u64,
    /// Calls dropped before their body started; their body never ran.
    pub cancelled: u64,
    /// Total time calls spent between submission and the start of their body.
    pub queue_wait: Duration,
    /// Total time bodies spent running.
    pub run_time: Duration,
}

/// The live counters behind a [`PoolStats`]; `const`-constructible so pools
/// can be `static`. The ones bumped by callers and the ones bumped by pool
/// threads live on separate cache lines, so a call does not drag one line
/// back and forth between the two threads.
#[derive(Debug)]
pub(crate) struct Counters {
    caller: CallerSide,
    pool: PoolSide,
}

#[derive(Debug)]
#[repr(align(128))]
struct CallerSide {
    submitted: AtomicU64,
    cancelled: AtomicU64,
}

#[derive(Debug)]
#[repr(align(128))]
struct PoolSide {
    started: AtomicU64,
    completed: AtomicU64,
    panicked: AtomicU64,
    queue_wait_ns: AtomicU64,
    run_ns: AtomicU64,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Counters {
    pub(crate) const fn new() -> Self {
        Counters {
            caller: CallerSide {
                submitted: AtomicU64::new(0),
                cancelled: AtomicU64::new(0),
            },
            pool: PoolSide {
                started: AtomicU64::new(0),
                completed: AtomicU64::new(0),
                panicked: AtomicU64::new(0),
                queue_wait_ns: AtomicU64::new(0),
                run_ns: AtomicU64::new(0),
            },
        }
    }

    pub(crate) fn submitted(&self) {
        self.caller.submitted.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn started(&self) {
        self.pool.started.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn finished(&self, panicked: bool) {
        let pool = &self.pool;
        let counter = if panicked {
            &pool.panicked
        } else {
            &pool.completed
        };
        counter.fetch_add(1, Ordering::AcqRel);
    }

    /// Adds a call's times to the totals; done after its result is on its way.
    pub(crate) fn timed(&self, waited: Duration, ran: Duration) {
        let pool = &self.pool;
        pool.queue_wait_ns
            .fetch_add(nanos(waited), Ordering::Relaxed);
        pool.run_ns.fetch_add(nanos(ran), Ordering::Relaxed);
    }

    pub(crate) fn cancelled(&self) {
        self.caller.cancelled.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn snapshot(&self) -> PoolStats {
        // Read each counter before the ones that are bumped earlier in a
        // call's life, so `running` and `queued` never come out negative.
        let (caller, pool) = (&self.caller, &self.pool);
        let completed = pool.completed.load(Ordering::Acquire);
        let panicked = pool.panicked.load(Ordering::Acquire);
        let cancelled = caller.cancelled.load(Ordering::Acquire);
        let started = pool.started.load(Ordering::Acquire);
        let submitted = caller.submitted.load(Ordering::Acquire);
        PoolStats {
            submitted,
            running: started.saturating_sub(completed + panicked),
            queued: submitted.saturating_sub(started + cancelled),
            completed,
            panicked,
            cancelled,
            queue_wait: Duration::from_nanos(pool.queue_wait_ns.load(Ordering::Relaxed)),
            run_time: Duration::from_nanos(pool.run_ns.load(Ordering::Relaxed)),
        }
    }
}
