//! `Dedicated<T>`: a value that lives on a thread of its own.
//!
//! The value never leaves its thread. Handles send boxed closures through an
//! unbounded channel; the thread runs them in order. Three pieces of shared
//! state keep the promises of the type:
//!
//! - the *gate* (`Control::state`): a call is queued, and `close` queues its
//!   marker, only while holding it, so nothing is ever queued behind the
//!   marker or after the thread stopped taking calls;
//! - the *rooms* of a bounded queue: a semaphore whose permit a call holds
//!   from before it is queued until the thread takes it;
//! - the thread-local `WAITING`: the `Dedicated` values that wait for the
//!   code running on this thread, so a call that would wait for itself
//!   panics instead of deadlocking.

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, RefUnwindSafe, UnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use std::time::Instant;

use tokio::sync::{AcquireError, OwnedSemaphorePermit, Semaphore};

use crate::cancel::{Leaving, with_caller};
use crate::clock::unseen;
use crate::job::drop_guarded;
use crate::stats::{Counters, PoolStats};

type Payload = Box<dyn Any + Send>;
type Outcome<R> = Result<R, Payload>;

/// The thread's name when none is given.
const DEFAULT_NAME: &str = "bridge-dedicated";

/// Owns a value that must stay on one thread (a SQLite connection, the
/// handle of a C library that is not thread-safe) on a thread of its own,
/// and runs closures on it, one at a time, in the order they were queued.
///
/// The handle is a cheap [`Clone`], and is `Send + Sync` whatever `T` is:
/// `T` itself never leaves its thread, so it need not be `Send`. In async
/// code use [`call`](Self::call), which waits without blocking the executor;
/// in sync code, [`call_blocking`](Self::call_blocking).
///
/// - A panic in one call resumes in that caller with its payload; the value
///   stays, and later calls still run. Whatever the thread drops for a caller
///   that left (a closure that never ran, a result nobody reads) is dropped
///   under [`catch_unwind`](std::panic::catch_unwind), so a destructor that
///   panics never stops the thread.
/// - If the future of [`call`](Self::call) is dropped before its closure
///   started, the closure does not run; if it is dropped while the closure
///   runs, the closure can notice with [`cancelled`](crate::cancelled) and
///   stop early.
/// - A call made from inside a call on the same `Dedicated` (directly,
///   through calls on other `Dedicated` values that wait for each other, or
///   from an offloaded body, `io`, `cpu`, a pool's `run` or a stream's
///   iterator, that the call waits for) would wait for itself forever: it
///   panics instead, saying so.
/// - [`close`](Self::close) stops new calls, runs the queued ones, drops the
///   value on its thread and returns after that: the way to be sure a
///   destructor that flushes or closes something has run before `main`
///   returns. Dropping the last handle does the same without waiting.
///
/// The queue is unbounded unless a [bound](DedicatedBuilder::bound) is set
/// with [`Dedicated::builder`]. [`try_spawn`](Self::try_spawn) builds the
/// value with a constructor that can fail; [`stats`](Self::stats) counts the
/// calls, like the pools do.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use bridge_runtime::Dedicated;
///
/// // `Rc` is not `Send`: it is built on the dedicated thread and stays there.
/// let counter = Dedicated::spawn(|| Rc::new(std::cell::Cell::new(0u32)));
///
/// # futures::executor::block_on(async {
/// counter.call(|c| c.set(c.get() + 1)).await;
/// let seen = counter.clone().call(|c| c.get()).await;
/// assert_eq!(seen, 1);
/// # });
/// assert_eq!(counter.call_blocking(|c| c.get() * 10), 10);
/// counter.close_blocking();
/// ```
pub struct Dedicated<T: 'static> {
    calls: flume::Sender<Message<T>>,
    control: Arc<Control>,
}

/// What a handle sends to the thread.
enum Message<T> {
    Call(Call<T>),
    /// Sent by the first `close`: no call is queued behind it.
    Close,
}

/// One queued call.
struct Call<T> {
    body: Body<T>,
    /// The `Dedicated` values whose threads wait, through the caller, for
    /// this call to end.
    waiting: Waiting,
    /// The call's room in a bounded queue, freed when the thread takes it.
    room: Option<OwnedSemaphorePermit>,
}

