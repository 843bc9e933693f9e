//! With the default `tracing` feature, an offloaded body runs inside the
//! caller's current span, on whichever thread it lands.

mod support;

use bridge_runtime::offload;
use support::Recorder;
use tracing::Instrument;

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
    let recorder = Recorder::global();

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

#[test]
fn a_scoped_subscriber_sees_the_events_of_offloaded_bodies() {
    use tracing_subscriber::layer::SubscriberExt;
    let scoped = Recorder::default();
    let subscriber = tracing_subscriber::registry().with(scoped.clone());
    tracing::subscriber::with_default(subscriber, || {
        futures::executor::block_on(async {
            io_body("scoped io").await;
            cpu_body("scoped cpu").await;
        });
        let span = tracing::info_span!("scoped span");
        let _entered = span.enter();
        // Also through a helper thread: a current-thread runtime's call.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime.block_on(async { helper_body() });
    });
    assert_eq!(scoped.spans_of("scoped io"), Some(vec![]));
    assert_eq!(scoped.spans_of("scoped cpu"), Some(vec![]));
    assert_eq!(
        scoped.spans_of("on the helper"),
        Some(vec!["scoped span".to_owned()])
    );
}

#[bridge_runtime::blocking]
async fn helper_body() {
    tracing::info!("on the helper");
}
