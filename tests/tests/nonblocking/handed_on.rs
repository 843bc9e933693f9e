//! Sync closures given to a helper that returns a future, whose future is
//! handed on (to `join!`, `timeout`, `spawn`, a variable awaited later)
//! rather than awaited on the spot: the helper runs them off the executor,
//! and the check cannot tell otherwise, so it stays silent.

use std::time::Duration;

use bridge_runtime::nonblocking;
use tokio::task::spawn_blocking as on_the_blocking_pool;

/// Runs `f` on tokio's blocking pool.
pub async fn asyncify<F, T>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f).await.expect("not cancelled")
}

#[nonblocking]
pub async fn joined(path: &'static str) -> usize {
    let (a, b) = tokio::join!(
        asyncify(move || std::fs::read(path).map_or(0, |b| b.len())),
        asyncify(move || std::fs::read(path).map_or(0, |b| b.len())),
    );
    a + b
}

#[nonblocking]
pub async fn under_a_timeout(path: &'static str) -> usize {
    let read = asyncify(move || std::fs::read(path).map_or(0, |b| b.len()));
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .unwrap_or(0)
}

#[nonblocking]
pub async fn awaited_later(path: &'static str) -> usize {
    let read = asyncify(move || std::fs::read(path).map_or(0, |b| b.len()));
    read.await
}

#[nonblocking]
pub async fn through_a_renamed_spawn_blocking(path: &'static str) -> usize {
    let read = on_the_blocking_pool(move || std::fs::read(path).map_or(0, |b| b.len()));
    read.await.unwrap_or(0)
}
