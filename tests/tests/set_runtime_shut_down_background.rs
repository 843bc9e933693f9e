//! A program installs its own runtime, then shuts it down in the background
//! and calls at once, while the runtime's threads are still stopping: no
//! call panics with tokio's shutdown message, and once one has seen the
//! runtime go, every later call runs. Its own process, so that nothing used
//! the shared runtime before.

mod deadline;
mod runtimes;

use std::time::Duration;

use bridge_runtime::blocking;
use deadline::{deadline, panic_text};
use runtimes::multi_thread;

#[blocking]
async fn napping(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[test]
fn calls_right_after_a_background_shutdown_of_the_installed_runtime() {
    let installed = multi_thread(1);
    bridge_runtime::set_runtime(installed.handle().clone()).expect("first");
    assert_eq!(napping(1), 1);
    installed.shutdown_background();
    let outcomes = deadline("calls after shutdown_background", || {
        (0..20)
            .map(|_| std::panic::catch_unwind(|| napping(1)).map_err(panic_text))
            .collect::<Vec<_>>()
    });
    for outcome in &outcomes {
        if let Err(text) = outcome {
            assert!(!text.contains("being shutdown"), "tokio's message: {text}");
            assert!(text.contains("set_runtime"), "bridge's message: {text}");
        }
    }
    // A call that raced with the shutdown may have failed; none after it.
    let first_ok = outcomes.iter().position(Result::is_ok);
    assert!(first_ok.is_some_and(|at| at <= 1), "{outcomes:?}");
    assert!(outcomes.iter().skip(2).all(Result::is_ok), "{outcomes:?}");
}
