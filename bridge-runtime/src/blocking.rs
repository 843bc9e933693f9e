//! Running async code to completion from sync code, in any calling context.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use tokio::runtime::{Handle, RuntimeFlavor};

use crate::shared_runtime;

/// Runs `future` to completion and returns its output, from any context:
/// what `#[blocking]` expands to.
///
/// | called from | what happens |
/// | --- | --- |
/// | no runtime: `main`, a std thread | the future runs on this thread; timers and I/O are driven by the [shared runtime](crate::set_runtime) |
/// | a rayon worker (of any pool, a named [`CpuPool`](crate::CpuPool) included) outside any runtime | the future runs on this thread, driven by the shared runtime; while it waits, the worker runs other jobs of its pool, so work the future hands to that pool gets done; at 16 such waits nested on its stack it runs only the bodies of the `cpu` calls its own future makes, so its stack cannot overflow (a worker inside a runtime follows that runtime's row, and runs other jobs only once `block_in_place` has taken it out of it) |
/// | a worker of a multi-thread runtime, or one of its `spawn_blocking` threads | [`block_in_place`](tokio::task::block_in_place), then the future runs on this thread, driven by that runtime; its other tasks move to other workers |
/// | the thread of a multi-thread runtime's own `block_on`, a thread that entered its handle, its `on_thread_start` hook | `block_in_place`, then the future runs on this thread, driven by the shared runtime |
/// | a `Drop` run while a multi-thread runtime shuts down | the future runs on this thread, driven by the shared runtime (the dying one drives no more timers) |
/// | a current-thread runtime (`#[tokio::test]`) or one of its `spawn_blocking` threads; a `LocalSet` on either flavour; a current-thread runtime that entered another runtime's handle | the future runs on a helper thread driven by the shared runtime while this thread waits |
///
/// It never panics with tokio's "Cannot start a runtime from within a
/// runtime", and calls nest: the future may itself call `block_on`.
///
/// # Caveats
///
/// In the helper-thread row the caller's runtime is blocked while it waits:
/// a future that needs a task of that runtime to make progress (a channel
/// fed by it, a server running on it) can never finish. Such a call says
/// so: once it has waited a second, it emits a `tracing::warn!` naming the
/// future and the way out (`.await` it instead). Helper threads are a pool
/// of reused threads named `bridge-helper-N`, started on first use; at most
/// [`HELPER_THREADS`] futures run on them at once, and more wait their turn.
///
/// Telling a `LocalSet` (where tokio refuses `block_in_place`) from a
/// worker takes a probe: with `panic = "abort"`, where the probe cannot run,
/// a call inside a `LocalSet` of a multi-thread runtime aborts in tokio.
/// The probe's panic is kept off stderr by a panic hook bridge puts in front
/// of the program's on its first call; a hook the program installs later
/// and that calls the one it found (as crash reporters do) is called with
/// each probe's panic, so install such a hook before bridge's first call.
///
/// Some of tokio's futures look for a runtime when they are made, not when
/// they are polled: from plain code, `block_on(tokio::time::sleep(d))`
/// panics in `sleep`, before `block_on` runs. Make them inside the future:
/// `block_on(async move { tokio::time::sleep(d).await })`.
///
/// # Panics
///
/// A panic in the future resumes in the caller with its original payload,
/// except tokio's for a runtime that shut down under the call ("being
/// shutdown"), which becomes bridge's, naming the call.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// // Plain sync code: no runtime in sight.
/// let answer = bridge_runtime::block_on(async {
///     tokio::time::sleep(Duration::from_millis(1)).await;
///     42
/// });
/// assert_eq!(answer, 42);
///
/// // The same call inside a current-thread runtime, where tokio's own
/// // `Handle::block_on` would panic.
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// let nested = runtime.block_on(async { bridge_runtime::block_on(async { 7 }) });
/// assert_eq!(nested, 7);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn block_on<F>(future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    block_on_named(std::any::type_name::<F>(), future)
}

