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
