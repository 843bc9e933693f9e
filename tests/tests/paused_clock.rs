//! Calls awaited under a paused tokio clock (`#[tokio::test(start_paused =
//! true)]`, `tokio::time::pause()`): the clock jumps to the next timer
//! whenever the runtime has nothing to do, so a body running where tokio
//! cannot see it (a rayon thread, a `Dedicated` thread) must keep it still,
//! as a `spawn_blocking` task does, or a `timeout` around the call fires at
//! once.

mod deadline;

use std::future::Future;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use bridge_runtime::{CpuPool, Dedicated, IoPool, offload};
use deadline::deadline;
use futures::StreamExt;

/// How long each body takes, in real time.
const BODY: Duration = Duration::from_millis(50);

fn nap() -> u32 {
    thread::sleep(BODY);
    7
}

#[offload(cpu)]
fn cpu_nap() -> u32 {
    nap()
}

static NAMED: CpuPool = CpuPool::new("paused-cpu", 1);
static SIZED: IoPool = IoPool::new("paused-io", 1);

/// Runs `calls` on a current-thread runtime whose clock starts paused, on a
/// thread of its own under a deadline.
fn paused<F, Fut>(what: &str, calls: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    deadline(what, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("runtime")
            .block_on(calls());
    });
}

/// `call` under a timeout of an hour of paused time: it must return its
/// value, not time out.
async fn not_timed_out<F: Future<Output = u32>>(what: &str, call: F) {
    let outcome = tokio::time::timeout(Duration::from_secs(3600), call).await;
    assert_eq!(
        outcome.ok(),
        Some(7),
        "{what} timed out under a paused clock"
    );
}

/// With nothing running, an hour of paused time passes at once; were the
/// clock still held, this would wait an hour of real time.
async fn an_hour_passes_at_once(when: &str) {
    let real = Instant::now();
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert!(
        real.elapsed() < Duration::from_secs(5),
        "the clock stood still {when}: {:?}",
        real.elapsed()
    );
}

#[test]
fn a_cpu_call_under_a_timeout_is_not_timed_out_by_a_paused_clock() {
    paused("cpu", || async {
        not_timed_out("bridge_runtime::cpu", bridge_runtime::cpu(nap)).await;
        not_timed_out("#[offload(cpu)]", cpu_nap()).await;
        not_timed_out("a named CpuPool", NAMED.run(nap)).await;
    });
}

#[test]
fn an_io_call_under_a_timeout_is_not_timed_out_by_a_paused_clock() {
    paused("io", || async {
        not_timed_out("bridge_runtime::io", bridge_runtime::io(nap)).await;
        not_timed_out("a sized IoPool", SIZED.run(nap)).await;
    });
}

#[test]
fn a_stream_on_rayon_under_a_timeout_is_not_timed_out_by_a_paused_clock() {
    paused("stream", || async {
        let mut naps = std::pin::pin!(NAMED.run_iter(|| (0..2).map(|_| nap())));
        let first = tokio::time::timeout(Duration::from_secs(3600), naps.next()).await;
        assert_eq!(
            first.ok(),
            Some(Some(7)),
            "the stream's first item timed out"
        );
    });
}

#[test]
fn a_dedicated_call_under_a_timeout_is_not_timed_out_by_a_paused_clock() {
    paused("dedicated", || async {
        let value = Dedicated::spawn(|| 7u32);
        not_timed_out(
            "Dedicated::call",
            value.call(|v| {
                thread::sleep(BODY);
                *v
            }),
        )
        .await;
    });
}

#[test]
fn the_paused_clock_moves_on_again_once_the_call_is_back() {
    paused("after", || async {
        not_timed_out("bridge_runtime::cpu", bridge_runtime::cpu(nap)).await;
        an_hour_passes_at_once("after the call").await;
    });
}

#[test]
fn a_call_dropped_while_it_waits_lets_the_paused_clock_move_on() {
    paused("dropped", || async {
        let (release, released) = mpsc::channel::<()>();
        let mut call = Box::pin(bridge_runtime::cpu(move || {
            released.recv_timeout(Duration::from_secs(10)).is_ok()
        }));
        // The first poll hands the body over; the next few polls may look
        // for its result without waiting for it (when not polled by a tokio
        // task); a poll after those waits for it.
        let polling = std::time::Instant::now();
        while polling.elapsed() < Duration::from_millis(5) {
            assert!(futures::poll!(call.as_mut()).is_pending());
        }
        // While the call waits, paused time stands still: an hour's sleep
        // loses to a fifth of a second of real time.
        let (tick, ticked) = tokio::sync::oneshot::channel();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(200));
            let _ = tick.send(());
        });
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(3600)) => {
                panic!("an hour of paused time passed while a call waited")
            }
            _ = ticked => {}
        }
        // Dropped, the call no longer holds the clock, though its body may
        // still run for a moment.
        drop(call);
        drop(release);
        an_hour_passes_at_once("after the call was dropped").await;
    });
}
