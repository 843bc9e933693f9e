//! What the benches share: the runtime they run on, and the hand-written
//! references bridge is measured against.

#![allow(dead_code)] // each bench uses part of it

use std::hint::black_box;

use tokio::runtime::Runtime;

/// A multi-thread runtime of 2 workers, like the machine's 2 vCPUs.
pub(crate) fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// `io` by hand: `spawn_blocking`, awaited.
pub(crate) async fn hand_io(x: u64) -> u64 {
    tokio::task::spawn_blocking(move || black_box(x) + 1)
        .await
        .unwrap()
}

/// `cpu` by hand: `rayon::spawn` and a oneshot back.
pub(crate) async fn hand_cpu(x: u64) -> u64 {
    let (tx, rx) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        let _ = tx.send(black_box(x) + 1);
    });
    rx.await.unwrap()
}