/// Runs a call's closure unless its caller left, replies, and counts.
type Body<T> = Box<dyn FnOnce(&mut T, &Counters) + Send>;

/// `Dedicated` values, outermost first; `None` for none.
type Waiting = Option<Arc<[Arc<Control>]>>;

thread_local! {
    /// The `Dedicated` values that wait for the code running on this thread
    /// to end: on a dedicated thread, its own, plus those that wait for the
    /// call it runs; on a pool thread, those that wait for the body it runs.
    /// A call or a `close` on one of them from here would wait for itself.
    static WAITING: RefCell<Waiting> = const { RefCell::new(None) };
}

/// The `Dedicated` values that wait for the code running on this thread,
/// carried by an offloaded call made here to the thread its body runs on:
/// they wait for that body too.
pub(crate) struct Waiters(Arc<[Arc<Control>]>);

impl Waiters {
    /// Those of this thread, if any (a thread-local read when none).
    pub(crate) fn here() -> Option<Waiters> {
        WAITING
            .try_with(|w| w.borrow().clone().map(Waiters))
            .ok()
            .flatten()
    }

    /// Runs `body` with these as the ones that wait for this thread, and
    /// puts back what was there before (a dedicated thread's own chain),
    /// even if `body` unwinds.
    pub(crate) fn waiting_for<R>(&self, body: impl FnOnce() -> R) -> R {
        struct PutBack(Waiting);
        impl Drop for PutBack {
            fn drop(&mut self) {
                let own = self.0.take();
                let _ = WAITING.try_with(|w| *w.borrow_mut() = own);
            }
        }
        let own = WAITING
            .try_with(|w| w.borrow_mut().replace(self.0.clone()))
            .ok()
            .flatten();
        let _put_back = PutBack(own);
        body()
    }
}

/// The control block of the dedicated thread: what every handle, and the
/// thread, can read.
struct Control {
    name: String,
    /// The gate; see the module's docs.
    state: Mutex<State>,
    counters: Counters,
    /// The rooms of a bounded queue.
    rooms: Option<Arc<Semaphore>>,
    /// Never sent on: disconnected once the thread has ended, the value
    /// dropped. `close` waits for that.
    ended: flume::Receiver<()>,
}

// A panic never leaves `Control` half-updated where a caller could see it:
// the gate is recovered from poisoning, the counters are atomics, and the
// rooms' semaphore keeps its own invariants. So a handle can be used across
// `catch_unwind`, as it could before the semaphore was added.
impl RefUnwindSafe for Control {}
impl UnwindSafe for Control {}

#[derive(Default)]
struct State {
    closed: bool,
    /// Why the value was never built, once the constructor failed.
    failure: Option<String>,
}

