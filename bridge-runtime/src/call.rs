//! The future of one offloaded call: handed to its pool when first polled,
//! then resolving to the body's outcome.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::clock::ClockHold;
use crate::job::Completion;

/// A pool a [`PoolCall`] can be handed to.
pub(crate) trait Pool: Sync + 'static {
    /// Whether the poll that hands a body over asks to be polled again
    /// instead of registering its waker (see [`PoolCall`]): worth it where
    /// bodies often finish before the executor comes back to the task
    /// (rayon's workers take a job in well under a microsecond, on another
    /// CPU), not where each hand-over wakes a sleeping thread (tokio's
    /// blocking pool: measured 2 to 4% dearer in bulk, and from a spawned
    /// task 19 to 40% dearer one call at a time).
    fn looks_again() -> bool;

    /// Whether tokio counts the body as work under way while it runs (it
    /// does for its blocking pool): if not, a caller waiting under a paused
    /// clock keeps the clock still itself (see [`crate::clock`]).
    const TOKIO_SEES_THE_BODY: bool;

    /// Takes a call: hands `body` to a thread, or queues it for a slot.
    fn take<F, R>(&'static self, what: &'static str, body: F) -> Taken<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static;
}

/// How a pool took a call.
pub(crate) enum Taken<R> {
    /// Handed to a thread.
    Running(Completion<R>),
    /// Waiting for a slot of a sized pool; the wait (boxed, so that calls
    /// that need not wait stay small) hands the body over once it has one.
    Queued(Completion<R>, Pin<Box<dyn Future<Output = ()> + Send>>),
}

/// A call on a pool: handed to the pool when first polled, then resolving
/// to its outcome. What `run`, `io`, `cpu` and `#[offload]` return.
///
/// Written out rather than an `async fn`, whose state would keep the
/// body's slot beside the completion's: a call in flight is a few words,
/// which matters when thousands are.
pub(crate) struct PoolCall<P: 'static, F, R>(Stage<P, F, R>);

enum Stage<P: 'static, F, R> {
    Start {
        pool: &'static P,
        what: &'static str,
        body: F,
    },
    Queued(Completion<R>, Pin<Box<dyn Future<Output = ()> + Send>>),
    /// Handed over; the hold is kept while the caller waits under a paused
    /// clock for a body tokio cannot see.
    Submitted(Completion<R>, Option<ClockHold>),
    /// Only while the call moves on from one stage to the next (or if
    /// handing it over panicked).
    Moving,
}

impl<P: Pool, F, R> PoolCall<P, F, R> {
    pub(crate) fn new(pool: &'static P, what: &'static str, body: F) -> Self {
        PoolCall(Stage::Start { pool, what, body })
    }
}

// Nothing in a `PoolCall` is ever pinned: the body is moved out on the
// first poll, the wait is boxed, and the completion is `Unpin`.
impl<P, F, R> Unpin for PoolCall<P, F, R> {}

impl<P, F, R> Future for PoolCall<P, F, R>
where
    P: Pool,
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let stage = &mut self.0;
        if matches!(stage, Stage::Start { .. })
            && let Stage::Start { pool, what, body } = std::mem::replace(stage, Stage::Moving)
        {
            match pool.take(what, body) {
                Taken::Running(completion) => {
                    *stage = Stage::Submitted(completion, None);
                    if P::looks_again() {
                        // Ask to be polled again rather than register now:
                        // a short body is often done by then, and its result
                        // is taken with no wake-up at all (nothing was
                        // registered for the pool thread to wake); a longer
                        // one registers then.
                        look_again_later(cx);
                        return Poll::Pending;
                    }
                }
                Taken::Queued(completion, wait) => *stage = Stage::Queued(completion, wait),
            }
        }
        if let Stage::Queued(_, wait) = stage {
            std::task::ready!(wait.as_mut().poll(cx));
            if let Stage::Queued(completion, _) = std::mem::replace(stage, Stage::Moving) {
                *stage = Stage::Submitted(completion, None);
            }
        }
        match stage {
            Stage::Submitted(completion, hold) => {
                let polled = Pin::new(completion).poll(cx);
                if !P::TOKIO_SEES_THE_BODY {
                    crate::clock::hold_while(&polled, hold);
                }
                polled
            }
            _ => panic!(
                "bridge: a call was polled again after handing its body to the pool panicked"
            ),
        }
    }
}

/// Arranges for the task to be polled again once its executor has run its
/// other ready work: tokio's `yield_now`, which hands the waker to the
/// scheduler to wake when it would otherwise go to sleep (after the other
/// ready tasks and a look at its I/O driver), or wakes it at once where no
/// tokio scheduler polls the task (another executor, or the thread in a
/// multi-thread runtime's `block_on`).
///
/// Not `wake_by_ref` alone: a task that wakes itself on a worker is polled
/// again almost at once, usually before a rayon thread has taken the body,
/// and then sleeps until the body's end wakes it; deferred, the look comes
/// a few microseconds later, when a short body is usually done and the
/// worker need not sleep at all. Measured one call at a time from a spawned
/// task: 0.70 of `rayon::spawn` + oneshot with `wake_by_ref`, 0.40 deferred.
fn look_again_later(cx: &mut Context<'_>) {
    let mut yielded = std::pin::pin!(tokio::task::yield_now());
    if yielded.as_mut().poll(cx).is_ready() {
        // `yield_now` only completes on its second poll; should that ever
        // change, a wake-up is still owed.
        cx.waker().wake_by_ref();
    }
}

/// Whether this process may run on more than one CPU at once (asked once).
/// With one, a pool thread cannot run while the caller polls, and looking
/// again only adds a poll (measured on one vCPU: 10,000 `cpu` calls at once
/// 13% dearer).
pub(crate) fn more_than_one_cpu() -> bool {
    static MORE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *MORE.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() > 1))
}
