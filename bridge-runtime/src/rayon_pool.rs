//! rayon, from any thread: reaching the global pool from inside another
//! pool, and waiting on a rayon worker without starving its pool.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

thread_local! {
    /// Set on a thread once it ran a job of rayon's global pool, which only
    /// that pool's workers do.
    static GLOBAL_WORKER: Cell<bool> = const { Cell::new(false) };

    /// The waits of [`block_on`] under way on this thread, nested: how
    /// many, and where on the stack the outermost one began.
    static NESTED: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

scoped_tls::scoped_thread_local! {
    /// Set while a wait at the bound (see [`block_on`]) polls its future:
    /// the jobs that future hands to the waiting worker's own pool, which
    /// that worker runs itself.
    static KEPT: RefCell<VecDeque<Relayed>>
}

type Relayed = Box<dyn FnOnce() + Send>;

/// Runs `job` on rayon's global pool, from whatever thread.
///
/// `rayon::spawn` uses the pool of the calling thread: from a worker of
/// another pool (a named `CpuPool`, a pool the program built) it would run
/// there. Such a caller hands the job to a relay thread, outside every
/// pool, which spawns it on the global pool.
pub(crate) fn spawn_global(job: impl FnOnce() + Send + 'static) {
    if KEPT.is_set() {
        return keep(job);
    }
    let marked = move || {
        GLOBAL_WORKER.with(|marked| marked.set(true));
        job();
    };
    if rayon::current_thread_index().is_none() || GLOBAL_WORKER.with(Cell::get) {
        rayon::spawn(marked);
    } else {
        relay(Box::new(marked));
    }
}

/// Runs `job` on `pool`, from whatever thread.
pub(crate) fn spawn_on(pool: &rayon::ThreadPool, job: impl FnOnce() + Send + 'static) {
    if KEPT.is_set() {
        return keep(job);
    }
    pool.spawn(job);
}

/// Keeps `job` for this thread to run itself: it is a rayon worker waiting
/// at the bound (see [`block_on`]) for the future that made the job.
fn keep(job: impl FnOnce() + Send + 'static) {
    KEPT.with(|kept| kept.borrow_mut().push_back(Box::new(job)));
}

fn relay(job: Relayed) {
    static RELAY: OnceLock<flume::Sender<Relayed>> = OnceLock::new();
    let sender = RELAY.get_or_init(|| {
        let (tx, rx) = flume::unbounded::<Relayed>();
        std::thread::Builder::new()
            .name("bridge-cpu-relay".into())
            .spawn(move || {
                for job in rx.iter() {
                    rayon::spawn(job);
                }
            })
            .unwrap_or_else(|e| panic!("bridge: could not start its rayon relay thread: {e}"));
        tx
    });
    if let Err(unsent) = sender.send(job) {
        // The relay thread is gone (it cannot panic): run it here rather
        // than lose it.
        (unsent.into_inner())();
    }
}

/// The longest a waiting worker sleeps before it looks for work again.
const MAX_NAP: Duration = Duration::from_millis(5);

/// How many waits of [`block_on`] may nest on one worker's stack, the
/// innermost not running other jobs of its pool, and how much of its stack they may
/// take (rayon's workers have 2 MiB unless the pool was built with more or
/// less).
const MAX_NESTED: usize = 16;
const MAX_STACK: usize = 512 * 1024;

/// Drives `future` (the call `what`) to completion on this rayon worker.
///
/// While it is pending, the worker runs other jobs of its pool (the ones it
/// queued itself first), as rayon's own `join` does, so work the future
/// waits for gets done even when every worker of the pool is waiting like
/// this one. Those jobs may be calls that wait in turn (the items of a
/// parallel iterator that each call a client), each one a level deeper on
/// the worker's stack: past [`MAX_NESTED`] levels or [`MAX_STACK`] bytes of
/// them, a wait runs none, so the stack cannot overflow, except the
/// bodies of the `cpu` calls its own future makes, which the worker runs
/// itself (whatever pool they were for) rather than wait for a worker of
/// that pool that may never be free. Such a wait says so after
/// [`LATE`](crate::blocking::LATE), in case it waits for other
/// work of the pool, which no worker may be free to run.
pub(crate) fn block_on<F: Future>(what: &str, future: F) -> F::Output {
    let marker = 0u8;
    let here = (&raw const marker).addr();
    let (depth, base) = NESTED.with(Cell::get);
    let base = if depth == 0 { here } else { base };
    struct Unnest((usize, usize));
    impl Drop for Unnest {
        fn drop(&mut self) {
            let _ = NESTED.try_with(|nested| nested.set(self.0));
        }
    }
    let _unnest = Unnest((depth, base));
    NESTED.with(|nested| nested.set((depth + 1, base)));
    if depth + 1 < MAX_NESTED && base.abs_diff(here) < MAX_STACK {
        helping(future)
    } else {
        at_the_bound(what, depth, future)
    }
}

/// [`block_on`], running any job of the pool while the future waits.
fn helping<F: Future>(future: F) -> F::Output {
    let mut nap = Nap::new();
    crate::park::drive(future, || {
        match crate::cancel::lending(rayon::yield_now) {
            Some(rayon::Yield::Executed) => nap.worked(),
            // Nothing to do: sleep until woken, but look again now and
            // then, for work that arrives while every worker waits.
            _ => nap.take(),
        }
    })
}

/// How long a waiting worker sleeps until it looks for work again (unless
/// it is woken first): 50 µs after it found some, twice as long after each
/// look that found none, up to [`MAX_NAP`].
struct Nap(Duration);

impl Nap {
    const FIRST: Duration = Duration::from_micros(50);

    fn new() -> Self {
        Nap(Self::FIRST)
    }

    /// The worker found work: the next nap is short again.
    fn worked(&mut self) {
        self.0 = Self::FIRST;
    }

    /// Sleeps, and makes the next nap longer.
    fn take(&mut self) {
        std::thread::park_timeout(self.0);
        self.0 = (self.0 * 2).min(MAX_NAP);
    }
}

/// [`block_on`] past the bound: runs only the jobs the future itself hands
/// to this worker's pool.
fn at_the_bound<F: Future>(what: &str, depth: usize, future: F) -> F::Output {
    let kept = RefCell::new(VecDeque::new());
    let mut future = pin!(future);
    let polled = std::future::poll_fn(|cx| KEPT.set(&kept, || future.as_mut().poll(cx)));
    let mut nap = Nap::new();
    let mut idle_since = Instant::now();
    let mut warned = false;
    let output = crate::park::drive(polled, || {
        let job = kept.borrow_mut().pop_front();
        if let Some(job) = job {
            crate::cancel::lending(job);
            nap.worked();
            idle_since = Instant::now();
            return;
        }
        nap.take();
        if !warned && idle_since.elapsed() >= crate::blocking::LATE {
            warned = true;
            warn_at_the_bound(what, depth);
        }
    });
    // Jobs of calls the future made but no longer waits for (a `timeout`
    // around them fired): they see their caller gone, unless they were
    // handed on, and run here rather than on a pool of the wrong kind.
    for job in kept.into_inner() {
        crate::cancel::lending(job);
    }
    output
}

fn warn_at_the_bound(what: &str, depth: usize) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        blocking = what,
        "`{what}` has waited for more than a second on a rayon worker that is already {depth} calls deep in \
         waits of its own, so it runs no other jobs of its pool meanwhile (only its own `cpu` calls): if the \
         future waits for other work of that pool and every worker is as deep, it can never finish. \
         Call fewer blocking clients from the items of one parallel iterator at once, or `.await` them \
         from async code"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (what, depth);
}