/// How many futures may run on helper threads at once (see [`block_on`]).
pub const HELPER_THREADS: usize = 32;

/// [`block_on`], naming the caller `what` in warnings.
#[inline]
pub(crate) fn block_on_named<F>(what: &str, future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    saying_so_if_shut_down(what, || match on_the_calling_thread(what, future) {
        Ok(output) => output,
        Err(future) => on_helper_thread(what, future),
    })
}

/// Runs a call. A runtime that shuts down under a call takes the call's
/// timers and I/O with it, and tokio panics when the call next looks at
/// them ("A Tokio 1.x context was found, but it is being shutdown"): that
/// panic becomes bridge's, naming the call and the runtime; and if the
/// runtime was the one installed with [`set_runtime`](crate::set_runtime),
/// later calls run on bridge's own.
#[inline]
fn saying_so_if_shut_down<R>(what: &str, call: impl FnOnce() -> R) -> R {
    #[cfg(panic = "unwind")]
    {
        match quiet::calling(|| catch_unwind(AssertUnwindSafe(call))) {
            Ok(output) => output,
            Err(payload) => {
                if !crate::job::panic_text(&*payload)
                    .is_some_and(|text| text.contains(TOKIO_SHUT_DOWN))
                {
                    resume_unwind(payload)
                }
                if shared_runtime::installed_shut_down() {
                    panic!(
                        "bridge: `{what}` was running on the runtime installed with `set_runtime` when that \
                         runtime shut down, and the timers and I/O it had started there stopped with it. \
                         Calls made from now on run on a runtime of bridge's own; shut the installed \
                         runtime down after the last call that uses it"
                    )
                }
                panic!(
                    "bridge: `{what}` was running on a tokio runtime that shut down under it, and the \
                     timers and I/O it had started there stopped with it; shut a runtime down only \
                     after the calls that use it have returned"
                )
            }
        }
    }
    #[cfg(not(panic = "unwind"))]
    call()
}

/// Puts bridge's panic hook in front of the program's, once (see
/// [`quiet`]): done when a runtime that calls may run on is started or
/// installed, and before the first probe of `block_in_place`, so that no
/// call needs to ask.
pub(crate) fn keep_reworded_panics_quiet() {
    #[cfg(panic = "unwind")]
    let _ = quiet::install();
}

/// What tokio's panic says of a runtime that shut down under a timer or
/// an I/O resource.
#[cfg(panic = "unwind")]
const TOKIO_SHUT_DOWN: &str = "context was found, but it is being shutdown";

/// Runs `future` on the calling thread, in the way its calling context
/// allows (see the table of [`block_on`]); gives it back, unpolled, where
/// only a helper thread could run it: a current-thread runtime, or where
/// tokio refuses `block_in_place` (a `LocalSet`, a current-thread runtime
/// that entered a multi-thread handle).
///
/// A runtime comes first, a rayon worker second: a rayon worker that waits
/// runs other jobs of its pool, which must not run inside a runtime (one
/// that starts a runtime of its own would panic there), so a worker helps
/// its pool only outside one, or inside `block_in_place`, which leaves it.
#[inline]
fn on_the_calling_thread<F: Future>(what: &str, future: F) -> Result<F::Output, F> {
    let Ok(handle) = Handle::try_current() else {
        return Ok(if on_a_pool_worker() {
            on_rayon_worker(what, future)
        } else {
            on_plain_thread(future)
        });
    };
    if handle.runtime_flavor() != RuntimeFlavor::MultiThread {
        return Err(future);
    }
    let polling_a_task = polling_a_task();
    let mut future = Some(future);
    let ran = try_block_in_place(|| {
        future.take().map(|future| {
            if on_a_pool_worker() {
                on_rayon_worker(what, future)
            } else {
                on_this_thread(&handle, polling_a_task, future)
            }
        })
    });
    match (ran, future) {
        (Ok(Some(output)), _) => Ok(output),
        (_, Some(future)) => Err(future),
        (_, None) => unreachable!("the future is taken only where block_in_place ran it"),
    }
}

