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

/// The clone-then-move idiom: the closure handed over is the tail of a
/// block that clones what it takes.
#[nonblocking]
pub async fn block_wrapped(path: String) -> usize {
    let read = tokio::task::spawn_blocking({
        let path = path.clone();
        move || std::fs::read(path).map_or(0, |b| b.len())
    })
    .await
    .unwrap_or(0);
    let work = {
        let path = path.clone();
        move || std::fs::read(path).map_or(0, |b| b.len())
    };
    let again = tokio::task::spawn_blocking(work).await.unwrap_or(0);
    let (tx, rx) = std::sync::mpsc::channel();
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    let drained = std::thread::spawn({
        let rx = std::sync::Arc::clone(&rx);
        move || rx.lock().map(|rx| rx.recv().unwrap_or(0)).unwrap_or(0)
    });
    tx.send(read + again).ok();
    tokio::task::spawn_blocking(move || drained.join().unwrap_or(0))
        .await
        .unwrap_or(0)
}

/// Runs closures on tokio's blocking pool.
pub struct Pool;

impl Pool {
    /// Runs `f` on tokio's blocking pool.
    pub async fn submit<F, T>(&self, f: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        asyncify(f).await
    }
}

/// A closure bound by `let`, then given to a fn (as a closure given
/// directly is), or to a method that is `.await`ed on the spot.
#[nonblocking]
pub async fn bound_then_given(path: &'static str) -> usize {
    let work = move || std::fs::read(path).map_or(0, |b| b.len());
    let first = asyncify(work).await;
    let work = move || std::fs::read(path).map_or(0, |b| b.len());
    let read = asyncify(work);
    let second = tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .unwrap_or(0);
    let work = move || std::fs::read(path).map_or(0, |b| b.len());
    let third = Pool.submit(work).await;
    first + second + third
}

/// Closures made by a closure (`.map(|p| move || ..)`) are not run where
/// they are made: here they are handed to the blocking pool afterwards.
#[nonblocking]
pub async fn closures_made_by_a_closure(paths: Vec<&'static str>) -> usize {
    let jobs: Vec<_> = paths
        .into_iter()
        .map(|path| move || std::fs::read(path).map_or(0, |b| b.len()))
        .collect();
    let mut total = 0;
    for read in jobs.into_iter().map(tokio::task::spawn_blocking) {
        total += read.await.unwrap_or(0);
    }
    total
}
