//! What the test binaries share: a `tracing` layer that records every event.
//!
//! Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use std::sync::{Arc, Mutex, OnceLock};

use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// One recorded event.
#[derive(Clone, Debug)]
pub struct Event {
    pub level: tracing::Level,
    pub message: String,
    /// The names of the spans it was in, innermost first.
    pub spans: Vec<String>,
}

/// Records every event of the process, with its level, message and spans.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Event>>>);

impl Recorder {
    /// The recorder, installed as the process's global subscriber on first use.
    pub fn global() -> &'static Recorder {
        static RECORDER: OnceLock<Recorder> = OnceLock::new();
        RECORDER.get_or_init(|| {
            let recorder = Recorder::default();
            tracing::subscriber::set_global_default(
                tracing_subscriber::registry().with(recorder.clone()),
            )
            .expect("the only global subscriber of this test binary");
            recorder
        })
    }

    /// The events recorded so far, oldest first.
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().expect("recorder lock").clone()
    }

    /// The spans of the first event whose message is `message`.
    pub fn spans_of(&self, message: &str) -> Option<Vec<String>> {
        self.events()
            .into_iter()
            .find(|e| e.message == message)
            .map(|e| e.spans)
    }

    /// The messages of the warnings emitted inside the span named `span`,
    /// oldest first.
    pub fn warnings_in(&self, span: &str) -> Vec<String> {
        self.events()
            .into_iter()
            .filter(|e| e.level == tracing::Level::WARN && e.spans.iter().any(|s| s == span))
            .map(|e| e.message)
            .collect()
    }
}

struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S> tracing_subscriber::Layer<S> for Recorder
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let mut message = Message(String::new());
        event.record(&mut message);
        let spans = ctx
            .event_scope(event)
            .map(|scope| scope.map(|span| span.name().to_owned()).collect())
            .unwrap_or_default();
        if let Ok(mut events) = self.0.lock() {
            events.push(Event {
                level: *event.metadata().level(),
                message: message.0,
                spans,
            });
        }
    }
}
