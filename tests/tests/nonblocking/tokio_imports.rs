//! tokio's `fs` and `mpsc`, imported at the top of the file, and their
//! futures handed on instead of `.await`ed on the spot: none of it blocks,
//! and none of it is reported.

use std::time::Duration;

use bridge_runtime::nonblocking;
use futures::future::join_all;
use tokio::fs;
use tokio::sync::mpsc;
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(5);

#[nonblocking]
pub async fn read_with_timeout(path: &str) -> std::io::Result<String> {
    timeout(LIMIT, fs::read_to_string(path))
        .await
        .unwrap_or_else(|_| Ok(String::new()))
}

#[nonblocking]
pub async fn receive_with_timeout() -> Option<u32> {
    let (tx, mut rx) = mpsc::channel(1);
    tx.send(7).await.ok()?;
    timeout(LIMIT, rx.recv()).await.ok().flatten()
}

#[nonblocking]
pub async fn spawned_read(path: String) -> usize {
    let task = tokio::spawn(fs::read(path));
    task.await.ok().and_then(Result::ok).map_or(0, |b| b.len())
}

#[nonblocking]
pub async fn joined_reads(paths: Vec<String>) -> usize {
    let reads: Vec<_> = paths.iter().map(fs::read).collect();
    join_all(reads)
        .await
        .into_iter()
        .filter_map(Result::ok)
        .map(|b| b.len())
        .sum()
}

#[nonblocking]
pub async fn metadata_future(path: &str) -> bool {
    let pending = fs::metadata(path);
    pending.await.is_ok()
}

/// A `#[blocking]` body is async code, read with the same imports.
#[bridge_runtime::blocking]
pub async fn read_len_blocking(path: String) -> usize {
    let read = fs::read(path);
    timeout(LIMIT, read)
        .await
        .ok()
        .and_then(Result::ok)
        .map_or(0, |b| b.len())
}

/// std's `read` imported for the module's sync code, tokio's brought in by a
/// glob inside the async fn, which hides the module's: the `read` called
/// there is tokio's.
pub mod glob_in_the_body {
    use std::fs::read;

    use bridge_runtime::nonblocking;

    pub fn len_now(path: &str) -> usize {
        read(path).map_or(0, |b| b.len())
    }

    #[nonblocking]
    pub async fn len(path: &str) -> usize {
        use tokio::fs::*;
        let pending = read(path);
        pending.await.map_or(0, |b| b.len())
    }
}
