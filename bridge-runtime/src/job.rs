//! One offloaded call: the body, its bookkeeping, and the future that awaits it.
//!
//! The body travels to a pool thread inside a [`Job`]; its outcome comes back
//! through a [`Call`], shared by the job and the [`Completion`] the caller
//! awaits. Dropping the completion marks the call as abandoned, which a
//! running body reads through [`crate::cancelled`].

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use atomic_waker::AtomicWaker;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use tokio::sync::SemaphorePermit;

use crate::cancel;
use crate::dedicated::Waiters;
use crate::stats::Counters;

pub(crate) type Outcome<R> = Result<R, Box<dyn Any + Send>>;

/// Drops `value` where a panic in its destructor cannot escape: on a pool
/// thread that would kill the thread (or, on rayon, abort the process).
pub(crate) fn drop_guarded<T>(value: T) {
    let _ = catch_unwind(AssertUnwindSafe(move || drop(value)));
}

/// What the job and the caller share: the outcome on its way, and whether
/// the caller is still there.
///
/// `state` says where the call is; the outcome sits in `value` from the
/// moment the job put it there until the caller takes it, so each side
/// locks `value` once and never while the other does; the waker has a
/// lock-free cell of its own.
struct Call<R> {
    state: AtomicU8,
    value: Mutex<Option<Outcome<R>>>,
    waker: AtomicWaker,
    /// Set when the completion is dropped before taking the outcome:
    /// what [`crate::cancelled`] reads.
    gone: AtomicBool,
    /// What only some calls carry, boxed so that the others stay small:
    /// a call's memory is touched by two threads, and every cache line of
    /// it crosses between them.
    extras: Option<Box<Extras>>,
}

/// The submission time (on a pool that measures times) and the caller's
/// `tracing` context (where a subscriber listens).
struct Extras {
    submitted_at: Option<Instant>,
    #[cfg(feature = "tracing")]
    context: Option<crate::trace::Captured>,
    /// The `Dedicated` values whose calls wait for this one: a call on one
    /// of them from the body would wait for itself.
    waiters: Option<Waiters>,
}

impl Extras {
    /// What a call made now carries, if anything.
    #[inline]
    fn capture(counters: &Counters) -> Option<Box<Extras>> {
        let submitted_at = counters.timing().then(Instant::now);
        let waiters = Waiters::here();
        let carried = submitted_at.is_some() || waiters.is_some();
        #[cfg(feature = "tracing")]
        let context = crate::trace::Captured::capture();
        #[cfg(feature = "tracing")]
        let carried = carried || context.is_some();
        carried.then(|| {
            Box::new(Extras {
                submitted_at,
                #[cfg(feature = "tracing")]
                context,
                waiters,
            })
        })
    }
}

/// The outcome is still to come.
const WAITING: u8 = 0;
/// The outcome is in `value`.
const READY: u8 = 1;
/// The job was dropped unrun: no outcome will come.
const CLOSED: u8 = 2;
/// The caller is gone: an outcome would be dropped unread.
const GONE: u8 = 3;

impl<R> Call<R> {
    fn value(&self) -> std::sync::MutexGuard<'_, Option<Outcome<R>>> {
        // Nothing panics while the lock is held.
        self.value.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands the outcome over, or gives it back if the caller is gone.
    /// Returns the waker to wake.
    fn complete(&self, outcome: Outcome<R>) -> Result<Option<Waker>, Outcome<R>> {
        if self.state.load(Ordering::Acquire) == GONE {
            return Err(outcome);
        }
        *self.value() = Some(outcome);
        match self
            .state
            .compare_exchange(WAITING, READY, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Ok(self.waker.take()),
            // The caller left meanwhile: take the outcome back.
            Err(_) => match self.value().take() {
                Some(outcome) => Err(outcome),
                None => Ok(None),
            },
        }
    }

    /// The job is dropped unrun: tells the caller, who would wait forever.
    fn close(&self) {
        if self
            .state
            .compare_exchange(WAITING, CLOSED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.waker.wake();
        }
    }
}

/// The body of a call plus everything needed to account for it. Built when
/// the call is submitted; either run once on a pool thread, or dropped
/// unrun (the caller went away, or the runtime shut down), which counts as
/// cancelled. `P` is what the job holds until its body has finished: the
/// slot of a sized [`IoPool`](crate::IoPool), nothing on other pools.
pub(crate) struct Job<F, R, P = ()> {
    body: Option<F>,
    call: Arc<Call<R>>,
    counters: &'static Counters,
    permit: P,
}

/// The slot a job of a sized pool holds.
pub(crate) type Slot = Option<SemaphorePermit<'static>>;

