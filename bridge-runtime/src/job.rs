//! One offloaded call: the body, its bookkeeping, and the future that awaits it.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use tokio::sync::{SemaphorePermit, oneshot};

use crate::stats::Counters;

type Outcome<R> = Result<R, Box<dyn Any + Send>>;

/// The body of a call plus everything needed to account for it. Built when
/// the call is submitted; either run once on a pool thread, or dropped
/// unrun (the caller went away, or the runtime shut down), which counts as
/// cancelled.
pub(crate) struct Job<F, R> {
    body: Option<F>,
    tx: Option<oneshot::Sender<Outcome<R>>>,
    counters: &'static Counters,
    submitted_at: Instant,
    permit: Option<SemaphorePermit<'static>>,
    /// The caller's span, if any subscriber was ever installed.
    #[cfg(feature = "tracing")]
    span: Option<tracing::Span>,
}

impl<F, R> Job<F, R>
where
    F: FnOnce() -> R,
{
    /// Records the submission and returns the job with the receiving end of its result.
    pub(crate) fn new(
        body: F,
        counters: &'static Counters,
        what: &'static str,
    ) -> (Self, Completion<R>) {
        let (tx, rx) = oneshot::channel();
        counters.submitted();
        let job = Job {
            body: Some(body),
            tx: Some(tx),
            counters,
            submitted_at: Instant::now(),
            permit: None,
            #[cfg(feature = "tracing")]
            span: tracing::dispatcher::has_been_set().then(tracing::Span::current),
        };
        (job, Completion { rx, what })
    }

    /// Holds a slot of a sized pool until the body has finished.
    pub(crate) fn hold(&mut self, permit: Option<SemaphorePermit<'static>>) {
        self.permit = permit;
    }

    /// Runs the body on the current thread, unless the caller is gone.
    pub(crate) fn run(mut self) {
        let (Some(body), Some(tx)) = (self.body.take(), self.tx.take()) else {
            return;
        };
        if tx.is_closed() {
            // The awaiting future was dropped before the body started.
            self.counters.cancelled();
            return;
        }
        let started = Instant::now();
        self.counters.started();
        #[cfg(feature = "tracing")]
        let outcome = match self.span.take() {
            Some(span) => catch_unwind(AssertUnwindSafe(move || span.in_scope(body))),
            None => catch_unwind(AssertUnwindSafe(body)),
        };
        #[cfg(not(feature = "tracing"))]
        let outcome = catch_unwind(AssertUnwindSafe(body));
        self.counters.finished(outcome.is_err());
        // Free the slot before waking the caller, so a queued call can start.
        self.permit = None;
        if let Err(unsent) = tx.send(outcome) {
            // The caller left while the body ran: drop the result here, and
            // keep a panic in its destructor from reaching the pool thread.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(unsent)));
        }
        // Read after the result is on its way, so the clock is not on the
        // caller's critical path; the run time includes handing it back.
        let ended = Instant::now();
        self.counters.timed(
            started.duration_since(self.submitted_at),
            ended.duration_since(started),
        );
    }
}

impl<F, R> Drop for Job<F, R> {
    fn drop(&mut self) {
        if self.body.is_some() {
            self.counters.cancelled();
        }
    }
}

/// Resolves to the body's result, re-raising its panic with the original payload.
#[derive(Debug)]
pub(crate) struct Completion<R> {
    rx: oneshot::Receiver<Outcome<R>>,
    what: &'static str,
}

impl<R> Future for Completion<R> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        match ready!(Pin::new(&mut self.rx).poll(cx)) {
            Ok(Ok(value)) => Poll::Ready(value),
            Ok(Err(payload)) => resume_unwind(payload),
            Err(_) => panic!(
                "bridge: `{}` never ran: the runtime it was queued on shut down before it could start",
                self.what
            ),
        }
    }
}