impl<T: 'static> Dedicated<T> {
    /// Starts a thread named `bridge-dedicated` that builds the value with
    /// `make` and owns it; returns at once.
    ///
    /// # Panics
    ///
    /// If the operating system refuses to start a thread. A panic in `make`
    /// does not panic here: each later call panics, saying so. To get the
    /// constructor's error back, use [`try_spawn`](Self::try_spawn).
    ///
    /// ```
    /// let numbers = bridge_runtime::Dedicated::spawn(Vec::<u32>::new);
    /// numbers.call_blocking(|v| v.push(7));
    /// assert_eq!(numbers.call_blocking(|v| v.clone()), [7]);
    /// ```
    pub fn spawn<F>(make: F) -> Self
    where
        F: FnOnce() -> T + Send + 'static,
    {
        Self::builder().spawn(make)
    }

    /// [`spawn`](Self::spawn) with the thread named `name` (as shown by
    /// debuggers and `top -H`, and in this type's panic messages).
    ///
    /// ```
    /// let db = bridge_runtime::Dedicated::spawn_named("sqlite", || ());
    /// let name = db.call_blocking(|_| std::thread::current().name().map(str::to_owned));
    /// assert_eq!(name.as_deref(), Some("sqlite"));
    /// ```
    pub fn spawn_named<F>(name: &str, make: F) -> Self
    where
        F: FnOnce() -> T + Send + 'static,
    {
        Self::builder().name(name).spawn(make)
    }

    /// Starts the thread, builds the value with `make` there, and resolves
    /// to the handle once it is built, or to `make`'s error.
    ///
    /// Nothing happens until the future is first polled. If it is dropped
    /// before the value is built, the value is dropped on its thread as soon
    /// as it is.
    ///
    /// # Errors
    ///
    /// The error `make` returned; the thread has ended then.
    ///
    /// # Panics
    ///
    /// Resumes a panic of `make`; panics if the operating system refuses to
    /// start a thread.
    ///
    /// ```
    /// use bridge_runtime::Dedicated;
    ///
    /// # futures::executor::block_on(async {
    /// let opened = Dedicated::try_spawn(|| std::fs::File::open("no/such/file")).await;
    /// assert!(opened.is_err());
    ///
    /// let parsed = Dedicated::try_spawn(|| "42".parse::<u32>()).await.expect("a number");
    /// assert_eq!(parsed.call(|n| *n + 1).await, 43);
    /// # });
    /// ```
    pub async fn try_spawn<F, E>(make: F) -> Result<Self, E>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        E: Send + 'static,
    {
        Self::builder().try_spawn(make).await
    }

    /// [`try_spawn`](Self::try_spawn) for sync code: blocks until the value
    /// is built or `make` failed.
    ///
    /// # Errors
    ///
    /// The error `make` returned.
    ///
    /// # Panics
    ///
    /// As [`try_spawn`](Self::try_spawn).
    ///
    /// ```
    /// let parsed = bridge_runtime::Dedicated::try_spawn_blocking(|| "x".parse::<u32>());
    /// assert!(parsed.is_err());
    /// ```
    pub fn try_spawn_blocking<F, E>(make: F) -> Result<Self, E>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        E: Send + 'static,
    {
        Self::builder().try_spawn_blocking(make)
    }

    /// Configures the thread's name and a bound on the queue before
    /// starting it; see [`DedicatedBuilder`].
    ///
    /// ```
    /// let log = bridge_runtime::Dedicated::builder()
    ///     .name("log-writer")
    ///     .bound(64)
    ///     .spawn(Vec::<String>::new);
    /// log.call_blocking(|lines| lines.push("started".to_owned()));
    /// ```
    pub fn builder() -> DedicatedBuilder<T> {
        DedicatedBuilder {
            name: None,
            bound: None,
            value: PhantomData,
        }
    }

    /// Runs `f` on the value's thread and resolves to its result.
    ///
    /// The call is queued when the future is first polled (after waiting
    /// for room, if the queue is bounded and full); dropping the future
    /// before `f` started means `f` never runs. The future does not borrow
    /// the handle: it can be spawned, and the last handle can be dropped
    /// while it waits.
    ///
    /// While `f` runs, [`cancelled`](crate::cancelled) tells it whether the
    /// future is still awaited; a long `f` can ask and stop early once it is
    /// not, so that the calls queued behind it start sooner.
    ///
    /// # Panics
    ///
    /// Resumes a panic of `f`. Panics if the value was never built (its
    /// constructor panicked), if [`close`](Self::close) was called before
    /// the call was queued, or if the call is made from inside a call on the
    /// same `Dedicated` (it would wait for itself).
    ///
    /// ```
    /// let text = bridge_runtime::Dedicated::spawn(String::new);
    /// # futures::executor::block_on(async {
    /// text.call(|s| s.push_str("hello")).await;
    /// assert_eq!(text.call(|s| s.len()).await, 5);
    /// # });
    /// ```
    pub fn call<F, R>(&self, f: F) -> impl Future<Output = R> + Send + 'static + use<T, F, R>
    where
        F: FnOnce(&mut T) -> R + Send + 'static,
        R: Send + 'static,
    {
        let Dedicated { calls, control } = self.clone();
        async move {
            let waiting = control.refuse_from_inside("call");
            let room = match &control.rooms {
                Some(rooms) => match unseen(control.room_in(rooms)).await {
                    Ok(room) => Some(room),
                    Err(_) => unreachable_closed_semaphore(),
                },
                None => None,
            };
            let (outcome, _leaving) = queue(&calls, &control, f, waiting, room);
            drop(calls); // a queued call keeps no handle alive
            control.finish(unseen(outcome.recv_async()).await.ok())
        }
    }

    /// [`call`](Self::call) for sync code: blocks the calling thread until
    /// `f` has run (and, on a full bounded queue, until there is room).
    /// Safe anywhere, but inside async code it holds an executor thread for
    /// as long as the queue takes: prefer `call` there.
    ///
    /// # Panics
    ///
    /// As [`call`](Self::call).
    ///
    /// ```
    /// let total = bridge_runtime::Dedicated::spawn(|| 0u64);
    /// for n in 1..=4 {
    ///     total.call_blocking(move |t| *t += n);
    /// }
    /// assert_eq!(total.call_blocking(|t| *t), 10);
    /// ```
    pub fn call_blocking<F, R>(&self, f: F) -> R
    where
        F: FnOnce(&mut T) -> R + Send + 'static,
        R: Send + 'static,
    {
        let control = &self.control;
        let waiting = control.refuse_from_inside("call_blocking");
        let room = control.rooms.as_ref().map(|rooms| {
            // `unconstrained`: on an executor thread, a task's spent budget
            // would make every poll pending, and this loop spin.
            let wait = tokio::task::unconstrained(control.room_in(rooms));
            wait_here(wait).unwrap_or_else(|_| unreachable_closed_semaphore())
        });
        let (outcome, _leaving) = queue(&self.calls, control, f, waiting, room);
        control.finish(outcome.recv().ok())
    }

    /// Stops taking calls, lets the thread run the calls already queued,
    /// drop the value and end, and resolves once it has.
    ///
    /// Closing starts when the future is first polled. Calls made after
    /// that panic, saying the `Dedicated` is closed; so do calls that were
    /// still waiting for room in a full bounded queue. Closing again, from
    /// any handle, waits for the same end. The value's destructor runs
    /// under [`catch_unwind`](std::panic::catch_unwind): if it panics, the
    /// thread still ends and `close` still returns.
    ///
    /// # Panics
    ///
    /// If called from inside a call on the same `Dedicated`: the thread
    /// could not end before the call that waits for it.
    ///
    /// ```
    /// use bridge_runtime::Dedicated;
    ///
    /// # futures::executor::block_on(async {
    /// let file = Dedicated::spawn(|| std::io::BufWriter::new(Vec::<u8>::new()));
    /// file.call(|w| std::io::Write::write_all(w, b"buffered")).await.expect("written");
    /// file.close().await; // the writer has been flushed and dropped
    /// # });
    /// ```
    pub fn close(&self) -> impl Future<Output = ()> + Send + 'static + use<T> {
        let Dedicated { calls, control } = self.clone();
        async move {
            control.refuse_from_inside("close");
            control.start_closing(&calls);
            drop(calls);
            // Never sent on: returns once the thread dropped its sender.
            let _ = unseen(control.ended.recv_async()).await;
        }
    }

    /// [`close`](Self::close) for sync code: blocks until the thread has
    /// run the queued calls, dropped the value and ended.
    ///
    /// # Panics
    ///
    /// As [`close`](Self::close).
    ///
    /// ```
    /// let db = bridge_runtime::Dedicated::spawn(|| vec![1, 2, 3]);
    /// db.call_blocking(|v| v.push(4));
    /// db.close_blocking();
    /// let refused = std::panic::catch_unwind(|| db.call_blocking(|v| v.len()));
    /// assert!(refused.is_err(), "calls after close panic");
    /// ```
    pub fn close_blocking(&self) {
        self.control.refuse_from_inside("close_blocking");
        self.control.start_closing(&self.calls);
        let _ = self.control.ended.recv();
    }

    /// A snapshot of the counters of the calls made on this `Dedicated`;
    /// see [`PoolStats`].
    ///
    /// A call is *submitted* when it is queued (a call waiting for room in
    /// a full bounded queue is not yet), *running* while its closure runs,
    /// then *completed* or *panicked*; a call whose caller left before it
    /// started counts as *cancelled*, once the thread reaches it. `running`
    /// is at most 1, and every snapshot adds up: `submitted` is `completed +
    /// panicked + cancelled + running + queued`.
    ///
    /// ```
    /// let db = bridge_runtime::Dedicated::spawn(|| 0u32);
    /// db.call_blocking(|v| *v += 1);
    /// let stats = db.stats();
    /// assert_eq!((stats.submitted, stats.completed, stats.running), (1, 1, 0));
    /// ```
    pub fn stats(&self) -> PoolStats {
        // One call runs at a time.
        self.control.counters.snapshot_of(Some(1))
    }
}

