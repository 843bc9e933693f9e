//! rayon, from any thread: reaching the global pool from inside another
//! pool, and waiting on a rayon worker without starving its pool.

use std::cell::Cell;
use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

thread_local! {
    /// Set on a thread once it ran a job of rayon's global pool, which only
    /// that pool's workers do.
    static GLOBAL_WORKER: Cell<bool> = const { Cell::new(false) };
}

type Relayed = Box<dyn FnOnce() + Send>;

/// Runs `job` on rayon's global pool, from whatever thread.
///
/// `rayon::spawn` uses the pool of the calling thread: from a worker of
/// another pool (a named `CpuPool`, a pool the program built) it would run
/// there. Such a caller hands the job to a relay thread, outside every
/// pool, which spawns it on the global pool.
pub(crate) fn spawn_global(job: impl FnOnce() + Send + 'static) {
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

/// Drives `future` to completion on this rayon worker. While it is pending,
/// the worker runs other jobs of its pool (the ones it queued itself
/// first), as rayon's own `join` does, so work the future waits for gets
/// done even when every worker of the pool is waiting like this one.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut nap = Duration::from_micros(50);
    crate::park::drive(future, || {
        match crate::cancel::lending(rayon::yield_now) {
            Some(rayon::Yield::Executed) => nap = Duration::from_micros(50),
            _ => {
                // Nothing to do: sleep until woken, but look again now and
                // then, for work that arrives while every worker waits.
                std::thread::park_timeout(nap);
                nap = (nap * 2).min(MAX_NAP);
            }
        }
    })
}
