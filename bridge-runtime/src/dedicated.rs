//! `Dedicated<T>`: a value that lives on a thread of its own.

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Arc, OnceLock};

type Payload = Box<dyn Any + Send>;
type Call<T> = Box<dyn FnOnce(&mut T) + Send>;

/// Owns a value that must stay on one thread (a SQLite connection, the
/// handle of a C library that is not thread-safe) on a thread of its own,
/// and runs closures on it, one at a time, in the order they were sent.
///
/// The handle is a cheap [`Clone`], and is `Send + Sync` whatever `T` is:
/// `T` itself never leaves its thread, so it need not be `Send`. In async
/// code use [`call`](Self::call), which waits without blocking the executor;
/// in sync code, [`call_blocking`](Self::call_blocking).
///
/// - A panic in one call resumes in that caller with its payload; the value
///   stays, and later calls still run.
/// - If the future of [`call`](Self::call) is dropped before its closure
///   started, the closure does not run.
/// - Dropping the last handle lets the thread run the calls already queued,
///   then drop the value on its own thread, then end.
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
/// ```
pub struct Dedicated<T: 'static> {
    calls: flume::Sender<Call<T>>,
    shared: Arc<Shared>,
}

/// What every handle can read about the thread.
#[derive(Debug)]
struct Shared {
    name: String,
    /// Set if the constructor panicked: the value was never built.
    failure: OnceLock<String>,
}

impl<T: 'static> Dedicated<T> {
    /// Starts a thread named `bridge-dedicated` that builds the value with
    /// `make` and owns it; returns at once.
    ///
    /// # Panics
    ///
    /// If the operating system refuses to start a thread. A panic in `make`
    /// does not panic here: each later call panics, saying so.
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
        Self::spawn_named("bridge-dedicated", make)
    }

    /// [`spawn`](Self::spawn) with the thread named `name` (as shown by
    /// debuggers and `top -H`).
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
        let (calls, queue) = flume::unbounded::<Call<T>>();
        let shared = Arc::new(Shared {
            name: name.to_owned(),
            failure: OnceLock::new(),
        });
        let on_thread = shared.clone();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let mut value = match catch_unwind(AssertUnwindSafe(make)) {
                    Ok(value) => value,
                    Err(payload) => {
                        let _ = on_thread.failure.set(message(&*payload));
                        // Fail every call, queued or still to come, by
                        // dropping it unrun, until the last handle is gone.
                        for call in queue.iter() {
                            drop(call);
                        }
                        return;
                    }
                };
                // Ends when every handle is gone and the queue is empty.
                while let Ok(call) = queue.recv() {
                    call(&mut value);
                }
                drop(value);
            })
            .unwrap_or_else(|e| {
                panic!("bridge: could not start the thread `{name}` of a Dedicated: {e}")
            });
        Dedicated { calls, shared }
    }

    /// Runs `f` on the value's thread and resolves to its result.
    ///
    /// # Panics
    ///
    /// Resumes a panic of `f`; panics if the value was never built because
    /// its constructor panicked.
    ///
    /// ```
    /// let text = bridge_runtime::Dedicated::spawn(String::new);
    /// # futures::executor::block_on(async {
    /// text.call(|s| s.push_str("hello")).await;
    /// assert_eq!(text.call(|s| s.len()).await, 5);
    /// # });
    /// ```
    pub async fn call<F, R>(&self, f: F) -> R
    where
        F: FnOnce(&mut T) -> R + Send + 'static,
        R: Send + 'static,
    {
        let reply = self.send(f);
        self.finish(reply.recv_async().await.ok())
    }

    /// [`call`](Self::call) for sync code: blocks the calling thread until
    /// `f` has run. Safe anywhere, but inside async code it holds an
    /// executor thread for as long as the queue takes: prefer `call` there.
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
        let reply = self.send(f);
        self.finish(reply.recv().ok())
    }

    /// Queues `f` and returns where its outcome will arrive.
    fn send<F, R>(&self, f: F) -> flume::Receiver<Result<R, Payload>>
    where
        F: FnOnce(&mut T) -> R + Send + 'static,
        R: Send + 'static,
    {
        let (reply, outcome) = flume::bounded(1);
        let call: Call<T> = Box::new(move |value: &mut T| {
            if reply.is_disconnected() {
                return; // The caller left before the call started.
            }
            let result = catch_unwind(AssertUnwindSafe(|| f(value)));
            let _ = reply.send(result);
        });
        // If the thread is gone, the call is dropped with its `reply`, and
        // `finish` reports why.
        let _ = self.calls.send(call);
        outcome
    }

    fn finish<R>(&self, outcome: Option<Result<R, Payload>>) -> R {
        match outcome {
            Some(Ok(value)) => value,
            Some(Err(payload)) => resume_unwind(payload),
            None => match self.shared.failure.get() {
                Some(why) => panic!(
                    "the value of Dedicated thread `{}` was never built: its constructor panicked: {why}",
                    self.shared.name
                ),
                None => panic!(
                    "the Dedicated thread `{}` is gone before running this call",
                    self.shared.name
                ),
            },
        }
    }
}

fn message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic payload that is not a string)".to_owned())
}

impl<T: 'static> Clone for Dedicated<T> {
    fn clone(&self) -> Self {
        Dedicated {
            calls: self.calls.clone(),
            shared: self.shared.clone(),
        }
    }
}

impl<T: 'static> fmt::Debug for Dedicated<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dedicated")
            .field("thread", &self.shared.name)
            .field("value", &std::any::type_name::<T>())
            .field("queued", &self.calls.len())
            .finish()
    }
}
