//! `Dedicated<T>`: a value on a thread of its own, called from anywhere.

use std::cell::RefCell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, RefUnwindSafe, UnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use bridge_runtime::Dedicated;

fn assert_send_sync_clone<X: Send + Sync + Clone + UnwindSafe + RefUnwindSafe>(_: &X) {}

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

#[tokio::test]
async fn dropping_the_last_handle_runs_queued_calls_then_drops_the_value_on_its_thread() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let probe_log = log.clone();
    let probe = Dedicated::spawn_named("probe-owner", move || Probe(probe_log));
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    // Hold the thread so the next calls queue up behind.
    let held = tokio::spawn(probe.call(move |_| {
        let _ = started_tx.send(());
        let _ = release_rx.recv();
    }));
    tokio::task::spawn_blocking(move || started_rx.recv())
        .await
        .expect("join")
        .expect("first call started");
    // Three calls queued behind it. A call's future holds no handle once it
    // is queued: polling each once queues it.
    let mut queued = Vec::new();
    for i in 0..3 {
        let log = log.clone();
        let mut call = Box::pin(probe.call(move |_| {
            let name = std::thread::current().name().map(str::to_owned);
            log.lock().map(|mut l| l.push(format!("call {i}"))).ok();
            name
        }));
        assert!(poll_once(&mut call));
        queued.push(call);
    }
    // The last handle goes while the thread is busy and three calls wait.
    drop(probe);
    let _ = release_tx.send(());
    held.await.expect("no panic");
    let names = tokio::time::timeout(Duration::from_secs(5), futures::future::join_all(queued))
        .await
        .expect("the queued calls ran");
    assert!(
        names.iter().all(|n| n.as_deref() == Some("probe-owner")),
        "{names:?}"
    );
    // The value is dropped after them, on its own thread, which then ends.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while log.lock().map(|l| l.len()).unwrap_or(0) < 4 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let log = log.lock().expect("lock").clone();
    assert_eq!(
        log,
        ["call 0", "call 1", "call 2", "dropped on probe-owner"],
        "the queued calls ran in order, then the value was dropped on its thread"
    );
}

#[tokio::test]
async fn a_call_dropped_before_it_started_does_not_run() {
    let value = Dedicated::spawn(|| 0u32);
    let (release_tx, held) = hold(&value);
    {
        let mut queued = Box::pin(value.call(|v| *v += 1));
        assert!(poll_once(&mut queued));
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

/// Runs `f` on a thread of its own and returns how it ended (its result or
/// its panic), failing the test if it has not ended after `secs` seconds:
/// a deadlock fails the test instead of hanging it.
fn within<R: Send + 'static>(
    secs: u64,
    f: impl FnOnce() -> R + Send + 'static,
) -> std::thread::Result<R> {
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(catch_unwind(AssertUnwindSafe(f)));
    });
    done_rx
        .recv_timeout(Duration::from_secs(secs))
        .unwrap_or_else(|_| panic!("still running after {secs} s: a deadlock"))
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

/// Panics when dropped.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("a destructor that panics");
    }
}

#[test]
fn a_result_whose_drop_panics_after_its_caller_left_does_not_stop_later_calls() {
    let outcome = within(10, || {
        let value = Dedicated::spawn(|| 0u32);
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        {
            // Poll the call once so it is queued, wait until its body runs,
            // then drop the future: the caller has left.
            let mut call = Box::pin(value.call(move |v| {
                *v += 1;
                let _ = started_tx.send(());
                let _ = release_rx.recv();
                Bomb
            }));
            assert!(poll_once(&mut call));
            started_rx.recv().expect("the call started");
        }
        let _ = release_tx.send(());
        // The unread `Bomb` is dropped on the thread and panics there.
        value.call_blocking(|v| *v + 1)
    });
    assert_eq!(outcome.expect("later calls run"), 2);
}