impl<F, R, P> Job<F, R, P>
where
    F: FnOnce() -> R,
    R: Send + 'static,
    P: Default,
{
    /// Records the submission and returns the job with the receiving end of its result.
    pub(crate) fn new(
        body: F,
        counters: &'static Counters,
        what: &'static str,
    ) -> (Self, Completion<R>) {
        let call = Arc::new(Call {
            state: AtomicU8::new(WAITING),
            value: Mutex::new(None),
            waker: AtomicWaker::new(),
            gone: AtomicBool::new(false),
            extras: Extras::capture(counters),
        });
        counters.submitted();
        let job = Job {
            body: Some(body),
            call: call.clone(),
            counters,
            permit: P::default(),
        };
        (
            job,
            Completion {
                call,
                what,
                done: false,
            },
        )
    }

    /// Holds a slot of a sized pool until the body has finished.
    pub(crate) fn hold(&mut self, permit: P) {
        self.permit = permit;
    }

    /// Runs the body on the current thread, unless the caller is gone.
    pub(crate) fn run(mut self) {
        let Some(body) = self.body.take() else {
            return;
        };
        if self.call.gone.load(Ordering::Relaxed) {
            // The awaiting future was dropped before the body started.
            self.counters.cancelled();
            drop_guarded(body);
            return;
        }
        let extras = self.call.extras.as_deref();
        let submitted_at = extras.and_then(|extras| extras.submitted_at);
        let started = submitted_at.map(|_| Instant::now());
        self.counters.started();
        let (counters, gone) = (self.counters, &self.call.gone);
        let outcome = catch_unwind(AssertUnwindSafe(move || {
            cancel::with_caller(gone, Some(counters), || {
                let body = || match extras.and_then(|extras| extras.waiters.as_ref()) {
                    Some(waiters) => waiters.waiting_for(body),
                    None => body(),
                };
                #[cfg(feature = "tracing")]
                if let Some(context) = extras.and_then(|extras| extras.context.as_ref()) {
                    return context.in_scope(body);
                }
                body()
            })
        }));
        self.counters.finished(outcome.is_err());
        // With timing on, the times are in before the caller sees the
        // result, so a snapshot taken after it returned includes them.
        if let (Some(submitted), Some(started)) = (submitted_at, started) {
            let ended = Instant::now();
            self.counters
                .timed(started - submitted, ended.duration_since(started));
        }
        // Counted before the slot is freed, so a snapshot taken after the
        // next call ran sees it.
        let left = self.call.gone.load(Ordering::Relaxed);
        if left {
            self.counters.abandoned();
        }
        // Free the slot before waking the caller, so a queued call can start.
        self.permit = P::default();
        match self.call.complete(outcome) {
            Ok(waker) => {
                // Wake the caller first: it is waiting. The call is freed
                // by whichever side lets go last.
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
            Err(unsent) => {
                // The caller left while the body ran: drop the result
                // here, guarded, so a panic in its destructor stays here.
                if !left {
                    self.counters.abandoned();
                }
                drop_guarded(unsent);
            }
        }
    }
}

impl<F, R, P> Drop for Job<F, R, P> {
    fn drop(&mut self) {
        if let Some(body) = self.body.take() {
            // Dropped unrun: the runtime it was queued on shut down.
            self.counters.cancelled();
            drop_guarded(body);
            // Tell the caller, instead of letting it wait forever.
            self.call.close();
        }
    }
}

/// Resolves to the body's outcome. Dropping it before then tells the body
/// (through [`crate::cancelled`]) that nobody waits for it any more.
pub(crate) struct Completion<R> {
    call: Arc<Call<R>>,
    what: &'static str,
    /// The outcome was taken: nothing is left to tell the job or drop.
    done: bool,
}

impl<R> Completion<R> {
    /// The outcome: the body's value or its panic's payload; `None` if the
    /// job was dropped unrun.
    ///
    /// # Panics
    ///
    /// If polled again after it resolved, like any future polled after
    /// completion: bridge's message names the call.
    pub(crate) fn poll_outcome(&mut self, cx: &mut Context<'_>) -> Poll<Option<Outcome<R>>> {
        assert!(
            !self.done,
            "bridge: `{}` was polled again after it had returned its result",
            self.what
        );
        let mut state = self.call.state.load(Ordering::Acquire);
        if state == WAITING {
            self.call.waker.register(cx.waker());
            // Look again: the job may have finished before the waker was in.
            state = self.call.state.load(Ordering::Acquire);
            if state == WAITING {
                return Poll::Pending;
            }
        }
        self.done = true;
        Poll::Ready(match state {
            READY => self.call.value().take(),
            _ => None,
        })
    }

    /// Whether the outcome is still to come (looked at without registering
    /// to be woken).
    pub(crate) fn is_waiting(&self) -> bool {
        self.call.state.load(Ordering::Acquire) == WAITING
    }

    /// What the call runs, for messages.
    pub(crate) fn what(&self) -> &'static str {
        self.what
    }
}

impl<R> Drop for Completion<R> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        self.call.gone.store(true, Ordering::Relaxed);
        if let Err(READY) =
            self.call
                .state
                .compare_exchange(WAITING, GONE, Ordering::AcqRel, Ordering::Acquire)
        {
            // An outcome that arrived but was never taken is dropped here,
            // on the caller's side.
            let left = self.call.value().take();
            drop(left);
        }
    }
}

impl<R> Future for Completion<R> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        match self.poll_outcome(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(value))) => Poll::Ready(value),
            Poll::Ready(Some(Err(payload))) => resume_unwind(payload),
            Poll::Ready(None) => panic!(
                "bridge: `{}` never ran: the runtime it was queued on shut down before it could start",
                self.what
            ),
        }
    }
}

impl<R> std::fmt::Debug for Completion<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Completion")
            .field("what", &self.what)
            .finish_non_exhaustive()
    }
}

/// The text of a panic's payload, if it is a string.
pub(crate) fn panic_text(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}
