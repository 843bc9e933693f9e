//! Iterators made on a pool, consumed as streams.

use std::fmt;
use std::future::Future;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_core::Stream;

use crate::call::{Pool, Taken};
use crate::clock::ClockHold;
use crate::job::{Completion, Outcome};

/// Items in flight between the producing iterator and the stream, unless
/// [`OffloadStream::buffer`] says otherwise.
pub const DEFAULT_BUFFER: usize = 32;

/// What a stint of the producer on the pool ends with.
enum Step {
    /// The buffer is full: the producer comes back to the stream, which
    /// sends it out again once the consumer made room.
    Full,
    /// The iterator ended, or the consumer is gone.
    Done,
}

/// The iterator on its way to, on, or back from the pool.
trait Fill<T>: Send {
    /// Sends items until the buffer is full, the iterator ends, or the
    /// consumer is gone.
    fn fill(&mut self) -> Step;
}

struct Producer<F, I: IntoIterator> {
    make: Option<F>,
    iter: Option<I::IntoIter>,
    /// The item that did not fit last time.
    pending: Option<I::Item>,
    items: flume::Sender<I::Item>,
}

impl<F, I> Fill<I::Item> for Producer<F, I>
where
    F: FnOnce() -> I + Send,
    I: IntoIterator,
    I::IntoIter: Send,
    I::Item: Send,
{
    fn fill(&mut self) -> Step {
        if let Some(make) = self.make.take() {
            self.iter = Some(make().into_iter());
        }
        let Some(iter) = self.iter.as_mut() else {
            return Step::Done;
        };
        loop {
            if crate::cancelled() {
                return Step::Done;
            }
            let Some(item) = self.pending.take().or_else(|| iter.next()) else {
                return Step::Done;
            };
            match self.items.try_send(item) {
                Ok(()) => {}
                Err(flume::TrySendError::Full(item)) => {
                    self.pending = Some(item);
                    return Step::Full;
                }
                Err(flume::TrySendError::Disconnected(_)) => return Step::Done,
            }
        }
    }
}

type Filled<T> = (Box<dyn Fill<T>>, Step);
type Submit<T> = Pin<Box<dyn Future<Output = Completion<Filled<T>>> + Send>>;
/// Sends the producer to its pool for one stint.
type ToPool<T> = Box<dyn Fn(Box<dyn Fill<T>>) -> Submit<T> + Send>;
/// Builds the producer around the sending end of a channel.
type Make<T> = Box<dyn FnOnce(flume::Sender<T>) -> Box<dyn Fill<T>> + Send>;

/// A [`Stream`] over the items of an iterator that is built and drained on a
/// pool: returned by [`offload_iter`], [`IoPool::run_iter`](crate::IoPool::run_iter),
/// [`CpuPool::run_iter`](crate::CpuPool::run_iter), and by `#[offload]` on a fn returning
/// `impl Iterator`.
///
/// - Lazy: nothing runs until the stream is first polled.
/// - Bounded: at most [`buffer`](Self::buffer) items wait in between. A
///   producer that fills the buffer leaves its pool, holding neither a
///   thread nor a slot, and goes back once the consumer has taken half the
///   buffer (all of it, for a buffer of 1): a fast endless iterator with a
///   slow consumer uses bounded memory, and a consumer may use the
///   producer's own pool, even one of size 1. Each stint on the pool counts
///   as one call in the pool's [`stats`](crate::IoPool::stats); a full
///   buffer costs a round trip to the pool per half buffer of items.
/// - Dropping the stream stops the producer at its next item
///   ([`cancelled`](crate::cancelled) is true there from then on).
/// - A panic in the iterator resumes in the consumer after the items made
///   before it, with its original payload.
/// - The iterator moves between the pool's threads, so it must be `Send`.
#[must_use = "streams do nothing unless polled"]
pub struct OffloadStream<T: 'static> {
    state: State<T>,
    buffer: usize,
    to_pool: ToPool<T>,
    /// The pool's threads are not tokio's: a consumer waiting for a stint
    /// under a paused clock keeps the clock still (see [`crate::clock`]).
    unseen: bool,
    /// The receiving end, once started.
    items: Option<flume::r#async::RecvStream<'static, T>>,
}

enum State<T: 'static> {
    Idle(Make<T>),
    Submitting(Submit<T>),
    Filling(Completion<Filled<T>>, Option<ClockHold>),
    /// Back from the pool with a full buffer.
    Parked(Box<dyn Fill<T>>),
    /// The iterator panicked: the payload resumes once the items are out.
    Panicked(Box<dyn std::any::Any + Send>),
    /// The producer is done; the items left are in the channel.
    Done,
}

impl<T: Send + 'static> OffloadStream<T> {
    fn new(make: Make<T>, to_pool: ToPool<T>, unseen: bool) -> Self {
        OffloadStream {
            state: State::Idle(make),
            buffer: DEFAULT_BUFFER,
            to_pool,
            unseen,
            items: None,
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
        if let State::Idle(_) = self.state {
            self.buffer = size.max(1);
        }
        self
    }
}

