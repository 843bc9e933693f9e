//! The caller's `tracing` context, carried to the thread that runs its work.

use tracing::{Dispatch, Span};

/// The dispatcher and span current where a call was made. Empty (and free)
/// when no subscriber was ever installed; boxed otherwise, so that a call
/// made without tracing stays small.
#[derive(Default)]
pub(crate) struct Context(Option<Box<(Dispatch, Span)>>);

impl Context {
    /// The calling thread's current dispatcher and span.
    pub(crate) fn capture() -> Self {
        if !tracing::dispatcher::has_been_set() {
            return Context(None);
        }
        let dispatch = tracing::dispatcher::get_default(Dispatch::clone);
        if dispatch.is::<tracing::subscriber::NoSubscriber>() {
            // Nothing listens here: let the body use its own thread's
            // default, which a subscriber installed later may become.
            return Context(None);
        }
        Context(Some(Box::new((dispatch, Span::current()))))
    }

    /// Runs `f` under the captured dispatcher, inside the captured span.
    pub(crate) fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.0 {
            None => f(),
            Some(captured) => {
                let (dispatch, span) = &**captured;
                tracing::dispatcher::with_default(dispatch, || span.in_scope(f))
            }
        }
    }
}
