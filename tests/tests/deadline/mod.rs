//! Runs a case that could hang on a thread of its own, and fails the test
//! after a deadline instead of waiting forever.
#![allow(dead_code)]

use std::time::Duration;

/// How long a case may take before it counts as hung.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// Runs `case` on its own thread and returns its result; panics, naming
/// `what`, if it has not finished within [`DEADLINE`] (the thread is then
/// left behind) or resumes its panic.
pub fn deadline<R: Send + 'static>(what: &str, case: impl FnOnce() -> R + Send + 'static) -> R {
    deadline_of(what, DEADLINE, case)
}

/// [`deadline`] with a deadline of `limit`.
pub fn deadline_of<R: Send + 'static>(
    what: &str,
    limit: Duration,
    case: impl FnOnce() -> R + Send + 'static,
) -> R {
    let (tx, rx) = std::sync::mpsc::channel();
    let runner = std::thread::Builder::new()
        .name(format!("case: {what}"))
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(case));
            let _ = tx.send(outcome);
        })
        .expect("a thread for the case");
    match rx.recv_timeout(limit) {
        Ok(Ok(value)) => {
            let _ = runner.join();
            value
        }
        Ok(Err(payload)) => std::panic::resume_unwind(payload),
        Err(_) => panic!("`{what}` hung: not finished after {limit:?}"),
    }
}

/// The text of a panic's payload (`String` or `&str`), or "" for another type.
///
/// Takes the payload as `catch_unwind` and `join` give it (a `Box`), or as
/// a panic hook sees it (a reference).
pub fn panic_text(payload: impl std::ops::Deref<Target = dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}
