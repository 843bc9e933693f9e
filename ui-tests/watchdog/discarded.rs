// A watchdog whose guard is dropped at once watches nothing: the guard is
// `#[must_use]`, and its message says how to keep it.
#![deny(unused_must_use)]

#[tokio::main(flavor = "current_thread")]
async fn main() {
    bridge_runtime::Watchdog::start(bridge_runtime::Watchdog::DEFAULT_THRESHOLD);
    bridge_runtime::Watchdog::start(bridge_runtime::Watchdog::DEFAULT_THRESHOLD)
        .on_stall(|stall| eprintln!("{stall}"));
}
