//! Driving a future on the calling thread, which waits between wake-ups.

use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

/// Wakes the thread that drives a future: sets its flag and unparks it.
struct Unpark {
    thread: std::thread::Thread,
    woken: AtomicBool,
}

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// A thread's parking spot: its flag and the waker that sets it.
type Spot = (Arc<Unpark>, Waker);

thread_local! {
    /// This thread's parking spot, kept between calls so that a call
    /// allocates nothing; taken while a call uses it, so a nested call
    /// makes its own.
    static SPOT: Cell<Option<Spot>> = const { Cell::new(None) };
}

fn new_spot() -> Spot {
    let unpark = Arc::new(Unpark {
        thread: std::thread::current(),
        woken: AtomicBool::new(false),
    });
    (unpark.clone(), Waker::from(unpark))
}

/// Polls `future` on this thread until it is ready. While it is pending,
/// `idle` runs again and again until the future's waker fires: it parks
/// the thread ([`std::thread::park`]), or does other useful work in
/// between (a rayon worker runs its pool's jobs).
pub(crate) fn drive<F: Future>(future: F, mut idle: impl FnMut()) -> F::Output {
    let (unpark, waker) = SPOT
        .try_with(Cell::take)
        .ok()
        .flatten()
        .unwrap_or_else(new_spot);
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    let output = loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            break output;
        }
        while !unpark.woken.swap(false, Ordering::Acquire) {
            idle();
        }
    };
    let _ = SPOT.try_with(|spot| spot.set(Some((unpark, waker))));
    output
}