/// Queues `f` behind the gate and returns where its outcome will arrive.
///
/// # Panics
///
/// If the `Dedicated` is closed or its value was never built.
fn queue<T, F, R>(
    calls: &flume::Sender<Message<T>>,
    control: &Control,
    f: F,
    waiting: Waiting,
    room: Option<OwnedSemaphorePermit>,
) -> (flume::Receiver<Outcome<R>>, Leaving)
where
    F: FnOnce(&mut T) -> R + Send + 'static,
    R: Send + 'static,
{
    let (reply, outcome) = flume::bounded(1);
    let reply = Reply(reply);
    // Set when the caller stops waiting, for `cancelled()` in the call.
    let leaving = Leaving::new();
    let gone = leaving.flag();
    let submitted = Instant::now();
    let body: Body<T> = Box::new(move |value: &mut T, counters: &Counters| {
        if reply.0.is_disconnected() {
            // The caller left before the call started.
            counters.cancelled();
            drop_guarded(f);
            return;
        }
        let started = Instant::now();
        counters.started();
        let result = with_caller(&gone, None, || catch_unwind(AssertUnwindSafe(|| f(value))));
        counters.finished(result.is_err());
        if let Err(unsent) = reply.0.send(result) {
            // The caller left while the call ran: its result is dropped here.
            counters.abandoned();
            drop_guarded(unsent);
        }
        // A caller that leaves now, its result sent but unread, leaves this
        // end the last one: the result is dropped with it, here.
        drop_guarded(reply);
        // Read after the result is on its way, off the caller's path.
        let ended = Instant::now();
        counters.timed(
            started.duration_since(submitted),
            ended.duration_since(started),
        );
    });
    let call = Call {
        body,
        waiting,
        room,
    };
    let state = control.lock();
    if state.closed || state.failure.is_some() {
        drop(state);
        drop(call); // here, before saying why: nothing of it ran
        control.check_open();
    } else {
        control.counters.submitted();
        // Cannot fail: the thread keeps its end of the queue until the gate
        // is shut. If it ever did, the call is dropped with its reply and
        // `finish` says the thread is gone.
        let _ = calls.send(Message::Call(call));
        drop(state);
    }
    (outcome, leaving)
}