/// The caller leaves right around the moment its result is sent: after the
/// send, the thread may hold the last end of the reply channel, and drops the
/// unread result with it.
#[test]
fn a_result_whose_drop_panics_as_its_caller_leaves_does_not_stop_later_calls() {
    let outcome = within(20, || {
        let value = Dedicated::spawn(|| ());
        let waker = std::task::Waker::noop();
        for round in 0..3_000u32 {
            // A result that reaches the caller first is the caller's, and
            // dropped on its thread, here: when it is left unread, or when
            // a slow first poll already finds it.
            let _ = catch_unwind(AssertUnwindSafe(|| {
                let ready_at = Instant::now() + Duration::from_micros(100);
                let mut call = Box::pin(value.call(move |_| {
                    while Instant::now() < ready_at {}
                    Bomb
                }));
                let _ = call
                    .as_mut()
                    .poll(&mut std::task::Context::from_waker(waker));
                // Leave at a moment that sweeps the few microseconds around
                // the send, round by round.
                let leave_at = ready_at + Duration::from_nanos(u64::from(round * 37 % 4_000));
                while Instant::now() < leave_at {}
                drop(call);
            }));
            if round % 100 == 99 {
                value.call_blocking(|()| ());
            }
        }
        value.call_blocking(|()| 7)
    });
    assert_eq!(outcome.expect("later calls run"), 7);
}

#[test]
fn a_closure_whose_drop_panics_when_its_caller_left_before_it_started_does_not_stop_later_calls() {
    let outcome = within(10, || {
        let value = Dedicated::spawn(|| 0u32);
        let (release_tx, held) = hold(&value);
        {
            let bomb = Bomb;
            let mut queued = Box::pin(value.call(move |v| {
                let _keep = &bomb;
                *v += 1;
            }));
            assert!(poll_once(&mut queued));
        } // dropped while queued: its closure is dropped unrun, on the thread
        let _ = release_tx.send(());
        held.join().expect("no panic");
        value.call_blocking(|v| *v)
    });
    assert_eq!(outcome.expect("later calls run"), 0, "the dropped call ran");
}

#[test]
fn a_blocking_call_from_inside_a_call_on_the_same_dedicated_panics_instead_of_deadlocking() {
    let outcome = within(10, || {
        let db = Dedicated::spawn_named("inner-db", || 1u32);
        let inner = db.clone();
        let nested = catch_unwind(AssertUnwindSafe(|| {
            db.call_blocking(move |_| inner.call_blocking(|v| *v))
        }));
        // The Dedicated still works afterwards.
        (
            nested.map_err(|p| panic_message(&*p)),
            db.call_blocking(|v| *v + 1),
        )
    });
    let (nested, after) = outcome.expect("no deadlock");
    let message = nested.expect_err("the nested call panics");
    assert!(message.contains("inner-db"), "{message}");
    assert!(message.contains("inside"), "{message}");
    assert_eq!(after, 2);
}

#[test]
fn an_async_call_awaited_from_inside_a_call_on_the_same_dedicated_panics_instead_of_deadlocking() {
    let outcome = within(10, || {
        let db = Dedicated::spawn_named("async-inner", || 1u32);
        let inner = db.clone();
        let nested = catch_unwind(AssertUnwindSafe(|| {
            db.call_blocking(move |_| futures::executor::block_on(inner.call(|v| *v)))
        }));
        nested.map_err(|p| panic_message(&*p))
    });
    let message = outcome
        .expect("no deadlock")
        .expect_err("the nested call panics");
    assert!(message.contains("async-inner"), "{message}");
    assert!(message.contains("inside"), "{message}");
}

/// The call waits for an offloaded body that calls the same `Dedicated`:
/// the body runs on a pool thread, and is still inside the call.
#[test]
fn a_call_from_a_body_that_a_call_on_the_same_dedicated_waits_for_panics_instead_of_deadlocking() {
    let outcome = within(10, || {
        let db = Dedicated::spawn_named("through-a-pool", || 1u32);
        let (via_io, via_cpu) = (db.clone(), db.clone());
        let through_io = catch_unwind(AssertUnwindSafe(|| {
            db.call_blocking(move |_| {
                bridge_runtime::block_on(bridge_runtime::io(move || via_io.call_blocking(|v| *v)))
            })
        }));
        let through_cpu = catch_unwind(AssertUnwindSafe(|| {
            db.call_blocking(move |_| {
                bridge_runtime::block_on(bridge_runtime::cpu(move || {
                    bridge_runtime::block_on(via_cpu.call(|v| *v))
                }))
            })
        }));
        (
            through_io.map_err(|p| panic_message(&*p)),
            through_cpu.map_err(|p| panic_message(&*p)),
            db.call_blocking(|v| *v + 1),
        )
    });
    let (through_io, through_cpu, after) = outcome.expect("no deadlock");
    for nested in [through_io, through_cpu] {
        let message = nested.expect_err("the nested call panics");
        assert!(message.contains("through-a-pool"), "{message}");
        assert!(message.contains("inside"), "{message}");
    }
    assert_eq!(after, 2);
}