/// Whether this thread is a worker of a rayon pool other than bridge's
/// helpers (whose waits must not run other callers' futures).
fn on_a_pool_worker() -> bool {
    rayon::current_thread_index().is_some()
        && HELPERS
            .get()
            .is_none_or(|helpers| helpers.current_thread_index().is_none())
}

/// [`block_on`] for a future that is not `Send`, which cannot move to a
/// helper thread: what `#[blocking(local)]` expands to.
///
/// # Panics
///
/// Called where only a helper thread could run the future (the helper-thread
/// row of [`block_on`]: a current-thread runtime, a `LocalSet`), with a
/// message naming the future's type and the ways out. A panic in the future
/// resumes in the caller.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
///
/// let shared = Rc::new(5);
/// let doubled = bridge_runtime::block_on_local(async move {
///     tokio::task::yield_now().await;
///     *shared * 2
/// });
/// assert_eq!(doubled, 10);
/// ```
pub fn block_on_local<F: Future>(future: F) -> F::Output {
    block_on_local_named(std::any::type_name::<F>(), future)
}

pub(crate) fn block_on_local_named<F: Future>(what: &str, future: F) -> F::Output {
    let Ok(output) = saying_so_if_shut_down(what, || on_the_calling_thread(what, future)) else {
        panic!(
            "`{what}` was called where its future, which is not `Send`, cannot run: \
             on a current-thread tokio runtime (such as `#[tokio::test]`) or inside a `LocalSet`, \
             the caller's thread drives the runtime, and only a helper thread could run the future. \
             `.await` the async version instead (`#[blocking(local, keep = NAME)]` keeps it), \
             call it from a multi-thread runtime's task or a plain thread, or make the future `Send` and drop `local`"
        )
    };
    output
}

/// Runs `future` on this thread, which is outside any runtime now (inside
/// `block_in_place`): driven by the caller's runtime from one of its tasks
/// (a worker's, or a `spawn_blocking` thread's), by the shared runtime
/// otherwise, or when the caller's runtime is shutting down.
///
/// `polling_a_task`: the caller is a worker polling a task, so its runtime
/// is running (a runtime that shuts down drops its tasks, it does not poll
/// them), and no probe is needed.
fn on_this_thread<F: Future>(handle: &Handle, polling_a_task: bool, future: F) -> F::Output {
    if polling_a_task || (tokio::task::try_id().is_some() && !shared_runtime::shutting_down(handle))
    {
        handle.block_on(future)
    } else {
        shared_runtime::handle().block_on(future)
    }
}

/// True on a runtime thread that is polling a task with its scheduler at
/// hand: there, tokio defers the wake-up of a task that yields instead of
/// waking it at once. Elsewhere (no runtime, a `spawn_blocking` thread, a
/// worker dropping tasks while its runtime shuts down, a worker inside
/// `block_in_place`) the wake-up comes at once. Costs a thread-local read
/// and one poll of `yield_now`.
fn polling_a_task() -> bool {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Wake, Waker};

    struct Woken(AtomicBool);
    impl Wake for Woken {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::Relaxed);
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    thread_local! {
        static PROBE: (Arc<Woken>, Waker) = {
            let woken = Arc::new(Woken(AtomicBool::new(false)));
            (woken.clone(), Waker::from(woken))
        };
    }
    PROBE
        .try_with(|(woken, waker)| {
            woken.0.store(false, Ordering::Relaxed);
            let mut cx = Context::from_waker(waker);
            let yielded = std::pin::pin!(tokio::task::yield_now()).poll(&mut cx);
            yielded.is_pending() && !woken.0.load(Ordering::Relaxed)
        })
        .unwrap_or(false)
}

/// Drives `future` on a thread outside any runtime, with the shared
/// runtime's handle entered for its timers and I/O (the shared runtime's
/// workers drive those), parking the thread while the future waits.
/// Cheaper than `Handle::block_on`, which also takes the thread into the
/// runtime: this thread is none of its workers.
fn on_plain_thread<F: Future>(future: F) -> F::Output {
    let _entered = shared_runtime::handle().enter();
    crate::park::drive(future, std::thread::park)
}

