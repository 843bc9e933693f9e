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

static TIMED_CPU: bridge_runtime::CpuPool = bridge_runtime::CpuPool::new("timed-cpu", 1).timed();

#[offload(cpu, pool = TIMED_CPU)]
fn timed_cpu_body(tag: &'static str) {
    std::thread::sleep(std::time::Duration::from_millis(2));
    tracing::info!("{tag}");
}

#[test]
fn a_call_on_a_timed_pool_carries_both_its_time_and_its_span() {
    use tracing_subscriber::layer::SubscriberExt;
    let scoped = Recorder::default();
    let subscriber = tracing_subscriber::registry().with(scoped.clone());
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("timed span");
        futures::executor::block_on(timed_cpu_body("timed and traced").instrument(span));
    });
    assert_eq!(
        scoped.spans_of("timed and traced"),
        Some(vec!["timed span".to_owned()])
    );
    let stats = TIMED_CPU.stats();
    assert_eq!(stats.completed, 1);
    assert!(
        stats.run_time >= std::time::Duration::from_millis(2),
        "{stats:?}"
    );
}
