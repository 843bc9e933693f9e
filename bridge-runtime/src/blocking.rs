//! Running async code to completion from sync code, in any calling context.

use std::future::Future;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::runtime::{Handle, RuntimeFlavor};

use crate::shared;

/// Where a blocking call was made, as far as tokio can tell.
enum Caller {
    /// No tokio runtime: plain code, a std thread, a rayon worker.
    Outside,
    /// Inside a multi-thread runtime: one of its workers, a thread blocked in
    /// its `block_on`, or one of its `spawn_blocking` threads.
    MultiThread(Handle),
    /// Inside a current-thread runtime, or one of its `spawn_blocking`
    /// threads (tokio does not tell the two apart).
    CurrentThread,
}

fn caller() -> Caller {
    match Handle::try_current() {
        Err(_) => Caller::Outside,
        Ok(handle) => match handle.runtime_flavor() {
            RuntimeFlavor::MultiThread => Caller::MultiThread(handle),
            _ => Caller::CurrentThread,
        },
    }
}

/// Runs `future` to completion and returns its output, from any context:
/// what `#[blocking]` expands to.
///
/// | called from | what happens |
/// | --- | --- |
/// | no runtime (`main`, a std thread, a rayon worker) | the future runs on this thread; timers and I/O are driven by the [shared runtime](crate::set_runtime) |
/// | a worker of a multi-thread runtime, or one of its `spawn_blocking` threads | [`block_in_place`](tokio::task::block_in_place), then the future runs on this thread, driven by that runtime; its other tasks move to other workers |
/// | a current-thread runtime (`#[tokio::test]`), or one of its `spawn_blocking` threads | the future runs on a helper thread driven by the shared runtime while this thread waits |
///
/// It never panics with tokio's "Cannot start a runtime from within a
/// runtime", and calls nest: the future may itself call `block_on`.
///
/// # Caveats
///
/// In the current-thread row the caller's runtime is blocked while it
/// waits: a future that needs a task of that runtime to make progress (a
/// channel fed by it, a socket registered with it) waits forever. The helper
/// thread is started for the call, which costs tens of microseconds.
///
/// # Panics
///
/// A panic in the future resumes in the caller with its original payload.
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
    match caller() {
        Caller::Outside => shared::handle().block_on(future),
        Caller::MultiThread(handle) => tokio::task::block_in_place(|| handle.block_on(future)),
        Caller::CurrentThread => on_helper_thread(future),
    }
}

/// [`block_on`] for a future that is not `Send`, which cannot move to a
/// helper thread: what `#[blocking(local)]` expands to.
///
/// # Panics
///
/// Called inside a current-thread runtime (or one of its `spawn_blocking`
/// threads), where only a helper thread could run the future: the message
/// names the future's type and the ways out. A panic in the future resumes
/// in the caller.
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
    match caller() {
        Caller::Outside => shared::handle().block_on(future),
        Caller::MultiThread(handle) => tokio::task::block_in_place(|| handle.block_on(future)),
        Caller::CurrentThread => panic!(
            "`{what}` was called inside a current-thread tokio runtime (such as `#[tokio::test]`), \
             where its future, which is not `Send`, cannot run: the runtime's only thread is the caller. \
             `.await` the async version instead (`#[blocking(local, keep = NAME)]` keeps it), \
             call it from a multi-thread runtime or a plain thread, or make the future `Send` and drop `local`"
        ),
    }
}

/// Drives `future` on a scoped helper thread with the shared runtime while
/// the caller waits. Scoped, so the future may borrow from the caller.
fn on_helper_thread<F>(future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    #[cfg(feature = "tracing")]
    let span = tracing::Span::current();
    let handle = shared::handle();
    std::thread::scope(|scope| {
        let helper = std::thread::Builder::new()
            .name("bridge-block-on".into())
            .spawn_scoped(scope, move || {
                #[cfg(feature = "tracing")]
                let _entered = span.entered();
                handle.block_on(future)
            })
            .unwrap_or_else(|e| {
                panic!("bridge: could not start a helper thread for `block_on`: {e}")
            });
        match helper.join() {
            Ok(output) => output,
            Err(payload) => resume_unwind(payload),
        }
    })
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
        block_on(Next(self.stream.as_mut()))
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
