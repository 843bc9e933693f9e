//! The shared runtime: a small multi-thread tokio runtime started on first
//! use, or the program's own, installed with [`set_runtime`].

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

/// Worker threads of the shared runtime bridge starts when it needs one.
pub(crate) const SHARED_WORKERS: usize = 2;

/// Which runtime is the shared one, chosen once.
enum Chosen {
    /// The program's, from [`set_runtime`]; `gone` is set when that runtime
    /// shuts down.
    Installed {
        handle: Handle,
        gone: Arc<AtomicBool>,
    },
    /// bridge's own.
    Own(Runtime),
}

static CHOSEN: OnceLock<Chosen> = OnceLock::new();
/// bridge's own runtime, started if an installed one shut down.
static FALLBACK: OnceLock<Runtime> = OnceLock::new();

fn start() -> Runtime {
    crate::blocking::keep_reworded_panics_quiet();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(SHARED_WORKERS)
        .thread_name_fn(|| {
            use std::sync::atomic::AtomicUsize;
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            format!("bridge-shared-{}", NEXT.fetch_add(1, Ordering::Relaxed))
        })
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("bridge: could not start the shared tokio runtime: {e}"))
}

/// The handle of the shared runtime, starting it if nothing was installed,
/// or if the installed runtime has shut down.
///
/// # Panics
///
/// If the operating system refuses to start its threads.
#[inline]
pub(crate) fn handle() -> &'static Handle {
    match CHOSEN.get_or_init(|| Chosen::Own(start())) {
        Chosen::Own(runtime) => runtime.handle(),
        Chosen::Installed { handle, gone } => {
            if gone.load(Ordering::Acquire) {
                FALLBACK.get_or_init(start).handle()
            } else {
                handle
            }
        }
    }
}

/// True if `handle`'s runtime is shutting down: it drops a task as soon as
/// it is spawned. A runtime that shuts down runs no more timers, so a
/// future waiting for one there would wait forever. Costs a spawn (about a
/// microsecond): asked only where nothing cheaper can tell, such as a
/// second `#[blocking]` call in the same poll of a task, after the first
/// one's `block_in_place` gave the worker's scheduler to another thread.
/// (In the rare case that a worker runs the empty probe before it is looked
/// at, the answer is "shutting down" for a live runtime: the caller then
/// uses the shared runtime, which works as well.)
pub(crate) fn shutting_down(handle: &Handle) -> bool {
    handle.spawn(async {}).is_finished()
}

/// After tokio said that a runtime shut down under a call: whether the
/// installed runtime is shutting down (see [`shutting_down`]). If so, later
/// calls use bridge's own runtime from now on, without waiting for that
/// runtime's threads to drop their tasks.
pub(crate) fn installed_shut_down() -> bool {
    let Some(Chosen::Installed { handle, gone }) = CHOSEN.get() else {
        return false;
    };
    if !gone.load(Ordering::Acquire) && shutting_down(handle) {
        gone.store(true, Ordering::Release);
    }
    gone.load(Ordering::Acquire)
}

/// The runtime of the calling context, or the shared one.
pub(crate) fn current_or_shared() -> Handle {
    Handle::try_current().unwrap_or_else(|_| handle().clone())
}

/// Sets its flag when dropped: by the runtime that owns its task, when that
/// runtime shuts down.
struct Sentinel(Arc<AtomicBool>);

impl Drop for Sentinel {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Installs a program's own multi-thread tokio runtime as bridge's shared
/// runtime: the one that drives `#[blocking]` calls made outside any
/// runtime, and runs `#[offload(io)]` bodies called with no tokio runtime
/// around.
///
/// Call it before anything used the shared runtime. Without it, the first
/// such use starts a runtime of bridge's own: 2 worker threads named
/// `bridge-shared-N`, timers and I/O enabled, tokio's default blocking pool.
///
/// If the installed runtime shuts down (it is dropped), bridge notices and
/// starts its own runtime for the calls that come after: they keep working.
/// A call running on it at that moment loses the timers and I/O it had
/// started there, and panics with bridge's message saying so (not tokio's
/// "being shutdown"). The choice is made once: installing again is still
/// refused.
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
///
/// // Once the installed runtime is gone, bridge starts its own.
/// drop(runtime);
/// assert_eq!(bridge_runtime::block_on(async { 6 * 7 }), 42);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn set_runtime(handle: Handle) -> Result<(), SetRuntimeError> {
    if handle.runtime_flavor() != RuntimeFlavor::MultiThread {
        return Err(SetRuntimeError::CurrentThread);
    }
    if CHOSEN.get().is_some() {
        return Err(SetRuntimeError::AlreadyStarted);
    }
    let gone = Arc::new(AtomicBool::new(false));
    let mut installed = false;
    CHOSEN.get_or_init(|| {
        installed = true;
        crate::blocking::keep_reworded_panics_quiet();
        let sentinel = Sentinel(gone.clone());
        // Dropped, with the flag set, when the runtime shuts down.
        drop(handle.spawn(async move {
            let _sentinel = sentinel;
            std::future::pending::<()>().await;
        }));
        Chosen::Installed { handle, gone }
    });
    if installed {
        Ok(())
    } else {
        Err(SetRuntimeError::AlreadyStarted)
    }
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