/// Drives `future` on this rayon worker, the worker helping its pool while
/// it waits; timers and I/O are driven by the multi-thread runtime this
/// thread is in, if any, else by the shared runtime.
fn on_rayon_worker<F: Future>(what: &str, future: F) -> F::Output {
    let in_multi_thread = Handle::try_current()
        .is_ok_and(|handle| handle.runtime_flavor() == RuntimeFlavor::MultiThread);
    let _runtime = (!in_multi_thread).then(|| shared_runtime::handle().enter());
    crate::rayon_pool::block_on(what, future)
}

/// `block_in_place` refused to run here.
struct Refused;

/// `tokio::task::block_in_place(f)`, or `Err(Refused)` where tokio refuses
/// (a `LocalSet`, a current-thread runtime) instead of tokio's panic.
///
/// tokio offers no way to ask first, so this asks by trying: the refusal
/// is a panic raised before `f` runs, caught here and kept quiet (see
/// [`quiet`]). A panic of `f` itself resumes as usual.
fn try_block_in_place<R>(f: impl FnOnce() -> R) -> Result<R, Refused> {
    #[cfg(panic = "unwind")]
    {
        if std::thread::panicking() || !quiet::install() {
            // A panic now would abort the process: do not probe.
            return Err(Refused);
        }
        let mut ran = false;
        let outcome = quiet::during(|| {
            catch_unwind(AssertUnwindSafe(|| {
                tokio::task::block_in_place(|| {
                    ran = true;
                    quiet::speak(f)
                })
            }))
        });
        match outcome {
            Ok(output) => Ok(output),
            Err(_) if !ran => {
                quiet::refused();
                Err(Refused)
            }
            Err(payload) => resume_unwind(payload),
        }
    }
    #[cfg(not(panic = "unwind"))]
    {
        Ok(tokio::task::block_in_place(f))
    }
}

/// Keeps panics that bridge turns into its own off stderr: a panic hook,
/// installed once in front of the program's, that says nothing for a panic
/// raised while this thread probes `block_in_place`, nor for tokio's panic
/// for a runtime that shut down under a call of bridge's, which goes on as
/// bridge's own panic (reported then). A hook the program installs later
/// replaces it: the next probe's panic reaches that hook, and then bridge's
/// goes in front of it again.
#[cfg(panic = "unwind")]
mod quiet {
    use std::cell::Cell;
    use std::sync::OnceLock;

    thread_local! {
        static PROBING: Cell<bool> = const { Cell::new(false) };
        /// How many calls of bridge's this thread is running, nested.
        static CALLS: Cell<u32> = const { Cell::new(0) };
        /// Set by the hook when it kept a probe's panic quiet.
        static QUIETED: Cell<bool> = const { Cell::new(false) };
    }

    /// Installs the hook; false if it could not be (called while panicking).
    pub(super) fn install() -> bool {
        static INSTALLED: OnceLock<()> = OnceLock::new();
        if INSTALLED.get().is_none() {
            if std::thread::panicking() {
                return false;
            }
            INSTALLED.get_or_init(in_front);
        }
        true
    }

