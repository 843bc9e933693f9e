//! The future of one offloaded call: handed to its pool when first polled,
//! then resolving to the body's outcome.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use crate::clock::ClockHold;
use crate::job::Completion;

/// A pool a [`PoolCall`] can be handed to.
pub(crate) trait Pool: Sync + 'static {
    /// Whether the poll that hands a body over asks to be polled again
    /// instead of registering its waker (see [`PoolCall`]): worth it where
    /// bodies often finish before the executor comes back to the task
    /// (rayon's workers take a job in well under a microsecond, on another
    /// CPU), not where each hand-over wakes a sleeping thread (tokio's
    /// blocking pool: measured 2 to 4% dearer in bulk, and from a spawned
    /// task 19 to 40% dearer one call at a time).
    fn looks_again() -> bool;

    /// Whether tokio counts the body as work under way while it runs (it
    /// does for its blocking pool): if not, a caller waiting under a paused
    /// clock keeps the clock still itself (see [`crate::clock`]).
    const TOKIO_SEES_THE_BODY: bool;

    /// Takes a call: hands `body` to a thread, or queues it for a slot.
    fn take<F, R>(&'static self, what: &'static str, body: F) -> Taken<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static;
}

/// How a pool took a call.
pub(crate) enum Taken<R> {
    /// Handed to a thread.
    Running(Completion<R>),
    /// Waiting for a slot of a sized pool; the wait (boxed, so that calls
    /// that need not wait stay small) hands the body over once it has one.
    Queued(Completion<R>, Pin<Box<dyn Future<Output = ()> + Send>>),
}

/// A call on a pool: handed to the pool when first polled, then resolving
/// to its outcome. What `run`, `io`, `cpu` and `#[offload]` return.
///
/// Written out rather than an `async fn`, whose state would keep the
/// body's slot beside the completion's: a call in flight is a few words,
/// which matters when thousands are.
pub(crate) struct PoolCall<P: 'static, F, R>(Stage<P, F, R>);

enum Stage<P: 'static, F, R> {
    Start {
        pool: &'static P,
        what: &'static str,
        body: F,
    },
    Queued(Completion<R>, Pin<Box<dyn Future<Output = ()> + Send>>),
    /// Handed over, polled by a tokio task that asked its scheduler to poll
    /// it again once the worker has run its other ready work (see
    /// [`defer_to_tokio`]).
    Deferred(Completion<R>),
    /// Handed over, polled by an executor that is not tokio's scheduler:
    /// the call looks again without registering, a few times (see
    /// [`Looks`]).
    Looking(Completion<R>, Looks),
    /// Handed over; the hold is kept while the caller waits under a paused
    /// clock for a body tokio cannot see.
    Submitted(Completion<R>, Option<ClockHold>),
    /// Only while the call moves on from one stage to the next (or if
    /// handing it over panicked).
    Moving,
}

impl<P, F, R> Stage<P, F, R> {
    /// Moves a call that was handed over (queued and now given its slot,
    /// looking, or deferred) on to waiting for its outcome.
    fn submit(&mut self) {
        *self = match std::mem::replace(self, Stage::Moving) {
            Stage::Queued(completion, _)
            | Stage::Looking(completion, _)
            | Stage::Deferred(completion) => Stage::Submitted(completion, None),
            other => other,
        };
    }
}

impl<P: Pool, F, R> PoolCall<P, F, R> {
    pub(crate) fn new(pool: &'static P, what: &'static str, body: F) -> Self {
        PoolCall(Stage::Start { pool, what, body })
    }
}

// Nothing in a `PoolCall` is ever pinned: the body is moved out on the
// first poll, the wait is boxed, and the completion is `Unpin`.
impl<P, F, R> Unpin for PoolCall<P, F, R> {}

impl<P, F, R> Future for PoolCall<P, F, R>
where
    P: Pool,
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let stage = &mut self.0;
        if matches!(stage, Stage::Start { .. })
            && let Stage::Start { pool, what, body } = std::mem::replace(stage, Stage::Moving)
        {
            match pool.take(what, body) {
                Taken::Running(completion) => {
                    // Ask to be polled again rather than register now: a
                    // short body is often done by then, and its result is
                    // taken with no wake-up at all (nothing was registered
                    // for the pool thread to wake); a longer one registers
                    // then.
                    if !P::looks_again() {
                        *stage = Stage::Submitted(completion, None);
                    } else if !wakes_a_tokio_task(cx.waker()) {
                        cx.waker().wake_by_ref();
                        *stage = Stage::Looking(completion, Looks::start());
                        return Poll::Pending;
                    } else if deferring_pays() && defer_to_tokio(cx) {
                        *stage = Stage::Deferred(completion);
                        return Poll::Pending;
                    } else {
                        *stage = Stage::Submitted(completion, None);
                    }
                }
                Taken::Queued(completion, wait) => *stage = Stage::Queued(completion, wait),
            }
        }
        if let Stage::Queued(_, wait) = stage {
            std::task::ready!(wait.as_mut().poll(cx));
            stage.submit();
        }
        if let Stage::Looking(completion, looks) = stage {
            if completion.is_waiting() && looks.another() {
                // Let a pool thread that shares this CPU run the body.
                std::thread::yield_now();
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            stage.submit();
        }
        let deferred = matches!(stage, Stage::Deferred(_));
        if let Stage::Deferred(completion) = stage {
            if completion.is_waiting() {
                // Let a pool thread that shares this CPU run the body.
                std::thread::yield_now();
            }
            stage.submit();
        }
        match stage {
            Stage::Submitted(completion, hold) => {
                let polled = Pin::new(completion).poll(cx);
                if deferred {
                    deferred_look_found(polled.is_ready());
                }
                if !P::TOKIO_SEES_THE_BODY {
                    crate::clock::hold_while(&polled, hold);
                }
                polled
            }
            _ => panic!(
                "bridge: a call was polled again after handing its body to the pool panicked"
            ),
        }
    }
}

