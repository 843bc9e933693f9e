//! The `tracing` context of bodies run by a rayon worker that waits inside
//! another body (a `cpu` body that makes a `#[blocking]` call): while it
//! waits, the worker runs other calls' bodies, and each must run in its
//! own caller's context, not in the waiting body's. Before, a body whose
//! caller had no subscriber reached the waiting body's scoped subscriber,
//! and a body whose caller was in no span was recorded inside the waiting
//! body's span.
//!
//! The bodies meet only if the calls land on the waiting worker: the pool's
//! other workers are kept busy meanwhile. This binary installs a global
//! subscriber, and its tests take turns.

mod deadline;
mod support;

use std::sync::Mutex;
use std::time::Duration;

use deadline::deadline;
use support::Recorder;

/// The tests take turns: each keeps rayon's workers busy in its own way.
static TURN: Mutex<()> = Mutex::new(());

/// Runs `waiting` (a call whose body waits half a second inside
/// `bridge_runtime::block_on`) on a thread of its own, with every other
/// rayon worker busy, and meanwhile 50 `cpu` calls from this thread under
/// `background`, each of which logs `LABEL:N`.
fn background_calls_beside_a_waiting_body(
    label: &'static str,
    waiting: impl FnOnce() + Send + 'static,
    background: impl Fn(&mut dyn FnMut()),
) {
    for _ in 1..rayon::current_num_threads() {
        rayon::spawn(|| std::thread::sleep(Duration::from_millis(700)));
    }
    let waiter = std::thread::spawn(waiting);
    std::thread::sleep(Duration::from_millis(100));
    for i in 0..50 {
        background(&mut || {
            bridge_runtime::block_on(bridge_runtime::cpu(move || {
                tracing::info!("{label}:{i}");
            }));
        });
    }
    waiter.join().expect("the waiting call");
}

/// A `cpu` body that waits half a second.
fn a_body_that_waits() {
    bridge_runtime::block_on(bridge_runtime::cpu(|| {
        bridge_runtime::block_on(async { tokio::time::sleep(Duration::from_millis(500)).await });
    }));
}

#[test]
fn a_body_of_a_caller_in_no_span_is_in_no_span() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let recorder = Recorder::global();
    deadline("background calls beside a body in a span", || {
        background_calls_beside_a_waiting_body(
            "in no span",
            || {
                let request = tracing::info_span!("request_a");
                let _entered = request.enter();
                a_body_that_waits();
            },
            |call| call(),
        );
    });
    let background: Vec<_> = recorder
        .events()
        .into_iter()
        .filter(|e| e.message.starts_with("in no span:"))
        .collect();
    assert_eq!(background.len(), 50, "{background:?}");
    let in_a_span: Vec<_> = background.iter().filter(|e| !e.spans.is_empty()).collect();
    assert!(
        in_a_span.is_empty(),
        "{} in a span: {:?}",
        in_a_span.len(),
        in_a_span.first()
    );
}

#[test]
fn a_body_of_a_caller_with_no_subscriber_reaches_none() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let global = Recorder::global();
    let (scoped, subscriber) = Recorder::scoped(tracing_subscriber::layer::Identity::new());
    deadline(
        "background calls beside a body with a scoped subscriber",
        || {
            background_calls_beside_a_waiting_body(
                "no subscriber",
                move || tracing::subscriber::with_default(subscriber, a_body_that_waits),
                // This caller has no subscriber at all.
                |call| tracing::dispatcher::with_default(&tracing::Dispatch::none(), call),
            );
        },
    );
    let reached = |recorder: &Recorder| {
        recorder
            .events()
            .iter()
            .filter(|e| e.message.starts_with("no subscriber:"))
            .count()
    };
    assert_eq!(
        reached(&scoped),
        0,
        "the scoped subscriber of another thread"
    );
    assert_eq!(reached(global), 0, "the global subscriber");
}
