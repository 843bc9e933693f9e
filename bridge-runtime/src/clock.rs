//! Waits for work tokio cannot see, under a paused tokio clock.
//!
//! A paused clock (`#[tokio::test(start_paused = true)]`,
//! `tokio::time::pause()`, current-thread runtimes only) jumps to the next
//! timer whenever its runtime has nothing to do, unless a `spawn_blocking`
//! task is in flight: tokio counts those as work under way. A body on a
//! rayon thread or a `Dedicated` thread is work tokio cannot see, so a
//! caller awaiting it under a `timeout` would see the timeout fire at once,
//! an hour of paused time gone in a microsecond. While such a caller waits
//! under a paused clock, it keeps one blocking task waiting with it, and
//! the clock keeps still as it does for `spawn_blocking`.
//!
//! Elsewhere a wait pays one thread-local read of the runtime's flavor
//! (about 4 ns here), and only when it returns `Pending`.

use std::future::Future;
use std::sync::mpsc;
use std::task::Poll;

use tokio::runtime::{Handle, RuntimeFlavor};

/// Keeps the paused clock of the caller's runtime still while it lives:
/// a blocking task of that runtime waits until this is dropped.
pub(crate) struct ClockHold(#[allow(dead_code)] Box<mpsc::Sender<()>>);

/// After a poll of a wait for work tokio cannot see: keeps `hold` while the
/// wait is pending under a paused clock, and lets it go once it is not.
pub(crate) fn hold_while<T>(polled: &Poll<T>, hold: &mut Option<ClockHold>) {
    match polled {
        Poll::Ready(_) => *hold = None,
        Poll::Pending => keep(hold),
    }
}

/// For a wait for work tokio cannot see that is pending: takes a hold if
/// the clock is paused and the wait has none yet.
pub(crate) fn keep(hold: &mut Option<ClockHold>) {
    if hold.is_none() {
        *hold = hold_if_paused();
    }
}

/// `wait`, keeping a paused clock still while it is pending.
pub(crate) async fn unseen<F: Future>(wait: F) -> F::Output {
    let mut wait = std::pin::pin!(wait);
    let mut hold = None;
    std::future::poll_fn(|cx| {
        let polled = wait.as_mut().poll(cx);
        hold_while(&polled, &mut hold);
        polled
    })
    .await
}

/// A hold on the clock of this thread's runtime, if that clock is paused.
fn hold_if_paused() -> Option<ClockHold> {
    let handle = Handle::try_current().ok()?;
    if handle.runtime_flavor() != RuntimeFlavor::CurrentThread || !paused() {
        return None;
    }
    let (hold, released) = mpsc::channel::<()>();
    // Ends when the hold is dropped; the runtime drops its tasks, and with
    // them their holds, before it waits for its blocking tasks.
    drop(handle.spawn_blocking(move || {
        let _ = released.recv();
    }));
    Some(ClockHold(Box::new(hold)))
}

/// Whether this thread's tokio clock stands still. Running, it is the
/// system's monotonic clock, so a read of it falls between two reads of
/// that; paused, it stays where the pause (or the last advance) left it.
/// A clock paused and resumed also reads elsewhere: a hold taken there
/// only keeps a blocking thread waiting for nothing.
fn paused() -> bool {
    let before = std::time::Instant::now();
    let tokio_now = tokio::time::Instant::now().into_std();
    let after = std::time::Instant::now();
    !(before <= tokio_now && tokio_now <= after)
}