/// The reply channel of a call, which also tells the closure whether its
/// caller still waits.
struct Reply<R>(flume::Sender<Outcome<R>>);

impl Control {
    fn lock(&self) -> MutexGuard<'_, State> {
        // No user code runs under this lock; recover anyway.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Panics if the current thread runs a call this `Dedicated` waits for;
    /// otherwise returns the `Dedicated` values the caller's thread holds up.
    fn refuse_from_inside(self: &Arc<Self>, what: &str) -> Waiting {
        let waiting = WAITING.try_with(|w| w.borrow().clone()).ok().flatten();
        if let Some(chain) = &waiting
            && let Some(at) = chain.iter().position(|d| Arc::ptr_eq(d, self))
        {
            let name = &self.name;
            if at + 1 == chain.len() {
                panic!(
                    "bridge: `{what}` on Dedicated `{name}` was called from inside one of its own calls: \
                         it would wait forever for the call it is made from (calls run one at a time); \
                         use the value the running closure already has"
                );
            }
            let path: Vec<String> = chain[at..]
                .iter()
                .chain([self])
                .map(|d| format!("`{}`", d.name))
                .collect();
            panic!(
                "bridge: `{what}` on Dedicated `{name}` was called from inside a call that `{name}` \
                     itself waits for ({}): it would wait forever; use the value the running closure \
                     already has, or do not wait for this call",
                path.join(" -> ")
            );
        }
        waiting
    }

