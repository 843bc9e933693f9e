//! A program installs its own runtime and shuts it down while a
//! `#[blocking]` call runs on it: the call's timers go with the runtime, so
//! it cannot finish, and says so in bridge's words, not tokio's; the calls
//! after it run on a runtime of bridge's own. Its own process, so that
//! nothing used the shared runtime before.

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

/// tokio's own message for a runtime that shut down under a timer.
const TOKIOS: &str = "being shutdown";

/// The panics the program's own panic hook reported (what reaches stderr),
/// by their text.
static REPORTED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

#[test]
fn a_call_on_an_installed_runtime_that_shuts_down_says_so_and_later_calls_work() {
    // The program's hook, installed before bridge is first used.
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        REPORTED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(panic_text(info.payload()));
        default(info);
    }));
    let installed = multi_thread(1);
    bridge_runtime::set_runtime(installed.handle().clone()).expect("first");
    assert_eq!(napping(1), 1);

    let running = std::thread::spawn(|| std::panic::catch_unwind(|| napping(300)));
    std::thread::sleep(Duration::from_millis(100));
    drop(installed);
    let text = match running.join().expect("the caller's thread") {
        Ok(ms) => panic!("a call whose runtime shut down under it returned {ms}"),
        Err(payload) => panic_text(payload),
    };
    assert!(!text.contains(TOKIOS), "tokio's message: {text}");
    assert!(text.contains("napping"), "names the call: {text}");
    assert!(text.contains("set_runtime"), "says which runtime: {text}");
    // What the program's hook reported: bridge's panic, and not tokio's
    // before it.
    let reported = REPORTED.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(
        !reported.iter().any(|r| r.contains(TOKIOS)),
        "tokio's panic reached the program's hook: {reported:?}"
    );
    assert!(
        reported.iter().any(|r| r.contains("napping")),
        "bridge's panic reached the program's hook: {reported:?}"
    );

    // The calls after it run on bridge's own runtime.
    let later = deadline("calls after the shutdown", || {
        (0..20).map(|_| napping(1)).sum::<u64>()
    });
    assert_eq!(later, 20);
}
