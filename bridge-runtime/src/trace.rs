//! The caller's `tracing` context, carried to the thread that runs its work.

use tracing::{Dispatch, Span};

/// The dispatcher and span current where a call was made.
pub(crate) struct Captured {
    dispatch: Dispatch,
    span: Span,
}

scoped_tls::scoped_thread_local! {
    /// The context a body running on this thread was entered into.
    static ENTERED: Captured
}

impl Captured {
    /// The calling thread's current dispatcher and span; `None` (and free)
    /// when no dispatcher was ever set anywhere.
    ///
    /// A caller under no subscriber while another thread has a scoped one
    /// carries that: the thread that runs its body may be inside another
    /// body's context (a rayon worker that waits there runs other jobs), and
    /// must not lend it.
    #[inline]
    pub(crate) fn capture() -> Option<Self> {
        if !tracing::dispatcher::has_been_set() {
            return None;
        }
        Some(Captured {
            dispatch: tracing::dispatcher::get_default(Dispatch::clone),
            span: Span::current(),
        })
    }

    /// Runs `f` under the captured dispatcher, inside the captured span.
    pub(crate) fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        ENTERED.set(self, || {
            tracing::dispatcher::with_default(&self.dispatch, || self.span.in_scope(f))
        })
    }
}

/// Runs `f`, in which the body running on this thread lends the thread to
/// other bodies while it waits, outside the span that body was entered
/// into, if that span is still the current one: a body whose caller was in
/// no span is recorded in none, not in the lender's. (Spans the lending
/// body entered itself stay current: nothing can take them off the stack,
/// as with rayon's own `join`.)
pub(crate) fn lent<R>(f: impl FnOnce() -> R) -> R {
    if !ENTERED.is_set() {
        return f();
    }
    ENTERED.with(|entered| {
        let stepped_out = entered.span.with_subscriber(|(id, dispatch)| {
            let current = dispatch.current_span();
            (current.id() == Some(id)).then(|| {
                dispatch.exit(id);
                StepBackIn(dispatch.clone(), id.clone())
            })
        });
        let _step_back_in = stepped_out.flatten();
        f()
    })
}

/// Enters its span again when dropped.
struct StepBackIn(Dispatch, tracing::span::Id);

impl Drop for StepBackIn {
    fn drop(&mut self) {
        self.0.enter(&self.1);
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
