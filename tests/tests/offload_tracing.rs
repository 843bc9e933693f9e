//! With the default `tracing` feature, an offloaded body runs inside the
//! caller's current span, on whichever thread it lands.

use std::sync::{Arc, Mutex};

use bridge_runtime::offload;
use tracing::Instrument;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// An event's message, and the names of the spans it was in.
type Recorded = (String, Vec<String>);

/// Records every event.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Recorded>>>);

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
            events.push((message.0, spans));
        }
    }
}

impl Recorder {
    fn spans_of(&self, message: &str) -> Option<Vec<String>> {
        let events = self.0.lock().ok()?;
        events
            .iter()
            .find(|(m, _)| m == message)
            .map(|(_, spans)| spans.clone())
    }
}

#[offload(io)]
fn io_body(tag: &'static str) {
    tracing::info!("{tag}");
}

#[offload(cpu)]
fn cpu_body(tag: &'static str) {
    tracing::info!("{tag}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offloaded_bodies_run_in_the_callers_span() {
    let recorder = Recorder::default();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(recorder.clone()))
        .expect("first subscriber");

    async {
        io_body("from io").await;
        cpu_body("from cpu").await;
    }
    .instrument(tracing::info_span!("request", id = 7))
    .await;
    io_body("outside any span").await;

    let caller = Some(vec!["request".to_owned()]);
    assert_eq!(recorder.spans_of("from io"), caller);
    assert_eq!(recorder.spans_of("from cpu"), caller);
    assert_eq!(recorder.spans_of("outside any span"), Some(vec![]));
}