    /// Waits for room in a bounded queue, unless the `Dedicated` takes no
    /// more calls (checked again at the gate, after waiting).
    fn room_in(
        &self,
        rooms: &Arc<Semaphore>,
    ) -> impl Future<Output = Result<OwnedSemaphorePermit, AcquireError>> + use<> {
        self.check_open();
        rooms.clone().acquire_owned()
    }

    /// Panics if the `Dedicated` takes no more calls, saying why.
    fn check_open(&self) {
        let state = self.lock();
        if let Some(why) = &state.failure {
            let why = why.clone();
            drop(state);
            panic!(
                "bridge: the value of Dedicated `{}` was never built: {why}",
                self.name
            );
        }
        if state.closed {
            drop(state);
            panic!(
                "bridge: Dedicated `{}` is closed: this call was made after `close`",
                self.name
            );
        }
    }

    /// Shuts the gate, if still open, behind a `Close` marker.
    fn start_closing<T>(&self, calls: &flume::Sender<Message<T>>) {
        let mut state = self.lock();
        if !state.closed {
            state.closed = true;
            if state.failure.is_none() {
                let _ = calls.send(Message::Close);
            }
        }
    }

    /// The caller's side of the end of a call.
    fn finish<R>(&self, outcome: Option<Outcome<R>>) -> R {
        match outcome {
            Some(Ok(value)) => value,
            Some(Err(payload)) => resume_unwind(payload),
            None => {
                // The call was dropped unrun: the value was never built, or
                // the thread is gone.
                self.check_open();
                panic!(
                    "bridge: the thread of Dedicated `{}` is gone before running this call",
                    self.name
                )
            }
        }
    }
}

fn unreachable_closed_semaphore<P>() -> P {
    // The rooms' semaphore is never closed.
    panic!("bridge: the room semaphore of a Dedicated was closed")
}

/// Polls `future` on this thread, parking between wake-ups: for futures that
/// need no runtime (a semaphore's).
fn wait_here<F: Future>(future: F) -> F::Output {
    crate::park::drive(future, std::thread::park)
}

/// Configures a [`Dedicated`] before its thread starts: the thread's name,
/// and a bound on the queue. From [`Dedicated::builder`].
///
/// # Bounded or unbounded
///
/// By default the queue is unbounded: queuing never waits, so a burst of
/// calls is absorbed at once, and `call_blocking` blocks only for the call
/// itself. But callers that queue faster than the thread runs (a stream of
/// writes from many tasks) grow it without limit, a few hundred bytes per
/// queued call, and its calls wait ever longer.
///
/// With a bound, a full queue makes callers wait for room: `call` waits
/// asynchronously, without holding its executor thread, and `call_blocking`
/// blocks its thread. Producers then slow down to the thread's pace, and
/// memory stays flat. Choose a bound when calls can come faster than they
/// run for long, and unbounded when bursts are short or callers must never
/// wait to queue (`call_blocking` from an executor thread, where waiting for
/// room blocks every task of that thread).
///
/// ```
/// use bridge_runtime::Dedicated;
///
/// let sink = Dedicated::builder().name("sink").bound(100).spawn(Vec::<u64>::new);
/// # futures::executor::block_on(async {
/// // 10,000 calls at once: 100 are queued, the others wait for room.
/// futures::future::join_all((0..10_000).map(|n| sink.call(move |v| v.push(n)))).await;
/// # });
/// assert_eq!(sink.call_blocking(|v| v.len()), 10_000);
/// ```
pub struct DedicatedBuilder<T> {
    name: Option<String>,
    bound: Option<usize>,
    value: PhantomData<fn() -> T>,
}

/// What the thread reports once the constructor has run.
enum Built<E> {
    Ready,
    Failed(E),
    Panicked(Payload),
}

