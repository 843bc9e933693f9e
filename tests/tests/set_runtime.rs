//! A program installs its own runtime before bridge starts one. This file
//! is its own process, so nothing has used the shared runtime yet.

use std::thread;

use bridge_runtime::{SetRuntimeError, blocking, offload};

#[blocking]
async fn worker_name() -> String {
    tokio::spawn(async { thread::current().name().unwrap_or_default().to_owned() })
        .await
        .unwrap_or_default()
}

#[offload(io)]
fn blocking_thread_name() -> String {
    thread::current().name().unwrap_or_default().to_owned()
}

#[test]
fn the_installed_runtime_is_the_one_used() {
    let current_thread = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    assert_eq!(
        bridge_runtime::set_runtime(current_thread.handle().clone()),
        Err(SetRuntimeError::CurrentThread)
    );

    let mine = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("installed")
        .enable_all()
        .build()
        .expect("runtime");
    assert_eq!(bridge_runtime::set_runtime(mine.handle().clone()), Ok(()));

    // Tasks spawned by a blocking call from plain code land on it...
    assert_eq!(worker_name(), "installed");
    // ... and so do offloaded bodies awaited with no tokio runtime around.
    assert_eq!(
        futures::executor::block_on(blocking_thread_name()),
        "installed"
    );
    // From a current-thread runtime, the helper thread is driven by it too.
    assert_eq!(
        current_thread.block_on(async { worker_name() }),
        "installed"
    );

    let error = bridge_runtime::set_runtime(mine.handle().clone()).expect_err("already set");
    assert_eq!(error, SetRuntimeError::AlreadyStarted);
    assert!(error.to_string().contains("before the first"), "{error}");
}
