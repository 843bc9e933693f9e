//! `Dedicated<T>`: a value on a thread of its own, called from anywhere.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use bridge_runtime::Dedicated;

fn assert_send_sync_clone<X: Send + Sync + Clone>(_: &X) {}

#[test]
fn the_handle_is_send_sync_and_clone_even_for_a_value_that_is_not() {
    let log = Dedicated::spawn(|| Rc::new(RefCell::new(Vec::<u32>::new())));
    assert_send_sync_clone(&log);
    let other = log.clone();
    let from_thread = std::thread::spawn(move || other.call_blocking(|v| v.borrow_mut().push(1)));
    from_thread.join().expect("no panic");
    assert_eq!(log.call_blocking(|v| v.borrow().clone()), [1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_run_in_order_on_one_thread() {
    let seen = Dedicated::spawn_named("ordered", Vec::<(u32, String)>::new);
    let mut pending = Vec::new();
    for i in 0..50 {
        // Queued in this order, from one task: they run in this order.
        pending.push(seen.call(move |v| {
            let name = std::thread::current().name().unwrap_or_default().to_owned();
            v.push((i, name));
        }));
    }
    futures::future::join_all(pending).await;
    let all = seen.call(|v| v.clone()).await;
    assert_eq!(
        all.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        (0..50).collect::<Vec<_>>()
    );
    assert!(all.iter().all(|(_, name)| name == "ordered"));
    assert_eq!(seen.call_blocking(|v| v.len()), 50);
}

#[tokio::test]
async fn a_panic_resumes_in_its_caller_and_later_calls_still_run() {
    let counter = Dedicated::spawn(|| 0u32);
    counter.call(|c| *c += 1).await;
    let failed = tokio::spawn({
        let counter = counter.clone();
        async move { counter.call(|_| -> u32 { panic!("bad query") }).await }
    })
    .await
    .expect_err("the call panicked");
    let payload = failed.into_panic();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"bad query"));
    counter.call(|c| *c += 1).await;
    assert_eq!(counter.call(|c| *c).await, 2);

    let blocking = catch_unwind(AssertUnwindSafe(|| {
        counter.call_blocking(|_| -> () { panic!("again") })
    }));
    assert!(blocking.is_err());
    assert_eq!(counter.call_blocking(|c| *c), 2);
}

/// Records, when dropped, the thread it was dropped on.
struct Probe(Arc<Mutex<Vec<String>>>);

impl Drop for Probe {
    fn drop(&mut self) {
        let name = std::thread::current()
            .name()
            .unwrap_or("<unnamed>")
            .to_owned();
        if let Ok(mut log) = self.0.lock() {
            log.push(format!("dropped on {name}"));
        }
    }
}

#[test]
fn dropping_the_last_handle_runs_queued_calls_then_drops_the_value_on_its_thread() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let probe_log = log.clone();
    let probe = Dedicated::spawn_named("probe-owner", move || Probe(probe_log));
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    // Hold the thread so the next calls queue up behind.
    let holder = probe.clone();
    let held = std::thread::spawn(move || {
        holder.call_blocking(move |_| {
            let _ = started_tx.send(());
            let _ = release_rx.recv();
        })
    });
    started_rx.recv().expect("first call started");
    for i in 0..3 {
        let log = log.clone();
        let queued = probe.clone();
        // Fire and forget: the future is polled once to queue the call,
        // then dropped; a dropped call does not run.
        drop(std::thread::spawn(move || {
            queued.call_blocking(move |_| log.lock().map(|mut l| l.push(format!("call {i}"))).ok())
        }));
    }
    std::thread::sleep(Duration::from_millis(50));
    drop(probe);
    let _ = release_tx.send(());
    held.join().expect("no panic");
    // The thread ends by itself once the queue is empty.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while log.lock().map(|l| l.len()).unwrap_or(0) < 4 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let log = log.lock().expect("lock").clone();
    assert_eq!(log.len(), 4, "{log:?}");
    assert_eq!(
        log.last().map(String::as_str),
        Some("dropped on probe-owner")
    );
}

#[tokio::test]
async fn a_call_dropped_before_it_started_does_not_run() {
    let value = Dedicated::spawn(|| 0u32);
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let holder = value.clone();
    let held = std::thread::spawn(move || {
        holder.call_blocking(move |_| {
            let _ = started_tx.send(());
            let _ = release_rx.recv();
        })
    });
    started_rx.recv().expect("holder started");
    {
        let mut queued = Box::pin(value.call(|v| *v += 1));
        let waker = std::task::Waker::noop();
        assert!(
            queued
                .as_mut()
                .poll(&mut std::task::Context::from_waker(waker))
                .is_pending()
        );
    } // dropped here, still queued
    let _ = release_tx.send(());
    held.join().expect("no panic");
    assert_eq!(value.call(|v| *v).await, 0, "the dropped call ran");
}

#[test]
fn a_constructor_that_panicked_is_reported_by_each_call() {
    let broken: Dedicated<u32> = Dedicated::spawn_named("broken", || panic!("no such database"));
    for _ in 0..2 {
        let caught = catch_unwind(AssertUnwindSafe(|| broken.call_blocking(|v| *v)));
        let payload = caught.expect_err("panics");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(message.contains("never built"), "{message}");
        assert!(message.contains("no such database"), "{message}");
        assert!(message.contains("broken"), "{message}");
    }
}