    /// Puts the hook in front of the one in place.
    fn in_front() {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let probed = PROBING.with(Cell::get);
            if probed {
                let _ = QUIETED.try_with(|quieted| quieted.set(true));
            }
            let reworded = || {
                CALLS.with(Cell::get) > 0
                    && crate::job::panic_text(info.payload())
                        .is_some_and(|text| text.contains(super::TOKIO_SHUT_DOWN))
            };
            if !probed && !reworded() {
                previous(info);
            }
        }));
    }

    /// After a probe that panicked: if the hook did not see the panic, the
    /// program replaced it (which reported that one panic); it goes in front
    /// of the program's hook again.
    pub(super) fn refused() {
        if !QUIETED.with(|quieted| quieted.replace(false)) && !std::thread::panicking() {
            in_front();
        }
    }

    /// Runs `probe` with this thread's panics kept quiet.
    pub(super) fn during<R>(probe: impl FnOnce() -> R) -> R {
        probing(true, probe)
    }

    /// Runs `f`, the user's code, with panics reported as usual.
    pub(super) fn speak<R>(f: impl FnOnce() -> R) -> R {
        probing(false, f)
    }

    /// Runs `call`, a call of bridge's, which turns tokio's panic for a
    /// runtime that shut down under it into its own. `call` does not unwind
    /// (it runs under `catch_unwind`): nothing need undo the count then.
    /// The hook is in place by then: the runtimes a call runs on install
    /// it when they start (see [`super::keep_reworded_panics_quiet`]).
    #[inline]
    pub(super) fn calling<R>(call: impl FnOnce() -> R) -> R {
        CALLS.with(|calls| calls.set(calls.get() + 1));
        let output = call();
        CALLS.with(|calls| calls.set(calls.get() - 1));
        output
    }

    /// Runs `f` with the thread's probing flag set to `on`, then puts the
    /// flag back, even if `f` panics.
    fn probing<R>(on: bool, f: impl FnOnce() -> R) -> R {
        struct Reset(bool);
        impl Drop for Reset {
            fn drop(&mut self) {
                PROBING.with(|p| p.set(self.0));
            }
        }
        let _reset = Reset(PROBING.with(|p| p.replace(on)));
        f()
    }
}

/// Drives `future` on a helper thread with the shared runtime while the
/// caller waits. The helpers are a rayon pool of their own, whose `install`
/// lets the future borrow from the caller.
///
/// A rayon worker waiting in `install` runs other jobs of its own pool
/// meanwhile, here inside the runtime it drives, where a job that starts a
/// runtime of its own panics. Such a caller waits on a scoped thread of its
/// own instead, which only waits: a thread per call, in this one context.
fn on_helper_thread<F>(what: &str, future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    #[cfg(feature = "tracing")]
    let context = crate::trace::Context::capture();
    let handle = shared_runtime::handle();
    let on_a_helper = move || {
        helpers().install(move || {
            let run = move || {
                let run = || handle.block_on(warn_if_late(what, future));
                #[cfg(panic = "unwind")]
                return quiet::calling(|| catch_unwind(AssertUnwindSafe(run)))
                    .unwrap_or_else(|payload| resume_unwind(payload));
                #[cfg(not(panic = "unwind"))]
                run()
            };
            #[cfg(feature = "tracing")]
            return context.in_scope(run);
            #[cfg(not(feature = "tracing"))]
            run()
        })
    };
    if rayon::current_thread_index().is_none() {
        return on_a_helper();
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("bridge-waiter".into())
            .spawn_scoped(scope, on_a_helper)
            .unwrap_or_else(|e| {
                panic!("bridge: could not start a thread to wait for `{what}`: {e}")
            })
            .join()
            .unwrap_or_else(|payload| resume_unwind(payload))
    })
}

/// The helper threads, started on first use.
static HELPERS: OnceLock<rayon::ThreadPool> = OnceLock::new();

fn helpers() -> &'static rayon::ThreadPool {
    HELPERS.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(HELPER_THREADS)
            .thread_name(|i| format!("bridge-helper-{i}"))
            .build()
            .unwrap_or_else(|e| panic!("bridge: could not start its helper threads: {e}"))
    })
}

/// How long a call that may never finish waits before it says so: on a
/// helper thread, or on a rayon worker at the bound of nested waits (see
/// [`crate::rayon_pool::block_on`]).
pub(crate) const LATE: Duration = Duration::from_secs(1);

/// `future`, plus one warning if it is still pending after [`LATE`].
async fn warn_if_late<F: Future>(what: &str, future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut late = std::pin::pin!(tokio::time::sleep(LATE));
    let mut warned = false;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(output);
        }
        if !warned && late.as_mut().poll(cx).is_ready() {
            warned = true;
            warn_late(what);
        }
        Poll::Pending
    })
    .await
}

