//! Whether the caller of a running body is still there.

use std::cell::Cell;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::stats::Counters;

scoped_tls::scoped_thread_local! {
    /// Set when the caller of the body running on this thread is gone.
    static GONE: AtomicBool
}

thread_local! {
    /// The counters of the pool whose body runs on this thread.
    static POOL: Cell<Option<&'static Counters>> = const { Cell::new(None) };
}

/// Runs `body` with `gone` as the flag [`cancelled`] reads (and `counters`
/// as its pool's), restoring the previous ones afterwards (bodies nest: a
/// body may wait for another that runs on the same thread), even if `body`
/// panics. Costs two thread-local writes: nothing is cloned.
pub(crate) fn with_caller<R>(
    gone: &AtomicBool,
    counters: Option<&'static Counters>,
    body: impl FnOnce() -> R,
) -> R {
    struct Restore(Option<&'static Counters>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = POOL.try_with(|pool| pool.set(self.0));
        }
    }
    let _restore = counters.map(|counters| {
        Restore(
            POOL.try_with(|pool| pool.replace(Some(counters)))
                .ok()
                .flatten(),
        )
    });
    GONE.set(gone, body)
}

/// Sets its flag when dropped: held by a caller while it waits.
#[derive(Debug)]
pub(crate) struct Leaving(Arc<AtomicBool>);

impl Leaving {
    pub(crate) fn new() -> Self {
        Leaving(Arc::new(AtomicBool::new(false)))
    }

    /// The flag, for the body.
    pub(crate) fn flag(&self) -> Arc<AtomicBool> {
        self.0.clone()
    }
}

impl Drop for Leaving {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs `wait`, during which the body running on this thread (if any)
/// lends its thread to other calls of its pool and counts as queued. What
/// runs on the thread meanwhile is not that body: it sees no caller gone and
/// no pool of the body's (a call of bridge's sets its own).
pub(crate) fn lending<R>(wait: impl FnOnce() -> R) -> R {
    struct Unlend(Option<&'static Counters>);
    impl Drop for Unlend {
        fn drop(&mut self) {
            let _ = POOL.try_with(|pool| pool.set(self.0));
            if let Some(counters) = self.0 {
                counters.unlend();
            }
        }
    }
    /// The flag of no body: never set.
    static NO_BODY: AtomicBool = AtomicBool::new(false);
    let counters = POOL.try_with(|pool| pool.take()).ok().flatten();
    if let Some(counters) = counters {
        counters.lend();
    }
    let _unlend = Unlend(counters);
    #[cfg(feature = "tracing")]
    return crate::trace::lent(|| GONE.set(&NO_BODY, wait));
    #[cfg(not(feature = "tracing"))]
    GONE.set(&NO_BODY, wait)
}

/// True inside an offloaded body whose caller is gone: the future that
/// awaited it (or the stream that consumed it) was dropped, for instance by
/// a `tokio::time::timeout` that fired, a `select!` that chose another
/// branch, or a request handler whose client disconnected. False anywhere
/// else, and always false in a body whose caller still waits.
///
/// A body that never asks runs to completion, and its result is dropped:
/// [`PoolStats::abandoned`](crate::PoolStats::abandoned) counts those. A
/// long body that asks now and then frees its thread (and its pool slot)
/// soon after its caller left. Bodies run by [`io`](crate::io),
/// [`cpu`](crate::cpu), [`IoPool::run`](crate::IoPool::run),
/// [`CpuPool::run`](crate::CpuPool::run), `#[offload]`, the producers of
/// [`OffloadStream`](crate::OffloadStream)s and
/// [`Dedicated`](crate::Dedicated) calls can ask.
///
/// Asking costs a thread-local read and an atomic load.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// # #[tokio::main] async fn main() {
/// let scan = bridge_runtime::io(|| {
///     let mut rows = 0u64;
///     while rows < 10_000 && !bridge_runtime::cancelled() {
///         rows += 1; // one unit of blocking work
///         std::thread::sleep(Duration::from_millis(1));
///     }
///     rows
/// });
/// // The caller gives up after 20 ms; the body notices and stops.
/// assert!(tokio::time::timeout(Duration::from_millis(20), scan).await.is_err());
/// assert!(!bridge_runtime::cancelled()); // not inside a body here
/// # }
/// ```
pub fn cancelled() -> bool {
    GONE.is_set() && GONE.with(|gone| gone.load(Ordering::Relaxed))
}

/// `Err(Cancelled)` once the caller of the running body is gone (see
/// [`cancelled`]), for `?` in bodies that return a `Result`.
///
/// # Errors
///
/// [`Cancelled`] when [`cancelled`] is true.
///
/// # Examples
///
/// ```
/// use bridge_runtime::offload;
///
/// #[offload(io)]
/// fn count_lines(paths: Vec<std::path::PathBuf>) -> std::io::Result<usize> {
///     let mut lines = 0;
///     for path in paths {
///         bridge_runtime::checkpoint()?; // stops here once the caller is gone
///         lines += std::fs::read_to_string(path)?.lines().count();
///     }
///     Ok(lines)
/// }
///
/// # #[tokio::main] async fn main() -> std::io::Result<()> {
/// assert!(count_lines(vec!["Cargo.toml".into()]).await? > 0);
/// # Ok(()) }
/// ```
pub fn checkpoint() -> Result<(), Cancelled> {
    if cancelled() { Err(Cancelled) } else { Ok(()) }
}

/// The error of [`checkpoint`]: the caller of the running body is gone, so
/// its result would be dropped unread.
///
/// Converts into [`std::io::Error`] (kind [`Interrupted`](std::io::ErrorKind::Interrupted))
/// and, like any error, into `Box<dyn Error + Send + Sync>`.
///
/// ```
/// let error: std::io::Error = bridge_runtime::Cancelled.into();
/// assert_eq!(error.kind(), std::io::ErrorKind::Interrupted);
/// assert_eq!(bridge_runtime::Cancelled.to_string(), "the caller of this offloaded call is gone");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Cancelled;

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the caller of this offloaded call is gone")
    }
}

impl std::error::Error for Cancelled {}

impl From<Cancelled> for std::io::Error {
    fn from(cancelled: Cancelled) -> Self {
        std::io::Error::new(std::io::ErrorKind::Interrupted, cancelled)
    }
}