/// Asks tokio's scheduler to poll the task (whose waker `cx` holds) again
/// once it has run its other ready work; returns whether it did.
///
/// tokio's `yield_now` hands the waker to the scheduler, which wakes it when
/// it would otherwise go to sleep (after the other ready tasks and a look at
/// its I/O driver). Waking itself instead, a task on a worker is polled
/// again almost at once, usually before a rayon thread has taken the body,
/// and then sleeps until the body's end wakes it; deferred, the look comes a
/// few microseconds later, when a short body is usually done and the worker
/// need not sleep at all. Measured one call at a time from a spawned task:
/// 0.70 of `rayon::spawn` + oneshot waking itself, 0.40 deferred.
///
/// Only for a tokio task's own waker: the scheduler wakes what was deferred
/// to it when the worker gets back to it, and an executor that blocks inside
/// a task's poll (`futures::executor::block_on` in async code) never lets it,
/// so a waker of its own, deferred there, would never be woken.
fn defer_to_tokio(cx: &mut Context<'_>) -> bool {
    let mut yielded = std::pin::pin!(tokio::task::yield_now());
    // `yield_now` only completes on its second poll; should that ever
    // change, the call registers at once.
    yielded.as_mut().poll(cx).is_pending()
}

thread_local! {
    /// How many deferred looks in a row found their body still running on
    /// this thread (up to [`MISSES`]), and past that, how many calls since
    /// registered at once.
    static DEFERRED_MISSES: Cell<u8> = const { Cell::new(0) };
}

/// After this many deferred looks in a row that found the body still
/// running, a tokio worker's calls register at once...
const MISSES: u8 = 8;
/// ...and one call in this many tries a deferred look again.
const RETRY: u8 = 32;

/// Whether a call on this thread defers its look.
///
/// A deferred look that misses costs more than registering at once: the
/// worker polls its I/O driver and the task once more, and yields its
/// thread once (so that a rayon thread sharing its CPU can run the body),
/// before it sleeps. Where the bodies are longer than that, every look
/// misses: after [`MISSES`] in a row, the worker's calls register at once,
/// and one in [`RETRY`] looks again. (Before the yield, some placements of
/// the threads made every look miss for a while, the rayon thread waiting
/// for the worker's CPU: one call at a time from a task then took 22 µs
/// against tokio-rayon's 18, in 3 runs of 5; with it, 0.32 to 0.40 of the
/// references in 12 runs of 12.)
fn deferring_pays() -> bool {
    DEFERRED_MISSES.with(|misses| {
        let missed = misses.get();
        if missed < MISSES {
            return true;
        }
        if missed >= MISSES + RETRY - 1 {
            // Try again: one more miss goes back to registering at once.
            misses.set(MISSES - 1);
            return true;
        }
        misses.set(missed + 1);
        false
    })
}

/// Notes what a deferred look found.
fn deferred_look_found(done: bool) {
    DEFERRED_MISSES.with(|misses| {
        misses.set(if done {
            0
        } else {
            (misses.get() + 1).min(MISSES)
        });
    });
}

/// How a call polled by any other executor (`Runtime::block_on`, a
/// `#[blocking]` call, futures' executor) keeps looking for its result
/// before it registers to be woken: up to [`Looks::MOST`] times, and only
/// while this thread has handed over fewer than [`Looks::BURST`] other
/// calls since this one.
///
/// Such an executor has nothing to defer to: the call wakes itself, and is
/// polled again at once, as any future that yields would be; between looks
/// it yields its thread to the OS, so that a pool thread waiting for this
/// CPU runs the body (without that, a caller that shared its CPU with the
/// pool thread held the body back until it gave up: 1.7 times the
/// oneshot's time). A rayon thread that is awake takes a body well under a
/// microsecond after it was handed over, and a short body is done within a
/// few; found then, its result costs no sleep and no wake-up, which
/// together take 20 µs here. Measured one call at a time in `block_on`:
/// about 0.2 of `rayon::spawn` + oneshot, against 0.82 to 0.90 registering
/// at once; bursts of 10, 0.44 against 1.18. A longer body costs the
/// caller a few looks, each of which lets other threads run.
///
/// A call polled again only after its thread handed over many others (a
/// batch in `join_all`) registers at once: its looks would only delay the
/// batch. Counting hand-overs rather than reading a clock keeps a call of a
/// batch as cheap as before (two clock reads a call cost a batch of 10,000
/// 3 to 5%).
#[derive(Clone, Copy)]
struct Looks {
    /// This thread's hand-overs when this call was handed over.
    handed: u32,
    /// Looks left.
    left: u8,
}