#[tokio::test]
async fn a_nested_call_made_by_an_async_caller_panics_in_that_caller() {
    let db = Dedicated::spawn_named("from-async", || 1u32);
    let inner = db.clone();
    let caller = tokio::spawn({
        let db = db.clone();
        async move { db.call(move |_| inner.call_blocking(|v| *v)).await }
    });
    let joined = tokio::time::timeout(Duration::from_secs(5), caller)
        .await
        .expect("no deadlock");
    let message = panic_message(&*joined.expect_err("panics").into_panic());
    assert!(message.contains("from-async"), "{message}");
    assert_eq!(db.call(|v| *v).await, 1);
}

#[test]
fn a_cycle_through_two_dedicated_values_panics_instead_of_deadlocking() {
    let outcome = within(10, || {
        let a = Dedicated::spawn_named("cycle-a", || 1u32);
        let b = Dedicated::spawn_named("cycle-b", || 2u32);
        let a_again = a.clone();
        let nested = catch_unwind(AssertUnwindSafe(|| {
            a.call_blocking(move |_| b.call_blocking(move |_| a_again.call_blocking(|v| *v)))
        }));
        (
            nested.map_err(|p| panic_message(&*p)),
            a.call_blocking(|v| *v),
        )
    });
    let (nested, after) = outcome.expect("no deadlock");
    let message = nested.expect_err("the cycle panics");
    assert!(message.contains("cycle-a"), "{message}");
    assert!(message.contains("cycle-b"), "{message}");
    assert_eq!(after, 1);
}

#[test]
fn a_call_on_another_dedicated_from_inside_a_call_is_fine() {
    let outcome = within(10, || {
        let a = Dedicated::spawn(|| 1u32);
        let b = Dedicated::spawn(|| 2u32);
        let b_too = b.clone();
        // `b` calls `a`, then `a` calls `b`: no cycle at any moment.
        let first = b.call_blocking({
            let a = a.clone();
            move |v| *v + a.call_blocking(|w| *w)
        });
        let second = a.call_blocking(move |v| *v + b_too.call_blocking(|w| *w));
        (first, second)
    });
    assert_eq!(outcome.expect("no panic"), (3, 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_whose_caller_gave_up_sees_cancelled_and_the_next_call_runs_promptly() {
    let db = Dedicated::spawn(|| 0u64);
    let scan = db.call(|rows| {
        let started = std::time::Instant::now();
        while !bridge_runtime::cancelled() && started.elapsed() < Duration::from_secs(10) {
            *rows += 1;
            std::thread::sleep(Duration::from_millis(1));
        }
        started.elapsed()
    });
    let gave_up = std::time::Instant::now();
    assert!(
        tokio::time::timeout(Duration::from_millis(50), scan)
            .await
            .is_err(),
        "the scan cannot end by itself in 50 ms"
    );
    // The next call waits for the scan to notice and stop.
    let (was_cancelled, rows) = db.call(|rows| (bridge_runtime::cancelled(), *rows)).await;
    let waited = gave_up.elapsed();
    assert!(!was_cancelled, "a call whose caller waits is not cancelled");
    assert!(rows > 0, "the scan ran");
    assert!(
        waited < Duration::from_millis(500),
        "the next call started {waited:?} after the timeout"
    );
    assert!(!bridge_runtime::cancelled());
}

/// Holds `d`'s thread busy until the returned sender is used or dropped;
/// returns once the holding call has started.
fn hold<T: 'static>(d: &Dedicated<T>) -> (mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let holder = d.clone();
    let held = std::thread::spawn(move || {
        holder.call_blocking(move |_| {
            let _ = started_tx.send(());
            let _ = release_rx.recv();
        })
    });
    started_rx.recv().expect("the holding call started");
    (release_tx, held)
}

/// Polls `future` once with a waker that does nothing; true if it is pending.
fn poll_once<F: std::future::Future + Unpin>(future: &mut F) -> bool {
    let waker = std::task::Waker::noop();
    std::pin::Pin::new(future)
        .poll(&mut std::task::Context::from_waker(waker))
        .is_pending()
}

#[test]
fn close_runs_the_queued_calls_then_drops_the_value_on_its_thread_then_returns() {
    let outcome = within(10, || {
        let log = Arc::new(Mutex::new(Vec::new()));
        let probe_log = log.clone();
        let probe = Dedicated::spawn_named("closing", move || Probe(probe_log));
        let (release, held) = hold(&probe);
        let mut queued = Vec::new();
        for i in 0..3 {
            let log = log.clone();
            let mut call = Box::pin(probe.call(move |_| {
                log.lock().map(|mut l| l.push(format!("call {i}"))).ok();
                i
            }));
            assert!(poll_once(&mut call));
            queued.push(call);
        }
        let closer = {
            let probe = probe.clone();
            std::thread::spawn(move || probe.close_blocking())
        };
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            !closer.is_finished(),
            "close returned while calls were queued"
        );
        let _ = release.send(());
        held.join().expect("no panic");
        closer.join().expect("close returns");
        // Right after `close` returned: everything ran, and the value is gone.
        let when_closed = log.lock().expect("lock").clone();
        let results: Vec<i32> = queued
            .into_iter()
            .map(futures::executor::block_on)
            .collect();
        (when_closed, results)
    });
    let (when_closed, results) = outcome.expect("no panic");
    assert_eq!(
        when_closed,
        ["call 0", "call 1", "call 2", "dropped on closing"]
    );
    assert_eq!(results, [0, 1, 2]);
}

#[tokio::test]
async fn close_awaited_returns_after_the_value_was_dropped() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let probe_log = log.clone();
    let probe = Dedicated::spawn_named("async-close", move || Probe(probe_log));
    probe.call(|_| ()).await;
    tokio::time::timeout(Duration::from_secs(5), probe.close())
        .await
        .expect("close returns");
    assert_eq!(*log.lock().expect("lock"), ["dropped on async-close"]);
}

