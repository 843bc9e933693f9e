//! [`WatchdogLayer`]: which span each thread is in, kept where a
//! watchdog's monitor thread can read it.
//!
//! Each thread that enters a span gets a [`ThreadSpans`], registered once in
//! a process-wide list: the spans it has entered (innermost last) and which
//! runtime worker it was last seen being. The thread alone writes it, under
//! a lock nobody else takes except a monitor naming a stall.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::thread::{self, ThreadId};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::StalledSpan;

/// A [`tracing_subscriber::Layer`] that lets every [`Watchdog`](crate::Watchdog)
/// name the span a stalled thread is in: add it to your subscriber, and each
/// stall report names the innermost span entered on the blocked thread (its
/// name, fields and source location), for instance the request handler an
/// `#[instrument]` attribute wrapped.
///
/// Made by [`Watchdog::layer`](crate::Watchdog::layer), which shows how to
/// install it. It serves every watchdog of the process, started before or
/// after it was installed, and needs the subscriber to be a
/// `tracing_subscriber` registry (it keeps each span's fields, formatted
/// once when the span is created or records a value, in the span's
/// extensions).
///
/// # Cost
///
/// On every span creation, the fields formatted into a string (as
/// `tracing_subscriber::fmt` does); on every enter and exit of a span (an
/// `#[instrument]`ed future's every poll), a look-up of the span in the
/// registry and an uncontended lock of a list of the thread's own, and on
/// entering an outermost span, a read of which tokio worker the thread is.
/// No clock is read. Measured on a 2-vCPU virtual machine: about 120 ns
/// more per enter and exit, and 130 to 270 ns more per span created
/// (`cargo run --release -p bridge-runtime --example watchdog_cost`
/// measures it on yours).
///
/// # Examples
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let subscriber = tracing_subscriber::registry().with(bridge_runtime::Watchdog::layer());
/// tracing::subscriber::set_global_default(subscriber).expect("the first global subscriber");
/// ```
pub struct WatchdogLayer {
    /// Tells apart the spans of two subscribers that each have one, whose
    /// span ids may be equal.
    id: u64,
}

impl WatchdogLayer {
    pub(super) fn new() -> WatchdogLayer {
        static LAYERS: AtomicU64 = AtomicU64::new(0);
        WatchdogLayer {
            id: LAYERS.fetch_add(1, Ordering::Relaxed),
        }
    }
}

impl fmt::Debug for WatchdogLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatchdogLayer").finish_non_exhaustive()
    }
}

/// What the layer keeps in a span's extensions.
struct Described(Arc<SpanDescription>);

/// A span as a report names it.
struct SpanDescription {
    metadata: &'static Metadata<'static>,
    /// `name=value` pairs, as `Debug` shows the values.
    fields: String,
}

impl<S> Layer<S> for WatchdogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        // Formatted before taking the extensions' lock: a `Debug` impl may
        // use `tracing` itself.
        let mut fields = String::new();
        attrs.record(&mut FieldWriter(&mut fields));
        let described = Described(Arc::new(SpanDescription {
            metadata: attrs.metadata(),
            fields,
        }));
        span.extensions_mut().replace(described);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut more = String::new();
        values.record(&mut FieldWriter(&mut more));
        if more.is_empty() {
            return;
        }
        let mut extensions = span.extensions_mut();
        if let Some(Described(description)) = extensions.get_mut::<Described>() {
            let mut fields = description.fields.clone();
            if !fields.is_empty() {
                fields.push(' ');
            }
            fields.push_str(&more);
            *description = Arc::new(SpanDescription {
                metadata: description.metadata,
                fields,
            });
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let Some(description) = span.extensions().get::<Described>().map(|d| d.0.clone()) else {
            return;
        };
        let entered = Entered {
            layer: self.id,
            id: id.clone(),
            description,
        };
        // Fails only while the thread is being torn down.
        let _ = THIS_THREAD.try_with(|spans| spans.enter(entered));
    }

    fn on_exit(&self, id: &Id, _: Context<'_, S>) {
        let _ = THIS_THREAD.try_with(|spans| spans.exit(self.id, id));
    }
}

/// Writes fields as `name=value` pairs separated by spaces.
struct FieldWriter<'a>(&'a mut String);

impl Visit for FieldWriter<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        // Writing to a `String` cannot fail.
        let _ = write!(self.0, "{}={value:?}", field.name());
    }
}

