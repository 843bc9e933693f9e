//! What the test binaries share: a `tracing` layer that records every event.
//!
//! Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use tracing_subscriber::Registry;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// One recorded event.
#[derive(Clone, Debug)]
pub struct Event {
    pub level: tracing::Level,
    pub target: String,
    pub message: String,
    /// Its other fields, `(name, value)` in the order recorded; strings
    /// as they are, other values as `Debug` shows them.
    pub fields: Vec<(String, String)>,
    /// The names of the spans it was in, innermost first.
    pub spans: Vec<String>,
}

impl Event {
    /// The value of the field `name`, if the event has it.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Records every event of the subscriber it is a layer of, with its level,
/// message, fields and spans.
///
/// A panic while its lock is held (in another layer's callback, say) does
/// not make it lose events: the lock's poisoning is ignored, as the list is
/// never left half-written.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Event>>>);

/// Which layers the global recorder was installed with.
static GLOBAL: OnceLock<(Recorder, &'static str)> = OnceLock::new();

impl Recorder {
    /// The recorder, installed as the process's global subscriber on first use.
    pub fn global() -> &'static Recorder {
        Self::install_global("alone", || {
            Box::new(tracing_subscriber::layer::Identity::new())
        })
    }

    /// The recorder, installed on first use as the process's global
    /// subscriber with `layer` beside it. A test binary uses either this
    /// or [`global`](Self::global), always with the same kind of layer
    /// (`name` says which, and is checked).
    pub fn global_with<L>(name: &'static str, layer: impl FnOnce() -> L) -> &'static Recorder
    where
        L: Layer<Registry> + Send + Sync + 'static,
    {
        Self::install_global(name, || Box::new(layer()))
    }

    fn install_global(
        name: &'static str,
        layer: impl FnOnce() -> Box<dyn Layer<Registry> + Send + Sync>,
    ) -> &'static Recorder {
        let (recorder, installed_with) = GLOBAL.get_or_init(|| {
            let recorder = Recorder::default();
            tracing::subscriber::set_global_default(
                tracing_subscriber::registry()
                    .with(layer())
                    .with(recorder.clone()),
            )
            .expect("the only global subscriber of this test binary");
            (recorder, name)
        });
        assert_eq!(
            *installed_with, name,
            "the global recorder was installed with other layers"
        );
        recorder
    }

    /// A recorder of its own and a subscriber that feeds it, with `layer`
    /// beside it: for `tracing::subscriber::with_default` or `set_default`.
    pub fn scoped<L>(layer: L) -> (Recorder, impl tracing::Subscriber + Send + Sync + 'static)
    where
        L: Layer<Registry> + Send + Sync + 'static,
    {
        let recorder = Recorder::default();
        let subscriber = tracing_subscriber::registry()
            .with(layer)
            .with(recorder.clone());
        (recorder, subscriber)
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Event>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The events recorded so far, oldest first.
    pub fn events(&self) -> Vec<Event> {
        self.lock().clone()
    }

    /// The spans of the first event whose message is `message`.
    pub fn spans_of(&self, message: &str) -> Option<Vec<String>> {
        self.events()
            .into_iter()
            .find(|e| e.message == message)
            .map(|e| e.spans)
    }

    /// The warnings emitted inside the span named `span`, oldest first.
    pub fn warning_events_in(&self, span: &str) -> Vec<Event> {
        self.events()
            .into_iter()
            .filter(|e| e.level == tracing::Level::WARN && e.spans.iter().any(|s| s == span))
            .collect()
    }

    /// The messages of the warnings emitted inside the span named `span`,
    /// oldest first.
    pub fn warnings_in(&self, span: &str) -> Vec<String> {
        self.warning_events_in(span)
            .into_iter()
            .map(|e| e.message)
            .collect()
    }
}

/// Reads an event's fields.
#[derive(Default)]
struct Fields {
    message: String,
    others: Vec<(String, String)>,
}

impl tracing::field::Visit for Fields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.others
                .push((field.name().to_owned(), value.to_owned()));
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let value = format!("{value:?}");
        if field.name() == "message" {
            self.message = value;
        } else {
            self.others.push((field.name().to_owned(), value));
        }
    }
}

impl<S> Layer<S> for Recorder
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let spans = ctx
            .event_scope(event)
            .map(|scope| scope.map(|span| span.name().to_owned()).collect())
            .unwrap_or_default();
        self.lock().push(Event {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            message: fields.message,
            fields: fields.others,
            spans,
        });
    }
}

#[test]
fn a_recorder_whose_lock_was_poisoned_still_records() {
    let (recorder, subscriber) = Recorder::scoped(tracing_subscriber::layer::Identity::new());
    let poisoner = recorder.clone();
    let panicked = std::thread::spawn(move || {
        let _held = poisoner.0.lock();
        panic!("poisoning the recorder's lock on purpose");
    })
    .join();
    assert!(panicked.is_err());
    assert!(recorder.0.is_poisoned());

    tracing::subscriber::with_default(subscriber, || tracing::warn!(n = 1, "after the panic"));

    let events = recorder.events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].message, "after the panic");
    assert_eq!(events[0].field("n"), Some("1"));
}
