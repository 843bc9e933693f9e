//! Per-pool counters, and the snapshot users read.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
/// Every snapshot is consistent, however busy the pool: `submitted ==
/// completed + panicked + cancelled + running + queued`, and `running` never
/// exceeds the pool's size. A body that waits for other work on its own pool
/// thread (a `#[blocking]` call in a body on a rayon pool, whose thread
/// meanwhile runs other calls) counts as queued while it waits.
///
/// A call's counts (and, on a pool that measures times, its two times) are
/// updated before its result reaches the caller.
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
    /// Bodies whose caller left while they ran: they ran on (unless they
    /// asked [`cancelled`](crate::cancelled)) and their result was dropped.
    /// Also counted in `completed` or `panicked`.
    pub abandoned: u64,
    /// Total time calls spent between submission and the start of their
    /// body. Measured only while the pool measures times (see
    /// [`IoPool::set_timing`](crate::IoPool::set_timing)); zero otherwise.
    pub queue_wait: Duration,
    /// Total time bodies spent running. Measured only while the pool measures times; zero otherwise.
    pub run_time: Duration,
}

/// The live counters behind a [`PoolStats`]; `const`-constructible so pools
/// can be `static`. Striped: each thread bumps the counters of its own
/// stripe, on a cache line of its own, so calls on different threads never
/// fight over one line; a snapshot adds the stripes up.
#[derive(Debug)]
pub(crate) struct Counters {
    stripes: [Stripe; STRIPES],
    /// Whether calls read the clock for `queue_wait` and `run_time`.
    timing: AtomicBool,
}

const STRIPES: usize = 8;

#[derive(Debug)]
#[repr(align(128))]
struct Stripe {
    submitted: AtomicU64,
    cancelled: AtomicU64,
    started: AtomicU64,
    completed: AtomicU64,
    panicked: AtomicU64,
    abandoned: AtomicU64,
    /// Bodies waiting on their own thread while it runs other calls.
    lent: AtomicU64,
    queue_wait_ns: AtomicU64,
    run_ns: AtomicU64,
}

impl Stripe {
    const fn new() -> Self {
        Stripe {
            submitted: AtomicU64::new(0),
            cancelled: AtomicU64::new(0),
            started: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            panicked: AtomicU64::new(0),
            abandoned: AtomicU64::new(0),
            lent: AtomicU64::new(0),
            queue_wait_ns: AtomicU64::new(0),
            run_ns: AtomicU64::new(0),
        }
    }
}

/// This thread's stripe number, handed out round-robin on first use.
#[inline]
fn stripe_index() -> usize {
    use std::cell::Cell;
    use std::sync::atomic::AtomicUsize;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static INDEX: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    INDEX.with(|index| {
        if index.get() == usize::MAX {
            index.set(NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES);
        }
        index.get()
    })
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Counters {
    pub(crate) const fn new() -> Self {
        Counters {
            stripes: [const { Stripe::new() }; STRIPES],
            timing: AtomicBool::new(false),
        }
    }

    /// Counters whose calls read the clock from the start.
    pub(crate) const fn timed_from_start() -> Self {
        let mut counters = Counters::new();
        counters.timing = AtomicBool::new(true);
        counters
    }

    #[inline]
    pub(crate) fn timing(&self) -> bool {
        self.timing.load(Ordering::Relaxed)
    }

    pub(crate) fn set_timing(&self, on: bool) {
        self.timing.store(on, Ordering::Relaxed);
    }

    #[inline]
    fn mine(&self) -> &Stripe {
        &self.stripes[stripe_index()]
    }

    #[inline]
    pub(crate) fn submitted(&self) {
        self.mine().submitted.fetch_add(1, Ordering::Release);
    }

    #[inline]
    pub(crate) fn started(&self) {
        self.mine().started.fetch_add(1, Ordering::Release);
    }

    #[inline]
    pub(crate) fn finished(&self, panicked: bool) {
        let stripe = self.mine();
        let counter = if panicked {
            &stripe.panicked
        } else {
            &stripe.completed
        };
        counter.fetch_add(1, Ordering::Release);
    }

    /// Adds a call's times to the totals; done after its result is on its way.
    pub(crate) fn timed(&self, waited: Duration, ran: Duration) {
        let stripe = self.mine();
        stripe
            .queue_wait_ns
            .fetch_add(nanos(waited), Ordering::Relaxed);
        stripe.run_ns.fetch_add(nanos(ran), Ordering::Relaxed);
    }

    pub(crate) fn cancelled(&self) {
        self.mine().cancelled.fetch_add(1, Ordering::Release);
    }

    pub(crate) fn abandoned(&self) {
        self.mine().abandoned.fetch_add(1, Ordering::Release);
    }

    /// A running body lends its thread to other work while it waits
    /// (`lend`), then takes it back (`unlend`).
    pub(crate) fn lend(&self) {
        self.mine().lent.fetch_add(1, Ordering::Release);
    }

    pub(crate) fn unlend(&self) {
        self.mine().lent.fetch_sub(1, Ordering::Release);
    }

    /// One pass over the stripes: every count, summed.
    fn collect(&self) -> [u64; 7] {
        let mut sums = [0u64; 7];
        for stripe in &self.stripes {
            let fields = [
                &stripe.submitted,
                &stripe.started,
                &stripe.completed,
                &stripe.panicked,
                &stripe.cancelled,
                &stripe.lent,
                &stripe.abandoned,
            ];
            for (sum, field) in sums.iter_mut().zip(fields) {
                *sum = sum.wrapping_add(field.load(Ordering::Acquire));
            }
        }
        sums
    }

    /// A consistent snapshot of a pool of `size` bodies at most (`None`:
    /// unbounded).
    ///
    /// Two passes that read the same counts saw one instant of the pool
    /// (no count can go down and come back between them, except `lent`,
    /// which is bounded by the bodies running), so the snapshot holds
    /// counts that were all true at once. A pool so busy that no two passes
    /// agree after a few tries gets the last pass, with each call put in the
    /// one state it can be in: never more running than the pool's size.
    pub(crate) fn snapshot_of(&self, size: Option<usize>) -> PoolStats {
        let mut counts = self.collect();
        for _ in 0..16 {
            let again = self.collect();
            if again == counts {
                break;
            }
            counts = again;
        }
        let [
            submitted,
            started,
            completed,
            panicked,
            cancelled,
            lent,
            abandoned,
        ] = counts;
        let finished = completed.wrapping_add(panicked);
        let started = started.clamp(finished, submitted.saturating_sub(cancelled).max(finished));
        let mut running = started.saturating_sub(finished).saturating_sub(lent);
        if let Some(size) = size {
            running = running.min(size as u64);
        }
        // Whatever is neither finished, cancelled nor running is queued, so
        // the counts always add up to `submitted`.
        let accounted = finished.wrapping_add(cancelled).wrapping_add(running);
        let submitted = submitted.max(accounted);
        PoolStats {
            submitted,
            running,
            queued: submitted - accounted,
            completed,
            panicked,
            cancelled,
            abandoned,
            queue_wait: Duration::from_nanos(self.sum(|s| &s.queue_wait_ns)),
            run_time: Duration::from_nanos(self.sum(|s| &s.run_ns)),
        }
    }

    fn sum(&self, field: fn(&Stripe) -> &AtomicU64) -> u64 {
        self.stripes
            .iter()
            .map(|s| field(s).load(Ordering::Acquire))
            .fold(0u64, u64::wrapping_add)
    }
}
