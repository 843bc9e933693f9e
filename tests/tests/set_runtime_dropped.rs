//! A program installs its own runtime, then drops it: bridge keeps
//! working on a runtime of its own. Its own process, so that nothing used
//! the shared runtime before.

mod deadline;

use std::time::Duration;

use bridge_runtime::{SetRuntimeError, blocking, offload};

#[blocking]
async fn timed(x: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(1)).await;
    x + 1
}

#[offload(io)]
fn on_io(x: u32) -> u32 {
    x * 2
}

#[test]
fn calls_keep_working_after_the_installed_runtime_is_dropped() {
    let installed = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("installed")
        .enable_all()
        .build()
        .expect("runtime");
    bridge_runtime::set_runtime(installed.handle().clone()).expect("first");
    let io_thread = deadline::deadline("before the drop", || {
        futures::executor::block_on(bridge_runtime::io(|| {
            std::thread::current().name().map(str::to_owned)
        }))
    });
    assert_eq!(io_thread.as_deref(), Some("installed"));
    assert_eq!(timed(1), 2);

    drop(installed);

    let (blocking, io, io_thread) = deadline::deadline("after the drop", || {
        let io = futures::executor::block_on(on_io(21));
        let io_thread = futures::executor::block_on(bridge_runtime::io(|| {
            std::thread::current().name().map(str::to_owned)
        }));
        (timed(2), io, io_thread)
    });
    assert_eq!((blocking, io), (3, 42));
    assert_ne!(io_thread.as_deref(), Some("installed"));

    // The choice was made once: installing again is still refused.
    let another = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("runtime");
    assert_eq!(
        bridge_runtime::set_runtime(another.handle().clone()),
        Err(SetRuntimeError::AlreadyStarted)
    );
}