thread_local! {
    /// How many calls this thread has handed over to look for.
    static HANDED: Cell<u32> = const { Cell::new(0) };
}

impl Looks {
    const MOST: u8 = 8;
    const BURST: u32 = 16;

    fn start() -> Self {
        let handed = HANDED.with(|handed| {
            let now = handed.get().wrapping_add(1);
            handed.set(now);
            now
        });
        Looks {
            handed,
            left: Self::MOST,
        }
    }

    /// Whether to look once more.
    fn another(&mut self) -> bool {
        if self.left == 0 || HANDED.with(Cell::get).wrapping_sub(self.handed) >= Self::BURST {
            return false;
        }
        self.left -= 1;
        true
    }
}

/// Whether `waker` is a tokio task's, which only that task's scheduler
/// polls. All tokio tasks' wakers share one table of functions; it is
/// learned once, from a task on a runtime of its own. If that fails (or a
/// later tokio gives tasks of different runtimes different tables), calls
/// wake themselves at once, as on any other executor.
fn wakes_a_tokio_task(waker: &Waker) -> bool {
    static TOKIO_TASK: OnceLock<Option<usize>> = OnceLock::new();
    let table = |waker: &Waker| std::ptr::from_ref(waker.vtable()) as usize;
    let tokio_task = TOKIO_TASK.get_or_init(|| {
        // On a thread of its own: this may run where a runtime may not
        // block.
        let probe = std::thread::Builder::new().name("bridge-probe".into());
        let learned = probe.spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().build().ok()?;
            let task = std::future::poll_fn(move |cx| Poll::Ready(table(cx.waker())));
            runtime.block_on(runtime.spawn(task)).ok()
        });
        learned.ok()?.join().ok().flatten()
    });
    *tokio_task == Some(table(waker))
}

/// Whether this process may run on more than one CPU at once (asked once).
/// With one, a pool thread cannot run while the caller polls, and looking
/// again only adds a poll (measured on one vCPU: 10,000 `cpu` calls at once
/// 13% dearer).
pub(crate) fn more_than_one_cpu() -> bool {
    static MORE: OnceLock<bool> = OnceLock::new();
    *MORE.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() > 1))
}

#[cfg(test)]
mod tests {
    use super::{MISSES, RETRY, deferred_look_found, deferring_pays, wakes_a_tokio_task};

    #[test]
    fn a_worker_whose_deferred_looks_miss_registers_at_once_and_tries_again_now_and_then() {
        std::thread::spawn(|| {
            // A look that finds the body done keeps the worker deferring.
            for _ in 0..3 * MISSES {
                assert!(deferring_pays());
                deferred_look_found(true);
            }
            for _ in 0..MISSES {
                assert!(deferring_pays());
                deferred_look_found(false);
            }
            // Past MISSES misses in a row: registering at once, but for one
            // call in RETRY, whose look misses too.
            let tries: Vec<bool> = (0..2 * RETRY)
                .map(|_| {
                    let deferring = deferring_pays();
                    if deferring {
                        deferred_look_found(false);
                    }
                    deferring
                })
                .collect();
            let deferred = tries.iter().filter(|&&deferring| deferring).count();
            assert_eq!(deferred, 2, "{tries:?}");
            // The try finds the body done: deferring again.
            deferred_look_found(true);
            assert!((0..RETRY).all(|_| deferring_pays()));
        })
        .join()
        .expect("the test's thread");
    }

    /// Whether the waker of the task that polls this is a tokio task's.
    async fn polled_by_a_tokio_task() -> bool {
        std::future::poll_fn(|cx| std::task::Poll::Ready(wakes_a_tokio_task(cx.waker()))).await
    }

    #[test]
    fn the_wakers_of_tokio_tasks_are_told_from_the_others() {
        let multi = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .expect("runtime");
        let current = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let task = |rt: &tokio::runtime::Runtime| {
            rt.block_on(rt.spawn(polled_by_a_tokio_task()))
                .expect("the task")
        };
        assert!(task(&multi), "a task of a multi-thread runtime");
        assert!(task(&current), "a task of a current-thread runtime");
        let local = tokio::task::LocalSet::new();
        assert!(
            local.block_on(&current, async {
                tokio::task::spawn_local(polled_by_a_tokio_task())
                    .await
                    .expect("the task")
            }),
            "a task of a LocalSet"
        );
        assert!(
            !multi.block_on(polled_by_a_tokio_task()),
            "Runtime::block_on"
        );
        assert!(
            !multi
                .block_on(
                    multi.spawn(async { futures::executor::block_on(polled_by_a_tokio_task()) })
                )
                .expect("the task"),
            "futures::executor::block_on inside a task"
        );
        assert!(
            !futures::executor::block_on(polled_by_a_tokio_task()),
            "futures::executor::block_on"
        );
    }
}