impl<T: 'static> OffloadStream<T> {
    /// Moves the producer one step on: out to the pool, or back from it.
    /// `Ready` when the state changed; `Pending` when it waits (for a slot,
    /// for the pool, or for room in the buffer).
    fn drive(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let state = std::mem::replace(&mut self.state, State::Done);
        self.state = match state {
            State::Idle(make) => {
                let (tx, rx) = flume::bounded(self.buffer);
                self.items = Some(rx.into_stream());
                State::Submitting((self.to_pool)(make(tx)))
            }
            State::Submitting(mut submit) => match submit.as_mut().poll(cx) {
                Poll::Ready(done) => State::Filling(done, None),
                Poll::Pending => {
                    self.state = State::Submitting(submit);
                    return Poll::Pending;
                }
            },
            State::Filling(mut done, mut hold) => match done.poll_outcome(cx) {
                Poll::Pending => {
                    if self.unseen {
                        crate::clock::keep(&mut hold);
                    }
                    self.state = State::Filling(done, hold);
                    return Poll::Pending;
                }
                Poll::Ready(Some(Ok((producer, Step::Full)))) => State::Parked(producer),
                Poll::Ready(Some(Ok((_, Step::Done)))) => State::Done,
                Poll::Ready(Some(Err(payload))) => State::Panicked(payload),
                Poll::Ready(None) => panic!(
                    "bridge: the iterator of `{}` stopped: the runtime it ran on shut down",
                    done.what()
                ),
            },
            State::Parked(producer) => {
                let queued = self.items.as_ref().map_or(0, |items| items.len());
                if queued > self.buffer / 2 {
                    self.state = State::Parked(producer);
                    return Poll::Pending;
                }
                State::Submitting((self.to_pool)(producer))
            }
            finished @ (State::Panicked(_) | State::Done) => {
                self.state = finished;
                return Poll::Pending;
            }
        };
        Poll::Ready(())
    }
}

impl<T: 'static> Stream for OffloadStream<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = &mut *self;
        loop {
            if let Some(items) = this.items.as_mut() {
                match Pin::new(items).poll_next(cx) {
                    Poll::Ready(Some(item)) => {
                        // Room was made: a parked producer may go back.
                        while this.drive(cx).is_ready() {}
                        return Poll::Ready(Some(item));
                    }
                    Poll::Ready(None) => {
                        // Every sender is gone: the producer ended. The
                        // outcome of its last stint (a panic) may be to come.
                        this.items = None;
                        ready!(finish(&mut this.state, cx));
                        return Poll::Ready(None);
                    }
                    Poll::Pending => {}
                }
            } else if !matches!(this.state, State::Idle(_)) {
                ready!(finish(&mut this.state, cx));
                return Poll::Ready(None);
            }
            ready!(this.drive(cx));
        }
    }
}

/// Waits for the outcome of the producer's last stint once its items are
/// all out, resuming its panic if it had one.
fn finish<T>(state: &mut State<T>, cx: &mut Context<'_>) -> Poll<()> {
    if let State::Filling(done, _) = state {
        let outcome: Option<Outcome<Filled<T>>> = ready!(done.poll_outcome(cx));
        *state = State::Done;
        if let Some(Err(payload)) = outcome {
            resume_unwind(payload);
        }
    }
    if let State::Panicked(_) = state
        && let State::Panicked(payload) = std::mem::replace(state, State::Done)
    {
        resume_unwind(payload);
    }
    Poll::Ready(())
}

impl<T: 'static> fmt::Debug for OffloadStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Idle(_) => "idle",
            State::Submitting(_) => "submitting",
            State::Filling(..) => "running",
            State::Parked(_) => "waiting for room",
            State::Panicked(_) | State::Done => "ended",
        };
        f.debug_struct("OffloadStream")
            .field("state", &state)
            .field("buffer", &self.buffer)
            .finish()
    }
}

/// The producer of `make`, for a stream of its items.
fn producer<F, I>(make: F) -> Make<I::Item>
where
    F: FnOnce() -> I + Send + 'static,
    I: IntoIterator + 'static,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
{
    Box::new(move |items| {
        Box::new(Producer::<F, I> {
            make: Some(make),
            iter: None,
            pending: None,
            items,
        })
    })
}

/// One stint of the producer: what a pool runs.
fn stint<T>(mut producer: Box<dyn Fill<T>>) -> Filled<T> {
    let step = producer.fill();
    (producer, step)
}

/// The stream of the items `make` builds, drained on `pool`: what
/// [`IoPool::run_iter`](crate::IoPool::run_iter), [`CpuPool::run_iter`](crate::CpuPool::run_iter)
/// and the macros' iterator forms build.
pub(crate) fn on_pool<P, F, I>(
    pool: &'static P,
    what: &'static str,
    make: F,
) -> OffloadStream<I::Item>
where
    P: Pool,
    F: FnOnce() -> I + Send + 'static,
    I: IntoIterator + 'static,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
{
    OffloadStream::new(
        producer(make),
        Box::new(move |producer| -> Submit<I::Item> {
            match pool.take(what, move || stint(producer)) {
                Taken::Running(completion) => Box::pin(std::future::ready(completion)),
                Taken::Queued(completion, wait) => Box::pin(once_in(wait, completion)),
            }
        }),
        !P::TOKIO_SEES_THE_BODY,
    )
}

/// The handle of a stint's result, once the stint has a slot of its pool.
async fn once_in<R>(
    wait: Pin<Box<dyn Future<Output = ()> + Send>>,
    completion: Completion<R>,
) -> Completion<R> {
    wait.await;
    completion
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
    I: IntoIterator + 'static,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
{
    on_pool(crate::IoPool::global(), std::any::type_name::<F>(), make)
}