impl<T: 'static> DedicatedBuilder<T> {
    /// Names the thread (as shown by debuggers and `top -H`, and in panic
    /// messages); `bridge-dedicated` by default.
    ///
    /// ```
    /// let d = bridge_runtime::Dedicated::builder().name("gpu").spawn(|| ());
    /// assert_eq!(d.call_blocking(|_| std::thread::current().name().map(str::to_owned)).as_deref(), Some("gpu"));
    /// ```
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// At most `calls` calls wait in the queue (the one running is not
    /// counted); a caller that finds it full waits for room, in arrival
    /// order. See [Bounded or unbounded](DedicatedBuilder#bounded-or-unbounded).
    /// Bounds above tokio's `Semaphore::MAX_PERMITS` are taken as that.
    ///
    /// # Panics
    ///
    /// If `calls` is 0: such a queue would take no call.
    ///
    /// ```
    /// let d = bridge_runtime::Dedicated::builder().bound(16).spawn(|| 0u32);
    /// d.call_blocking(|v| *v += 1);
    /// ```
    #[must_use]
    pub fn bound(mut self, calls: usize) -> Self {
        assert!(
            calls > 0,
            "a Dedicated's queue bound must be at least 1: a bound of 0 would take no call"
        );
        self.bound = Some(calls.min(Semaphore::MAX_PERMITS));
        self
    }

    /// Starts the thread, which builds the value with `make`; returns at
    /// once. See [`Dedicated::spawn`].
    ///
    /// # Panics
    ///
    /// If the operating system refuses to start a thread.
    ///
    /// ```
    /// let d = bridge_runtime::Dedicated::builder().spawn(|| 5u8);
    /// assert_eq!(d.call_blocking(|v| *v), 5);
    /// ```
    pub fn spawn<F>(self, make: F) -> Dedicated<T>
    where
        F: FnOnce() -> T + Send + 'static,
    {
        // Nobody waits for the report: `start` drops it, unread, on the thread.
        self.start(move || Ok::<T, std::convert::Infallible>(make()))
            .0
    }

    /// Starts the thread and resolves to the handle once `make` has built
    /// the value there, or to `make`'s error. See [`Dedicated::try_spawn`].
    ///
    /// # Errors
    ///
    /// The error `make` returned.
    ///
    /// # Panics
    ///
    /// Resumes a panic of `make`; panics if the operating system refuses to
    /// start a thread.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let d = bridge_runtime::Dedicated::builder()
    ///     .name("parser")
    ///     .try_spawn(|| "7".parse::<u8>())
    ///     .await
    ///     .expect("parsed");
    /// assert_eq!(d.call(|v| *v).await, 7);
    /// # });
    /// ```
    pub async fn try_spawn<F, E>(self, make: F) -> Result<Dedicated<T>, E>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        E: Send + 'static,
    {
        let (dedicated, built) = self.start(make);
        let report = unseen(built.recv_async()).await.ok();
        dedicated.built(report)
    }

    /// [`try_spawn`](Self::try_spawn) for sync code: blocks until the value
    /// is built or `make` failed.
    ///
    /// # Errors
    ///
    /// The error `make` returned.
    ///
    /// # Panics
    ///
    /// As [`try_spawn`](Self::try_spawn).
    ///
    /// ```
    /// let d = bridge_runtime::Dedicated::builder().try_spawn_blocking(|| "x".parse::<u8>());
    /// assert!(d.is_err());
    /// ```
    pub fn try_spawn_blocking<F, E>(self, make: F) -> Result<Dedicated<T>, E>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        E: Send + 'static,
    {
        let (dedicated, built) = self.start(make);
        let report = built.recv().ok();
        dedicated.built(report)
    }

    /// Starts the thread; returns the handle and where the constructor's
    /// outcome will be reported.
    fn start<F, E>(self, make: F) -> (Dedicated<T>, flume::Receiver<Built<E>>)
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        E: Send + 'static,
    {
        let name = self.name.unwrap_or_else(|| DEFAULT_NAME.to_owned());
        let (calls, queue) = flume::unbounded::<Message<T>>();
        let (ended_tx, ended) = flume::bounded::<()>(0);
        let (report, built) = flume::bounded::<Built<E>>(1);
        let control = Arc::new(Control {
            name: name.clone(),
            state: Mutex::new(State::default()),
            counters: Counters::new(),
            rooms: self.bound.map(|n| Arc::new(Semaphore::new(n))),
            ended,
        });
        let on_thread = control.clone();
        std::thread::Builder::new()
            .name(name)
            .spawn(move || {
                serve(make, &queue, &on_thread, &report);
                drop(report);
                drop(queue);
                // Last: `close` returns once this is gone.
                drop(ended_tx);
            })
            .unwrap_or_else(|e| {
                panic!(
                    "bridge: could not start the thread `{}` of a Dedicated: {e}",
                    control.name
                )
            });
        (Dedicated { calls, control }, built)
    }
}