fn warn_late(what: &str) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        blocking = what,
        "`{what}` has waited for more than a second on a helper thread, while its caller's runtime \
         (a current-thread runtime such as `#[tokio::test]`'s, or a `LocalSet`) is blocked waiting for it: \
         if the future needs a task or a resource of that runtime (a server spawned on it, a channel it feeds), \
         it can never finish. `.await` the async version instead (`#[blocking(keep = NAME)]` keeps it), \
         or run the server on a runtime of its own"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = what;
}

/// An [`Iterator`] over the items of a [`Stream`], each awaited with
/// [`block_on`]: what `#[blocking]` on a fn returning `impl Stream` expands to.
///
/// # Examples
///
/// ```
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
///
/// /// Counts down from `n` to 1.
/// struct Countdown(u32);
///
/// impl futures_core::Stream for Countdown {
///     type Item = u32;
///     fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<u32>> {
///         let n = self.0;
///         self.0 = n.saturating_sub(1);
///         Poll::Ready((n > 0).then_some(n))
///     }
/// }
///
/// let items: Vec<u32> = bridge_runtime::block_on_stream(Countdown(3)).collect();
/// assert_eq!(items, [3, 2, 1]);
/// ```
pub fn block_on_stream<S>(stream: S) -> BlockingStream<S>
where
    S: Stream + Send,
    S::Item: Send,
{
    BlockingStream {
        stream: Box::pin(stream),
    }
}

/// [`block_on_stream`] for a stream that is not `Send`; each `next()`
/// panics like [`block_on_local`] inside a current-thread runtime.
///
/// ```
/// use std::rc::Rc;
/// # struct Once(Option<Rc<u8>>);
/// # impl futures_core::Stream for Once {
/// #     type Item = Rc<u8>;
/// #     fn poll_next(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<Rc<u8>>> {
/// #         std::task::Poll::Ready(self.0.take())
/// #     }
/// # }
/// // `Once` yields one `Rc`, which is not `Send`.
/// let items: Vec<Rc<u8>> = bridge_runtime::block_on_stream_local(Once(Some(Rc::new(1)))).collect();
/// assert_eq!(*items[0], 1);
/// ```
pub fn block_on_stream_local<S: Stream>(stream: S) -> LocalBlockingStream<S> {
    LocalBlockingStream {
        stream: Box::pin(stream),
    }
}

/// The next item of a stream, as a future.
struct Next<'a, S>(Pin<&'a mut S>);

impl<S: Stream> Future for Next<'_, S> {
    type Output = Option<S::Item>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll_next(cx)
    }
}

/// The iterator of [`block_on_stream`]: each `next()` blocks until the
/// stream yields its next item or ends.
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct BlockingStream<S> {
    stream: Pin<Box<S>>,
}

impl<S> Iterator for BlockingStream<S>
where
    S: Stream + Send,
    S::Item: Send,
{
    type Item = S::Item;

    fn next(&mut self) -> Option<S::Item> {
        block_on_named(std::any::type_name::<S>(), Next(self.stream.as_mut()))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.stream.size_hint()
    }
}

/// The iterator of [`block_on_stream_local`].
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct LocalBlockingStream<S> {
    stream: Pin<Box<S>>,
}

impl<S: Stream> Iterator for LocalBlockingStream<S> {
    type Item = S::Item;

    fn next(&mut self) -> Option<S::Item> {
        block_on_local_named(std::any::type_name::<S>(), Next(self.stream.as_mut()))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.stream.size_hint()
    }
}

impl<S> std::fmt::Debug for BlockingStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingStream")
            .field("stream", &std::any::type_name::<S>())
            .finish()
    }
}

impl<S> std::fmt::Debug for LocalBlockingStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBlockingStream")
            .field("stream", &std::any::type_name::<S>())
            .finish()
    }
}
