//! Loops over what is not a `std::sync::mpsc::Receiver` waiting for
//! messages: a `Vec`, std's `try_iter` (which does not wait), a receiver
//! handed to a blocking thread, and tokio's channel received with
//! `.recv().await`. None of them is reported (a `for` over a std receiver
//! is: `ui-tests/nonblocking/mpsc_for_loop.rs`).

use bridge_runtime::nonblocking;

#[nonblocking]
pub async fn summed(values: Vec<u32>) -> u32 {
    let mut total = 0;
    for v in values {
        total += v;
    }
    let (tx, rx) = std::sync::mpsc::channel::<u32>();
    tx.send(5).ok();
    tx.send(6).ok();
    for n in rx.try_iter() {
        total += n;
    }
    tx.send(7).ok();
    drop(tx);
    let drained = tokio::task::spawn_blocking(move || {
        let mut sum = 0;
        for n in &rx {
            sum += n;
        }
        sum
    })
    .await
    .unwrap_or(0);
    total + drained
}

#[nonblocking]
pub async fn through_tokio() -> u32 {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(4);
    tokio::spawn(async move {
        for n in [1, 2, 3] {
            if tx.send(n).await.is_err() {
                break;
            }
        }
    });
    let mut total = 0;
    while let Some(n) = rx.recv().await {
        total += n;
    }
    total
}

/// tokio's handles in a `Vec`, awaited; std's handed to a blocking thread
/// that joins them; and a `Vec` of values whose `join` is not a thread's.
#[nonblocking]
pub async fn handles(
    tasks: Vec<tokio::task::JoinHandle<u32>>,
    threads: Vec<std::thread::JoinHandle<u32>>,
    words: Vec<Vec<&'static str>>,
) -> (u32, u32, String) {
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap_or(0);
    }
    let joined = tokio::task::spawn_blocking(move || {
        let mut sum = 0;
        for thread in threads {
            sum += thread.join().unwrap_or(0);
        }
        sum
    })
    .await
    .unwrap_or(0);
    let mut text = String::new();
    for line in words {
        text.push_str(&line.join(" "));
    }
    (total, joined, text)
}