impl<T: 'static> Dedicated<T> {
    /// The caller's side of `try_spawn`.
    fn built<E>(self, report: Option<Built<E>>) -> Result<Self, E> {
        match report {
            Some(Built::Ready) => Ok(self),
            Some(Built::Failed(error)) => Err(error),
            Some(Built::Panicked(payload)) => resume_unwind(payload),
            None => panic!(
                "bridge: the thread of Dedicated `{}` ended before building its value",
                self.control.name
            ),
        }
    }
}

/// The dedicated thread: builds the value, runs the calls, drops the value.
fn serve<T, E>(
    make: impl FnOnce() -> Result<T, E>,
    queue: &flume::Receiver<Message<T>>,
    control: &Arc<Control>,
    report: &flume::Sender<Built<E>>,
) {
    let own: Arc<[Arc<Control>]> = Arc::new([control.clone()]);
    let _ = WAITING.try_with(|w| *w.borrow_mut() = Some(own.clone()));
    let mut value = match catch_unwind(AssertUnwindSafe(make)) {
        Ok(Ok(value)) => {
            let _ = report.send(Built::Ready);
            value
        }
        Ok(Err(error)) => {
            fail(
                control,
                queue,
                "its constructor returned an error".to_owned(),
            );
            if let Err(unsent) = report.send(Built::Failed(error)) {
                drop_guarded(unsent);
            }
            return;
        }
        Err(payload) => {
            fail(
                control,
                queue,
                format!("its constructor panicked: {}", message(&*payload)),
            );
            if let Err(unsent) = report.send(Built::Panicked(payload)) {
                drop_guarded(unsent);
            }
            return;
        }
    };
    // Ends at the `Close` marker, or when every handle is gone and the
    // queue is empty.
    while let Ok(Message::Call(call)) = queue.recv() {
        let Call {
            body,
            waiting,
            room,
        } = call;
        drop(room); // taken off the queue: room for the next caller
        match waiting {
            None => body(&mut value, &control.counters),
            Some(outer) => {
                let chain = Waiters(outer.iter().chain(own.iter()).cloned().collect());
                chain.waiting_for(|| body(&mut value, &control.counters));
            }
        }
    }
    drop_guarded(value);
}

/// Shuts the gate for good because the value was never built, then drops,
/// unrun, the calls queued before: their callers panic, saying `why`.
fn fail<T>(control: &Control, queue: &flume::Receiver<Message<T>>, why: String) {
    control.lock().failure = Some(why);
    for message in queue.try_iter() {
        if let Message::Call(_) = message {
            control.counters.cancelled();
        }
        drop_guarded(message);
    }
}

fn message(payload: &(dyn Any + Send)) -> &str {
    crate::job::panic_text(payload).unwrap_or("(a panic payload that is not a string)")
}

impl<T: 'static> Clone for Dedicated<T> {
    fn clone(&self) -> Self {
        Dedicated {
            calls: self.calls.clone(),
            control: self.control.clone(),
        }
    }
}

impl<T: 'static> fmt::Debug for Dedicated<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.control.lock();
        f.debug_struct("Dedicated")
            .field("thread", &self.control.name)
            .field("value", &std::any::type_name::<T>())
            .field("queued", &self.calls.len())
            .field("closed", &state.closed)
            .field("built", &state.failure.is_none())
            .finish()
    }
}

impl<T> fmt::Debug for DedicatedBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DedicatedBuilder")
            .field("name", &self.name.as_deref().unwrap_or(DEFAULT_NAME))
            .field("bound", &self.bound)
            .field("value", &std::any::type_name::<T>())
            .finish()
    }
}
