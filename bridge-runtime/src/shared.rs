//! The shared runtime: a small multi-thread tokio runtime started on first
//! use, or the program's own, installed with [`set_runtime`].

use std::fmt;
use std::sync::OnceLock;

use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

/// Worker threads of the shared runtime bridge starts when it needs one.
pub(crate) const SHARED_WORKERS: usize = 2;

static HANDLE: OnceLock<Handle> = OnceLock::new();
static OWNED: OnceLock<Runtime> = OnceLock::new();

/// The handle of the shared runtime, starting it if nothing was installed.
///
/// # Panics
///
/// If the operating system refuses to start its threads.
pub(crate) fn handle() -> &'static Handle {
    HANDLE.get_or_init(|| {
        let runtime = OWNED.get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(SHARED_WORKERS)
                .thread_name_fn(|| {
                    use std::sync::atomic::{AtomicUsize, Ordering};
                    static NEXT: AtomicUsize = AtomicUsize::new(0);
                    format!("bridge-shared-{}", NEXT.fetch_add(1, Ordering::Relaxed))
                })
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("bridge: could not start the shared tokio runtime: {e}"))
        });
        runtime.handle().clone()
    })
}

/// The runtime of the calling context, or the shared one.
pub(crate) fn current_or_shared() -> Handle {
    Handle::try_current().unwrap_or_else(|_| handle().clone())
}

/// Installs a program's own multi-thread tokio runtime as bridge's shared
/// runtime: the one that runs `#[offload(io)]` bodies called with no tokio
/// runtime around.
///
/// Call it before anything used the shared runtime. Without it, the first
/// such use starts a runtime of bridge's own: 2 worker threads named
/// `bridge-shared-N`, timers and I/O enabled, tokio's default blocking pool.
///
/// # Errors
///
/// [`SetRuntimeError::AlreadyStarted`] if the shared runtime was already in
/// use (or installed); [`SetRuntimeError::CurrentThread`] for the handle of a
/// current-thread runtime, which only runs while its owner blocks on it.
///
/// # Examples
///
/// ```
/// let runtime = tokio::runtime::Builder::new_multi_thread()
///     .worker_threads(1)
///     .enable_all()
///     .build()?;
/// bridge_runtime::set_runtime(runtime.handle().clone())?;
///
/// // A second call is refused: the runtime is chosen once.
/// assert_eq!(
///     bridge_runtime::set_runtime(runtime.handle().clone()),
///     Err(bridge_runtime::SetRuntimeError::AlreadyStarted),
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn set_runtime(handle: Handle) -> Result<(), SetRuntimeError> {
    if handle.runtime_flavor() != RuntimeFlavor::MultiThread {
        return Err(SetRuntimeError::CurrentThread);
    }
    HANDLE
        .set(handle)
        .map_err(|_| SetRuntimeError::AlreadyStarted)
}

/// Why [`set_runtime`] refused a handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SetRuntimeError {
    /// The shared runtime was already started or installed.
    AlreadyStarted,
    /// The handle is of a current-thread runtime, which only makes progress
    /// while its owner blocks on it.
    CurrentThread,
}

impl fmt::Display for SetRuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SetRuntimeError::AlreadyStarted => {
                "bridge's shared runtime is already in use; call `set_runtime` before the first offloaded or blocking call"
            }
            SetRuntimeError::CurrentThread => {
                "a current-thread runtime cannot be bridge's shared runtime; install the handle of a multi-thread runtime"
            }
        })
    }
}

impl std::error::Error for SetRuntimeError {}
