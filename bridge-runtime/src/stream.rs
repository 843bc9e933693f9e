//! Iterators made on a pool, consumed as streams.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_core::Stream;

use crate::job::Completion;
use crate::{CpuPool, IoPool};

/// Items in flight between the producing iterator and the stream, unless
/// [`OffloadStream::buffer`] says otherwise.
pub const DEFAULT_BUFFER: usize = 32;

type Submit = Pin<Box<dyn Future<Output = Completion<()>> + Send>>;
type Start<T> = Box<dyn FnOnce(flume::Sender<T>) -> Submit + Send>;

/// A [`Stream`] over the items of an iterator that is built and drained on a
/// pool: returned by [`offload_iter`], [`IoPool::run_iter`],
/// [`CpuPool::run_iter`], and by `#[offload]` on a fn returning
/// `impl Iterator`.
///
/// - Lazy: nothing runs until the stream is first polled.
/// - Bounded: at most [`buffer`](Self::buffer) items wait in between; a
///   producer that gets that far ahead waits for the consumer, so a fast
///   endless iterator with a slow consumer uses bounded memory.
/// - Dropping the stream stops the producer at its next item.
/// - A panic in the iterator resumes in the consumer after the items made
///   before it, with its original payload.
/// - The producer holds its pool's slot (and, on a [`CpuPool`], a rayon
///   thread, blocked while the buffer is full) until it ends.
#[must_use = "streams do nothing unless polled"]
pub struct OffloadStream<T: 'static> {
    state: State<T>,
}

enum State<T: 'static> {
    Idle {
        start: Start<T>,
        buffer: usize,
    },
    Submitting {
        submit: Submit,
        items: flume::r#async::RecvStream<'static, T>,
    },
    Running {
        items: flume::r#async::RecvStream<'static, T>,
        done: Completion<()>,
    },
    Draining {
        done: Completion<()>,
    },
    Ended,
}

impl<T: Send + 'static> OffloadStream<T> {
    fn new(start: Start<T>) -> Self {
        OffloadStream {
            state: State::Idle {
                start,
                buffer: DEFAULT_BUFFER,
            },
        }
    }

    /// Sets how many items may wait between producer and consumer (at least
    /// 1). Only before the stream is first polled; later it changes nothing.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let mut stream = bridge_runtime::offload_iter(|| 0..3).buffer(1);
    /// assert_eq!(std::future::poll_fn(|cx| std::pin::Pin::new(&mut stream).poll_next(cx)).await, Some(0));
    /// # use futures_core::Stream;
    /// # });
    /// ```
    pub fn buffer(mut self, size: usize) -> Self {
        if let State::Idle { buffer, .. } = &mut self.state {
            *buffer = size.max(1);
        }
        self
    }
}

/// The producer: drains the iterator into the channel until it ends or the
/// consumer is gone.
fn produce<I: IntoIterator>(make: impl FnOnce() -> I, items: &flume::Sender<I::Item>) {
    for item in make() {
        if items.send(item).is_err() {
            return;
        }
    }
}

impl<T: 'static> Stream for OffloadStream<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        loop {
            match &mut self.state {
                State::Idle { .. } => {
                    let State::Idle { start, buffer } =
                        std::mem::replace(&mut self.state, State::Ended)
                    else {
                        unreachable!("matched Idle above")
                    };
                    let (tx, rx) = flume::bounded(buffer);
                    self.state = State::Submitting {
                        submit: start(tx),
                        items: rx.into_stream(),
                    };
                }
                State::Submitting { submit, .. } => {
                    let done = ready!(submit.as_mut().poll(cx));
                    let State::Submitting { items, .. } =
                        std::mem::replace(&mut self.state, State::Ended)
                    else {
                        unreachable!("matched Submitting above")
                    };
                    self.state = State::Running { items, done };
                }
                State::Running { items, .. } => match ready!(Pin::new(items).poll_next(cx)) {
                    Some(item) => return Poll::Ready(Some(item)),
                    None => {
                        // The producer is done (or panicked): its outcome is next.
                        let State::Running { done, .. } =
                            std::mem::replace(&mut self.state, State::Ended)
                        else {
                            unreachable!("matched Running above")
                        };
                        self.state = State::Draining { done };
                    }
                },
                State::Draining { done } => {
                    // Resumes the iterator's panic, if it had one.
                    ready!(Pin::new(done).poll(cx));
                    self.state = State::Ended;
                }
                State::Ended => return Poll::Ready(None),
            }
        }
    }
}

impl<T: 'static> fmt::Debug for OffloadStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Idle { .. } => "idle",
            State::Submitting { .. } => "submitting",
            State::Running { .. } => "running",
            State::Draining { .. } => "draining",
            State::Ended => "ended",
        };
        f.debug_struct("OffloadStream")
            .field("state", &state)
            .finish()
    }
}

pub(crate) fn on_io<F, I>(
    pool: &'static IoPool,
    what: &'static str,
    make: F,
) -> OffloadStream<I::Item>
where
    F: FnOnce() -> I + Send + 'static,
    I: IntoIterator,
    I::Item: Send + 'static,
{
    OffloadStream::new(Box::new(move |tx| {
        Box::pin(pool.submit(what, move || produce(make, &tx)))
    }))
}

pub(crate) fn on_cpu<F, I>(
    pool: &'static CpuPool,
    what: &'static str,
    make: F,
) -> OffloadStream<I::Item>
where
    F: FnOnce() -> I + Send + 'static,
    I: IntoIterator,
    I::Item: Send + 'static,
{
    OffloadStream::new(Box::new(move |tx| {
        let done = pool.submit(what, move || produce(make, &tx));
        Box::pin(std::future::ready(done))
    }))
}

/// Builds an iterator with `make` on tokio's blocking pool, drains it there,
/// and streams its items: what `#[offload(io)]` on a fn returning
/// `impl Iterator` expands to. See [`OffloadStream`] for the semantics.
///
/// # Examples
///
/// ```
/// use std::io::BufRead;
///
/// # #[tokio::main] async fn main() {
/// let lines = bridge_runtime::offload_iter(|| {
///     let file = std::fs::File::open("Cargo.toml").expect("exists");
///     std::io::BufReader::new(file).lines().map_while(Result::ok)
/// });
/// let mut lines = std::pin::pin!(lines);
/// let first = std::future::poll_fn(|cx| lines.as_mut().poll_next(cx)).await;
/// assert_eq!(first.as_deref(), Some("[package]"));
/// # use futures_core::Stream;
/// # }
/// ```
pub fn offload_iter<F, I>(make: F) -> OffloadStream<I::Item>
where
    F: FnOnce() -> I + Send + 'static,
    I: IntoIterator,
    I::Item: Send + 'static,
{
    on_io(IoPool::global(), std::any::type_name::<F>(), make)
}
