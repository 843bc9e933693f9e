//! Heap allocations per call, bridge beside the hand-written equivalent,
//! counted by dhat's allocator over every thread of the process (the pool
//! threads included), after a warm-up.
//!
//! ```text
//! cargo bench -p bridge-runtime --bench allocations
//! ```

#![allow(clippy::unwrap_used)] // a benchmark fails loudly, and that is right

use std::hint::black_box;
use std::sync::Arc;

use bridge_runtime::{IoPool, blocking};
use tokio::runtime::Runtime;
use tokio::sync::Semaphore;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

static FOUR: IoPool = IoPool::new("four", 4);

const CALLS: u64 = 10_000;

#[blocking]
async fn blocking_trivial(x: u64) -> u64 {
    black_box(x) + 1
}

/// Allocations per call of `CALLS` runs of `call`, after as many to warm up.
fn per_call(mut call: impl FnMut(u64)) -> f64 {
    for i in 0..CALLS {
        call(i);
    }
    let before = dhat::HeapStats::get().total_blocks;
    for i in 0..CALLS {
        call(i);
    }
    let after = dhat::HeapStats::get().total_blocks;
    (after - before) as f64 / CALLS as f64
}

fn row(name: &str, bridge: f64, hand: f64) {
    println!(
        "{name:<58} {bridge:>7.2} {hand:>7.2} {:>+7.2}",
        bridge - hand
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let _profiler = dhat::Profiler::builder().testing().build();
    let rt: Runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let shared = rt.handle().clone();
    let _ = bridge_runtime::set_runtime(shared.clone());
    let limit = Arc::new(Semaphore::new(4));

    println!(
        "{:<58} {:>7} {:>7} {:>7}",
        "allocations per call", "bridge", "hand", "more"
    );
    row(
        "io vs spawn_blocking",
        per_call(|i| {
            rt.block_on(bridge_runtime::io(move || black_box(i) + 1));
        }),
        per_call(|i| {
            rt.block_on(async {
                tokio::task::spawn_blocking(move || black_box(i) + 1)
                    .await
                    .unwrap()
            });
        }),
    );
    row(
        "cpu vs rayon::spawn + oneshot",
        per_call(|i| {
            rt.block_on(bridge_runtime::cpu(move || black_box(i) + 1));
        }),
        per_call(|i| {
            rt.block_on(async {
                let (tx, rx) = tokio::sync::oneshot::channel();
                rayon::spawn(move || {
                    let _ = tx.send(black_box(i) + 1);
                });
                rx.await.unwrap()
            });
        }),
    );
    row(
        "IoPool of 4 vs semaphore + spawn_blocking",
        per_call(|i| {
            rt.block_on(FOUR.run(move || black_box(i) + 1));
        }),
        per_call(|i| {
            let limit = limit.clone();
            rt.block_on(async move {
                let permit = limit.acquire_owned().await.unwrap();
                tokio::task::spawn_blocking(move || {
                    let _permit = permit;
                    black_box(i) + 1
                })
                .await
                .unwrap()
            });
        }),
    );
    row(
        "#[blocking] from plain code vs Handle::block_on",
        per_call(|i| {
            black_box(blocking_trivial(i));
        }),
        per_call(|i| {
            black_box(shared.block_on(async move { black_box(i) + 1 }));
        }),
    );
    row(
        "#[blocking] in a current-thread runtime vs spawn_blocking",
        per_call(|i| {
            current.block_on(async move { black_box(blocking_trivial(i)) });
        }),
        per_call(|i| {
            current.block_on(async move {
                tokio::task::spawn_blocking(move || black_box(i) + 1)
                    .await
                    .unwrap()
            });
        }),
    );
}
