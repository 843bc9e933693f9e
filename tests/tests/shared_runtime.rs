//! Without `set_runtime`, bridge starts its own small runtime on first use;
//! installing one afterwards is an error value. Its own process, so this is
//! the first use.

use bridge_runtime::{SetRuntimeError, blocking};

#[blocking]
async fn spawned_thread_name() -> String {
    tokio::spawn(async { std::thread::current().name().unwrap_or_default().to_owned() })
        .await
        .unwrap_or_default()
}

#[test]
fn the_shared_runtime_starts_on_first_use_and_cannot_be_replaced_after() {
    let name = spawned_thread_name();
    assert!(name.starts_with("bridge-shared-"), "{name}");

    let late = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("runtime");
    assert_eq!(
        bridge_runtime::set_runtime(late.handle().clone()),
        Err(SetRuntimeError::AlreadyStarted)
    );
    // Still the shared runtime.
    assert!(spawned_thread_name().starts_with("bridge-shared-"));
}