#[test]
fn calls_made_after_close_panic_saying_so() {
    let outcome = within(10, || {
        let db = Dedicated::spawn_named("closed-db", || 1u32);
        db.close_blocking();
        let blocking = catch_unwind(AssertUnwindSafe(|| db.call_blocking(|v| *v)))
            .map_err(|p| panic_message(&*p));
        let awaited = catch_unwind(AssertUnwindSafe(|| {
            futures::executor::block_on(db.call(|v| *v))
        }))
        .map_err(|p| panic_message(&*p));
        (blocking, awaited)
    });
    let (blocking, awaited) = outcome.expect("no deadlock");
    for message in [blocking.expect_err("panics"), awaited.expect_err("panics")] {
        assert!(message.contains("closed-db"), "{message}");
        assert!(message.contains("closed"), "{message}");
        assert!(message.contains("after"), "{message}");
    }
}

#[test]
fn closing_twice_and_from_several_handles_at_once_is_fine() {
    let outcome = within(10, || {
        let drops = Arc::new(Mutex::new(Vec::new()));
        let probe_drops = drops.clone();
        let probe = Dedicated::spawn_named("many-closers", move || Probe(probe_drops));
        let (release, held) = hold(&probe);
        let closers: Vec<_> = (0..4)
            .map(|i| {
                let probe = probe.clone();
                std::thread::spawn(move || {
                    if i % 2 == 0 {
                        probe.close_blocking();
                    } else {
                        futures::executor::block_on(probe.close());
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(50));
        assert!(closers.iter().all(|c| !c.is_finished()));
        let _ = release.send(());
        held.join().expect("no panic");
        for closer in closers {
            closer.join().expect("every close returns");
        }
        probe.close_blocking(); // again, once closed
        futures::executor::block_on(probe.close());
        drops.lock().expect("lock").clone()
    });
    assert_eq!(outcome.expect("no panic"), ["dropped on many-closers"]);
}

#[test]
fn close_returns_even_if_the_value_panics_when_dropped() {
    let outcome = within(10, || {
        let bomb = Dedicated::spawn(|| Bomb);
        bomb.call_blocking(|_| ());
        bomb.close_blocking();
    });
    outcome.expect("close returns");
}

#[test]
fn close_of_a_value_that_was_never_built_returns() {
    let outcome = within(10, || {
        let broken: Dedicated<u32> = Dedicated::spawn(|| panic!("cannot build"));
        broken.close_blocking();
        catch_unwind(AssertUnwindSafe(|| broken.call_blocking(|v| *v)))
            .map_err(|p| panic_message(&*p))
    });
    let message = outcome.expect("close returns").expect_err("panics");
    assert!(message.contains("cannot build"), "{message}");
}

#[test]
fn close_from_inside_a_call_on_the_same_dedicated_panics_instead_of_deadlocking() {
    let outcome = within(10, || {
        let db = Dedicated::spawn_named("self-closer", || 1u32);
        let inner = db.clone();
        let nested = catch_unwind(AssertUnwindSafe(|| {
            db.call_blocking(move |_| inner.close_blocking())
        }))
        .map_err(|p| panic_message(&*p));
        (nested, db.call_blocking(|v| *v))
    });
    let (nested, after) = outcome.expect("no deadlock");
    let message = nested.expect_err("panics");
    assert!(message.contains("self-closer"), "{message}");
    assert!(message.contains("inside"), "{message}");
    assert_eq!(after, 1, "the Dedicated is still open");
}

#[test]
fn calls_racing_with_close_either_run_before_the_value_is_dropped_or_panic_saying_closed() {
    let outcome = within(20, || {
        for _ in 0..20 {
            let log = Arc::new(Mutex::new(Vec::new()));
            let probe_log = log.clone();
            let probe = Dedicated::spawn_named("racing", move || Probe(probe_log));
            let callers: Vec<_> = (0..4)
                .map(|t| {
                    let probe = probe.clone();
                    let log = log.clone();
                    std::thread::spawn(move || {
                        let mut ran = 0;
                        for i in 0..200 {
                            let log = log.clone();
                            let call = catch_unwind(AssertUnwindSafe(|| {
                                probe.call_blocking(move |_| {
                                    log.lock().map(|mut l| l.push(format!("{t}/{i}"))).ok();
                                })
                            }));
                            match call {
                                Ok(()) => ran += 1,
                                Err(p) => {
                                    let message = panic_message(&*p);
                                    assert!(message.contains("closed"), "{message}");
                                    break;
                                }
                            }
                        }
                        ran
                    })
                })
                .collect();
            std::thread::sleep(Duration::from_micros(300));
            probe.close_blocking();
            let ran: usize = callers.into_iter().map(|c| c.join().expect("caller")).sum();
            let log = log.lock().expect("lock").clone();
            assert_eq!(log.len(), ran + 1, "every call that returned ran, once");
            assert_eq!(log.last().map(String::as_str), Some("dropped on racing"));
        }
    });
    outcome.expect("no deadlock, no lost call");
}

#[tokio::test(flavor = "current_thread")]
async fn a_full_bounded_queue_makes_call_wait_without_blocking_the_executor() {
    let db = Dedicated::builder()
        .name("bounded")
        .bound(1)
        .spawn(Vec::<u32>::new);
    let (release, held) = hold(&db);
    let mut first = Box::pin(db.call(|v| v.push(1)));
    assert!(poll_once(&mut first), "queued");
    let mut second = Box::pin(db.call(|v| v.push(2)));
    assert!(poll_once(&mut second), "waits for room");
    assert_eq!(
        db.stats().queued,
        1,
        "one call in the queue, one waiting for room"
    );
    // The executor still runs other tasks meanwhile.
    let ticks = tokio::spawn(async {
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    tokio::time::timeout(Duration::from_secs(5), ticks)
        .await
        .expect("the executor is not blocked")
        .expect("no panic");
    let _ = release.send(());
    let _ = tokio::task::spawn_blocking(move || held.join()).await;
    tokio::time::timeout(Duration::from_secs(5), async {
        first.await;
        second.await;
    })
    .await
    .expect("both ran");
    assert_eq!(db.call(|v| v.clone()).await, [1, 2]);
}

#[test]
fn a_full_bounded_queue_makes_call_blocking_wait() {
    let outcome = within(10, || {
        let db = Dedicated::builder().bound(2).spawn(Vec::<u32>::new);
        let (release, held) = hold(&db);
        let mut queued = Vec::new();
        for i in 0..2 {
            let mut call = Box::pin(db.call(move |v| v.push(i)));
            assert!(poll_once(&mut call));
            queued.push(call);
        }
        let blocked = {
            let db = db.clone();
            std::thread::spawn(move || db.call_blocking(|v| v.push(2)))
        };
        std::thread::sleep(Duration::from_millis(100));
        let waited = !blocked.is_finished();
        let stats = db.stats();
        let _ = release.send(());
        held.join().expect("no panic");
        blocked.join().expect("no panic");
        for call in queued {
            futures::executor::block_on(call);
        }
        (waited, stats.queued, db.call_blocking(|v| v.clone()))
    });
    let (waited, queued, seen) = outcome.expect("no deadlock");
    assert!(waited, "call_blocking returned while the queue was full");
    assert_eq!(queued, 2);
    assert_eq!(seen, [0, 1, 2]);
}

#[test]
fn a_caller_that_gives_up_waiting_for_room_frees_nothing_it_did_not_take() {
    let outcome = within(10, || {
        let db = Dedicated::builder().bound(1).spawn(|| 0u32);
        let (release, held) = hold(&db);
        let mut queued = Box::pin(db.call(|v| *v += 1));
        assert!(poll_once(&mut queued));
        for _ in 0..3 {
            let mut waiting = Box::pin(db.call(|v| *v += 100));
            assert!(poll_once(&mut waiting));
            drop(waiting); // gave up before there was room: never runs
        }
        let _ = release.send(());
        held.join().expect("no panic");
        futures::executor::block_on(queued);
        // The bound still holds one call, no more, no less.
        let (release, held) = hold(&db);
        let mut one = Box::pin(db.call(|v| *v += 1));
        let mut two = Box::pin(db.call(|v| *v += 1));
        let one_queued = poll_once(&mut one) && db.stats().queued == 1;
        let two_waits = poll_once(&mut two) && db.stats().queued == 1;
        let _ = release.send(());
        held.join().expect("no panic");
        futures::executor::block_on(one);
        futures::executor::block_on(two);
        (one_queued, two_waits, db.call_blocking(|v| *v))
    });
    assert_eq!(outcome.expect("no deadlock"), (true, true, 3));
}

#[test]
fn callers_waiting_for_room_when_the_dedicated_closes_panic_saying_closed() {
    let outcome = within(10, || {
        let db = Dedicated::builder()
            .name("bounded-close")
            .bound(1)
            .spawn(|| 0u32);
        let (release, held) = hold(&db);
        let mut queued = Box::pin(db.call(|v| *v += 1));
        assert!(poll_once(&mut queued));
        let waiting = {
            let db = db.clone();
            std::thread::spawn(move || {
                catch_unwind(AssertUnwindSafe(|| db.call_blocking(|v| *v)))
                    .map_err(|p| panic_message(&*p))
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        let closer = {
            let db = db.clone();
            std::thread::spawn(move || db.close_blocking())
        };
        std::thread::sleep(Duration::from_millis(50));
        let _ = release.send(());
        held.join().expect("no panic");
        closer.join().expect("close returns");
        futures::executor::block_on(queued);
        waiting.join().expect("joined")
    });
    // It waited for room before `close`, and got it after: it is refused.
    let message = outcome.expect("no deadlock").expect_err("refused");
    assert!(message.contains("closed"), "{message}");
}

#[test]
#[should_panic(expected = "bound")]
fn a_bound_of_zero_is_refused() {
    let _ = Dedicated::builder().bound(0).spawn(|| 0u32);
}

#[tokio::test]
async fn try_spawn_returns_the_constructors_error() {
    let failed =
        Dedicated::<u32>::try_spawn(|| Err::<u32, String>("no such database".into())).await;
    assert_eq!(failed.map(|_| ()), Err("no such database".to_owned()));

    // The value is built on the dedicated thread: it need not be `Send`.
    let built = Dedicated::builder()
        .name("fallible")
        .try_spawn(|| Ok::<_, String>(Rc::new(7u32)))
        .await
        .expect("built");
    let seen = built
        .call(|v| (**v, std::thread::current().name().map(str::to_owned)))
        .await;
    assert_eq!(seen, (7, Some("fallible".to_owned())));
}

#[test]
fn try_spawn_blocking_returns_the_constructors_error() {
    let failed = Dedicated::<u32>::try_spawn_blocking(|| "x".parse::<u32>());
    assert!(failed.is_err());
    let built = Dedicated::try_spawn_blocking(|| "42".parse::<u32>()).expect("built");
    assert_eq!(built.call_blocking(|v| *v), 42);
}

#[test]
fn a_constructor_that_panics_in_try_spawn_panics_in_its_caller() {
    let caught = catch_unwind(|| {
        Dedicated::<u32>::try_spawn_blocking(|| -> Result<u32, String> { panic!("corrupt file") })
    });
    assert_eq!(panic_message(&*caught.expect_err("panics")), "corrupt file");
    let caught = catch_unwind(|| {
        futures::executor::block_on(Dedicated::<u32>::try_spawn(|| -> Result<u32, String> {
            panic!("corrupt too")
        }))
    });
    assert_eq!(panic_message(&*caught.expect_err("panics")), "corrupt too");
}

#[test]
fn stats_count_each_call_once_in_the_state_it_is_in() {
    let outcome = within(10, || {
        let db = Dedicated::spawn(|| 0u32);
        for _ in 0..3 {
            db.call_blocking(|v| *v += 1);
        }
        let _ = catch_unwind(AssertUnwindSafe(|| db.call_blocking(|_| panic!("boom"))));
        let (release, held) = hold(&db);
        let mut cancelled = Box::pin(db.call(|v| *v += 100));
        assert!(poll_once(&mut cancelled));
        drop(cancelled);
        let mut queued = Box::pin(db.call(|v| *v));
        assert!(poll_once(&mut queued));
        std::thread::sleep(Duration::from_millis(20));
        let busy = db.stats();
        let _ = release.send(());
        held.join().expect("no panic");
        let value = futures::executor::block_on(queued);
        // A call's times are added just after its result is sent; the next
        // call starts only once they are.
        db.call_blocking(|_| ());
        (busy, db.stats(), value)
    });
    let (busy, idle, value) = outcome.expect("no panic");
    assert_eq!(value, 3);
    // 3 completed, 1 panicked, the holding call running, 2 queued behind it
    // (one whose caller already left).
    assert_eq!(
        (
            busy.submitted,
            busy.completed,
            busy.panicked,
            busy.running,
            busy.queued,
            busy.cancelled
        ),
        (7, 3, 1, 1, 2, 0)
    );
    assert_eq!(
        (
            idle.submitted,
            idle.completed,
            idle.panicked,
            idle.running,
            idle.queued,
            idle.cancelled
        ),
        (8, 6, 1, 0, 0, 1)
    );
    assert!(
        idle.queue_wait >= Duration::from_millis(15),
        "{:?}",
        idle.queue_wait
    );
    assert!(
        idle.run_time >= Duration::from_millis(15),
        "{:?}",
        idle.run_time
    );
}

#[test]
fn every_stats_snapshot_adds_up_while_the_dedicated_is_busy() {
    let outcome = within(30, || {
        let db = Dedicated::spawn(|| 0u64);
        let callers: Vec<_> = (0..4)
            .map(|_| {
                let db = db.clone();
                std::thread::spawn(move || {
                    for i in 0..2_000u64 {
                        if i % 10 == 0 {
                            // Cancelled or not, depending on timing.
                            let mut call = Box::pin(db.call(|v| *v += 1));
                            let _ = poll_once(&mut call);
                        } else {
                            db.call_blocking(|v| *v += 1);
                        }
                    }
                })
            })
            .collect();
        let mut snapshots = 0u64;
        while !callers.iter().all(|c| c.is_finished()) {
            let s = db.stats();
            assert_eq!(
                s.submitted,
                s.completed + s.panicked + s.cancelled + s.running + s.queued,
                "{s:?}"
            );
            assert!(s.running <= 1, "{s:?}");
            snapshots += 1;
        }
        for caller in callers {
            caller.join().expect("no panic");
        }
        let value = db.call_blocking(|v| *v);
        (snapshots, db.stats(), value)
    });
    let (snapshots, last, value) = outcome.expect("no panic");
    assert!(snapshots > 10, "{snapshots} snapshots");
    assert_eq!(last.submitted, 8_001);
    assert_eq!(last.completed + last.cancelled, 8_001);
    assert_eq!(value, last.completed - 1);
}

#[test]
fn call_blocking_on_a_bounded_queue_returns_from_a_task_that_spent_its_budget() {
    let outcome = within(10, || {
        let db = Dedicated::builder().bound(4).spawn(|| 41u32);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            // tokio gives a task 128 units per poll; spend them all, so that
            // any tokio future polled now (a semaphore's) says "pending".
            for _ in 0..128 {
                tokio::task::consume_budget().await;
            }
            db.call_blocking(|v| *v + 1)
        })
    });
    assert_eq!(outcome.expect("returns"), 42);
}
