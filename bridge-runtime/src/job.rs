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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use tokio::sync::SemaphorePermit;

use crate::cancel;
use crate::stats::Counters;

pub(crate) type Outcome<R> = Result<R, Box<dyn Any + Send>>;

/// Drops `value` where a panic in its destructor cannot escape: on a pool
/// thread that would kill the thread (or, on rayon, abort the process).
pub(crate) fn drop_guarded<T>(value: T) {
    let _ = catch_unwind(AssertUnwindSafe(move || drop(value)));
}

/// What the job and the caller share: the outcome on its way, and whether
/// the caller is still there.
struct Call<R> {
    slot: Mutex<Slot<R>>,
    /// Set when the completion is dropped before taking the outcome.
    gone: AtomicBool,
}

enum Slot<R> {
    /// No outcome yet; the waker of the task that awaits it.
    Waiting(Option<Waker>),
    Ready(Outcome<R>),
    /// The outcome was taken, or the job was dropped unrun.
    Closed,
}

impl<R: Send> cancel::Caller for Call<R> {
    fn gone(&self) -> bool {
        self.gone.load(Ordering::Relaxed)
    }
}

impl<R> Call<R> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Slot<R>> {
        // A poisoned lock only means a waker panicked while it was held;
        // the slot itself is always in a valid state.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands the outcome over, or gives it back if the caller is gone.
    fn complete(&self, outcome: Option<Outcome<R>>) -> Option<Outcome<R>> {
        let mut slot = self.lock();
        if self.gone.load(Ordering::Relaxed) {
            return outcome;
        }
        let next = match outcome {
            Some(outcome) => Slot::Ready(outcome),
            None => Slot::Closed,
        };
        let waker = match std::mem::replace(&mut *slot, next) {
            Slot::Waiting(waker) => waker,
            _ => None,
        };
        drop(slot);
        if let Some(waker) = waker {
            waker.wake();
        }
        None
    }
}

/// The body of a call plus everything needed to account for it. Built when
/// the call is submitted; either run once on a pool thread, or dropped
/// unrun (the caller went away, or the runtime shut down), which counts as
/// cancelled.
pub(crate) struct Job<F, R> {
    body: Option<F>,
    call: Arc<Call<R>>,
    counters: &'static Counters,
    /// When the call was submitted, if its pool measures times.
    submitted_at: Option<Instant>,
    permit: Option<SemaphorePermit<'static>>,
    #[cfg(feature = "tracing")]
    context: crate::trace::Context,
}

impl<F, R> Job<F, R>
where
    F: FnOnce() -> R,
    R: Send + 'static,
{
    /// Records the submission and returns the job with the receiving end of its result.
    pub(crate) fn new(
        body: F,
        counters: &'static Counters,
        what: &'static str,
    ) -> (Self, Completion<R>) {
        let call = Arc::new(Call {
            slot: Mutex::new(Slot::Waiting(None)),
            gone: AtomicBool::new(false),
        });
        counters.submitted();
        let job = Job {
            body: Some(body),
            call: call.clone(),
            counters,
            submitted_at: counters.timing().then(Instant::now),
            permit: None,
            #[cfg(feature = "tracing")]
            context: crate::trace::Context::capture(),
        };
        (job, Completion { call, what })
    }

    /// Holds a slot of a sized pool until the body has finished.
    pub(crate) fn hold(&mut self, permit: Option<SemaphorePermit<'static>>) {
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
        let started = self.submitted_at.map(|_| Instant::now());
        self.counters.started();
        let caller: Arc<dyn cancel::Caller> = self.call.clone();
        #[cfg(feature = "tracing")]
        let context = std::mem::take(&mut self.context);
        let counters = self.counters;
        let outcome = catch_unwind(AssertUnwindSafe(move || {
            cancel::with_caller(caller, counters, || {
                #[cfg(feature = "tracing")]
                return context.in_scope(body);
                #[cfg(not(feature = "tracing"))]
                body()
            })
        }));
        self.counters.finished(outcome.is_err());
        // Counted before the slot is freed, so a snapshot taken after the
        // next call ran sees it.
        let left = self.call.gone.load(Ordering::Relaxed);
        if left {
            self.counters.abandoned();
        }
        // Free the slot before waking the caller, so a queued call can start.
        self.permit = None;
        if let Some(unsent) = self.call.complete(Some(outcome)) {
            // The caller left while the body ran: drop the result here,
            // guarded, so a panic in its destructor stays here.
            if !left {
                self.counters.abandoned();
            }
            drop_guarded(unsent);
        }
        // Read after the result is on its way, so the clock is not on the
        // caller's critical path; the run time includes handing it back.
        if let (Some(submitted), Some(started)) = (self.submitted_at, started) {
            let ended = Instant::now();
            self.counters
                .timed(started - submitted, ended.duration_since(started));
        }
    }
}

impl<F, R> Drop for Job<F, R> {
    fn drop(&mut self) {
        if let Some(body) = self.body.take() {
            // Dropped unrun: the runtime it was queued on shut down.
            self.counters.cancelled();
            drop_guarded(body);
            // Tell the caller, instead of letting it wait forever.
            let mut slot = self
                .call
                .slot
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Slot::Waiting(waker) = std::mem::replace(&mut *slot, Slot::Closed) {
                drop(slot);
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
        }
    }
}

/// Resolves to the body's outcome. Dropping it before then tells the body
/// (through [`crate::cancelled`]) that nobody waits for it any more.
pub(crate) struct Completion<R> {
    call: Arc<Call<R>>,
    what: &'static str,
}

impl<R> Completion<R> {
    /// The outcome: the body's value or its panic's payload; `None` if the
    /// job was dropped unrun.
    pub(crate) fn poll_outcome(&mut self, cx: &mut Context<'_>) -> Poll<Option<Outcome<R>>> {
        let mut slot = self.call.lock();
        match &mut *slot {
            Slot::Waiting(waker) => {
                match waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    _ => *waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
            Slot::Ready(_) => match std::mem::replace(&mut *slot, Slot::Closed) {
                Slot::Ready(outcome) => Poll::Ready(Some(outcome)),
                _ => unreachable!("matched Ready above"),
            },
            Slot::Closed => Poll::Ready(None),
        }
    }

    /// What the call runs, for messages.
    pub(crate) fn what(&self) -> &'static str {
        self.what
    }
}

impl<R> Drop for Completion<R> {
    fn drop(&mut self) {
        let mut slot = self.call.lock();
        if matches!(*slot, Slot::Waiting(_)) {
            self.call.gone.store(true, Ordering::Relaxed);
        }
        // An outcome that arrived but was never taken is dropped here, on
        // the caller's side.
        let left = std::mem::replace(&mut *slot, Slot::Closed);
        drop(slot);
        drop(left);
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
