//! The caller's `tracing` context, carried to the thread that runs its work.

use tracing::{Dispatch, Span};

/// The dispatcher and span current where a call was made.
pub(crate) struct Captured {
    dispatch: Dispatch,
    span: Span,
}

impl Captured {
    /// The calling thread's current dispatcher and span; `None` (and free)
    /// when nothing listens.
    #[inline]
    pub(crate) fn capture() -> Option<Self> {
        if !tracing::dispatcher::has_been_set() {
            return None;
        }
        Self::capture_set()
    }

    /// [`capture`](Self::capture) once a dispatcher was set somewhere.
    fn capture_set() -> Option<Self> {
        let dispatch = tracing::dispatcher::get_default(Dispatch::clone);
        if dispatch.is::<tracing::subscriber::NoSubscriber>() {
            // Nothing listens here: let the body use its own thread's
            // default, which a subscriber installed later may become.
            return None;
        }
        Some(Captured {
            dispatch,
            span: Span::current(),
        })
    }

    /// Runs `f` under the captured dispatcher, inside the captured span.
    pub(crate) fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        tracing::dispatcher::with_default(&self.dispatch, || self.span.in_scope(f))
    }
}

/// A [`Captured`] context, or nothing: empty (and free) when no subscriber
/// was ever installed; boxed otherwise, so that what carries it stays small.
#[derive(Default)]
pub(crate) struct Context(Option<Box<Captured>>);

impl Context {
    /// The calling thread's current dispatcher and span.
    #[inline]
    pub(crate) fn capture() -> Self {
        Context(Captured::capture().map(Box::new))
    }

    /// Runs `f` under the captured dispatcher, inside the captured span.
    #[inline]
    pub(crate) fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.0 {
            None => f(),
            Some(captured) => captured.in_scope(f),
        }
    }
}