/// Every thread that entered a span since the process started and is still
/// alive.
static THREADS: Mutex<Vec<Weak<ThreadSpans>>> = Mutex::new(Vec::new());

thread_local! {
    static THIS_THREAD: Arc<ThreadSpans> = ThreadSpans::register();
}

/// One thread's entered spans, and which runtime worker it is.
pub(super) struct ThreadSpans {
    id: ThreadId,
    name: Option<Arc<str>>,
    state: Mutex<ThreadState>,
}

#[derive(Default)]
struct ThreadState {
    /// The spans entered, innermost last.
    stack: Vec<Entered>,
    /// The worker this thread was when it last entered an outermost span.
    worker: Option<Claim>,
    /// What `tokio::runtime::worker_index` said then.
    index: Option<usize>,
}

/// A thread seen being a runtime's worker, since `order` (see
/// [`next_sighting`](super::next_sighting)).
#[derive(Clone, Copy)]
struct Claim {
    runtime: tokio::runtime::Id,
    index: usize,
    order: u64,
}

struct Entered {
    layer: u64,
    id: Id,
    description: Arc<SpanDescription>,
}

impl ThreadSpans {
    fn register() -> Arc<ThreadSpans> {
        let current = thread::current();
        let spans = Arc::new(ThreadSpans {
            id: current.id(),
            name: current.name().map(Arc::from),
            state: Mutex::default(),
        });
        let mut threads = THREADS.lock().unwrap_or_else(PoisonError::into_inner);
        threads.retain(|thread| thread.strong_count() > 0);
        threads.push(Arc::downgrade(&spans));
        spans
    }

    fn lock(&self) -> MutexGuard<'_, ThreadState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn enter(&self, entered: Entered) {
        let mut state = self.lock();
        if state.stack.is_empty() {
            // A thread becomes a worker, or stops being one, between polls,
            // when no span of a task is entered.
            state.note_worker();
        }
        state.stack.push(entered);
    }

    fn exit(&self, layer: u64, id: &Id) {
        let mut state = self.lock();
        if let Some(at) = state
            .stack
            .iter()
            .rposition(|entered| entered.layer == layer && entered.id == *id)
        {
            state.stack.remove(at);
        }
    }

    pub(super) fn id(&self) -> ThreadId {
        self.id
    }

    pub(super) fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The innermost span entered on the thread now.
    pub(super) fn innermost(&self) -> Option<StalledSpan> {
        let description = self.lock().stack.last()?.description.clone();
        let metadata = description.metadata;
        Some(StalledSpan {
            name: metadata.name(),
            target: metadata.target(),
            fields: description.fields.clone(),
            file: metadata.file(),
            line: metadata.line(),
        })
    }
}

impl ThreadState {
    fn note_worker(&mut self) {
        let index = tokio::runtime::worker_index();
        if index == self.index
            && (index.is_none()
                || self
                    .worker
                    .is_some_and(|claim| !super::seen_since(claim.index, claim.order)))
        {
            return;
        }
        self.index = index;
        self.worker = index.and_then(|index| {
            let runtime = tokio::runtime::Handle::try_current().ok()?.id();
            Some(Claim {
                runtime,
                index,
                order: super::next_sighting(index),
            })
        });
    }
}

/// The thread whose id is `id`, if it entered a span.
pub(super) fn thread(id: ThreadId) -> Option<Arc<ThreadSpans>> {
    let threads = THREADS.lock().unwrap_or_else(PoisonError::into_inner);
    threads
        .iter()
        .filter_map(Weak::upgrade)
        .find(|thread| thread.id == id)
}

/// For each of `workers` of `runtime`, the thread last seen becoming it
/// while entering a span, with the order of that sighting.
pub(super) fn workers(
    runtime: tokio::runtime::Id,
    workers: &[usize],
) -> Vec<Option<(u64, Arc<ThreadSpans>)>> {
    let mut found: Vec<Option<(u64, Arc<ThreadSpans>)>> = vec![None; workers.len()];
    let threads: Vec<Arc<ThreadSpans>> = THREADS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter_map(Weak::upgrade)
        .collect();
    for thread in threads {
        let Some(claim) = thread.lock().worker else {
            continue;
        };
        if claim.runtime != runtime {
            continue;
        }
        for (slot, _) in found
            .iter_mut()
            .zip(workers)
            .filter(|(_, worker)| **worker == claim.index)
        {
            if slot.as_ref().is_none_or(|(order, _)| *order < claim.order) {
                *slot = Some((claim.order, thread.clone()));
            }
        }
    }
    found
}
