//! A program that installs its panic hook after bridge's first call (as a
//! crash reporter set up late would): bridge's calls from a `LocalSet`,
//! where it asks tokio by trying whether `block_in_place` is allowed, must
//! not report a panic to that hook with every call. The first such call
//! after the program's hook replaced bridge's may; then bridge's hook,
//! which keeps those panics quiet, goes in front of the program's again.
//! (A hook that calls the one it found is called before bridge's, with
//! every probe: the rustdoc of `block_on` says to install such a hook
//! before bridge's first call.) Its own process, since it sets the
//! process's panic hook.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bridge_runtime::blocking;

#[blocking]
async fn tick(n: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(1)).await;
    n + 1
}

static REPORTED: AtomicUsize = AtomicUsize::new(0);

#[test]
fn a_hook_installed_after_the_first_call_hears_of_one_probe_at_most() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let local = tokio::task::LocalSet::new();
    // bridge's first call, before the program's hook.
    assert_eq!(local.block_on(&runtime, async { tick(0) }), 1);
    // The program's hook replaces bridge's (it does not call it).
    std::panic::set_hook(Box::new(move |info| {
        REPORTED.fetch_add(1, Ordering::SeqCst);
        eprintln!("the program's hook: {info}");
    }));
    let sum = local.block_on(&runtime, async {
        tokio::task::spawn_local(async { (0..20).map(tick).sum::<u32>() })
            .await
            .expect("the task")
    });
    assert_eq!(sum, 210);
    let reported = REPORTED.load(Ordering::SeqCst);
    assert!(
        reported <= 1,
        "the program's hook heard of {reported} panics in 20 calls"
    );
}
