//! How the cost per call grows with the work: bursts of 1 to 100,000
//! trivial calls in flight at once, for `io`, `cpu` and an `IoPool` of 4,
//! each beside its hand-written equivalent, plus the floor of a thread
//! hand-off (a park/unpark ping-pong between two threads), all in the same
//! run. Variants are interleaved round by round and the median per call is
//! printed, with the ratio bridge / hand-written.
//!
//! ```text
//! cargo bench -p bridge-runtime --bench scaling
//! ```

#![allow(clippy::unwrap_used)] // a benchmark fails loudly, and that is right

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bridge_runtime::IoPool;
use common::{hand_cpu, hand_io, runtime};
use tokio::runtime::Runtime;
use tokio::sync::Semaphore;

static FOUR: IoPool = IoPool::new("four", 4);

/// `burst` calls in flight at once; the time per call.
fn burst<F, Fut>(rt: &Runtime, burst: usize, call: F) -> Duration
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = u64> + Send + 'static,
{
    rt.block_on(async {
        let start = Instant::now();
        if burst == 1 {
            black_box(call(1).await);
        } else {
            let calls = (0..burst as u64).map(&call);
            black_box(futures::future::join_all(calls).await);
        }
        start.elapsed() / u32::try_from(burst).unwrap()
    })
}

/// A limit of 4 by hand: a semaphore, then `spawn_blocking`.
async fn hand_four(limit: Arc<Semaphore>, x: u64) -> u64 {
    let permit = limit.acquire_owned().await.unwrap();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        black_box(x) + 1
    })
    .await
    .unwrap()
}

/// One park/unpark round trip between two threads, the least a call on
/// another thread can cost.
fn ping_pong(rounds: u32) -> Duration {
    let ping = Arc::new(AtomicBool::new(false));
    let pong = Arc::new(AtomicBool::new(false));
    let main = std::thread::current();
    let (ping2, pong2) = (ping.clone(), pong.clone());
    let other = std::thread::spawn(move || {
        for _ in 0..rounds {
            while !ping2.swap(false, Ordering::AcqRel) {
                std::thread::park();
            }
            pong2.store(true, Ordering::Release);
            main.unpark();
        }
    });
    let start = Instant::now();
    for _ in 0..rounds {
        ping.store(true, Ordering::Release);
        other.thread().unpark();
        while !pong.swap(false, Ordering::AcqRel) {
            std::thread::park();
        }
    }
    let elapsed = start.elapsed();
    other.join().unwrap();
    elapsed / rounds
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench --no-run` / test listing: nothing to list
    }
    let rt = runtime();
    let limit = Arc::new(Semaphore::new(4));
    // Warm-up: threads started, rayon's pool built.
    for _ in 0..3 {
        burst(&rt, 1_000, |x| bridge_runtime::io(move || x + 1));
        burst(&rt, 1_000, |x| bridge_runtime::cpu(move || x + 1));
    }
    println!(
        "{:>7} | {:>9} {:>9} {:>6} | {:>9} {:>9} {:>6} | {:>9} {:>9} {:>6} | {:>9}",
        "burst", "io", "hand", "ratio", "cpu", "hand", "ratio", "four", "hand", "ratio", "floor"
    );
    for size in [1usize, 10, 100, 1_000, 10_000, 100_000] {
        let rounds = match size {
            1 | 10 => 201,
            100 => 101,
            1_000 => 31,
            10_000 => 11,
            _ => 5,
        };
        let mut t: [Vec<Duration>; 7] = Default::default();
        for round in 0..rounds {
            let mut variants: [&mut dyn FnMut() -> Duration; 7] = [
                &mut || burst(&rt, size, |x| bridge_runtime::io(move || black_box(x) + 1)),
                &mut || burst(&rt, size, hand_io),
                &mut || burst(&rt, size, |x| bridge_runtime::cpu(move || black_box(x) + 1)),
                &mut || burst(&rt, size, hand_cpu),
                &mut || burst(&rt, size, |x| FOUR.run(move || black_box(x) + 1)),
                &mut || {
                    let limit = limit.clone();
                    burst(&rt, size, move |x| hand_four(limit.clone(), x))
                },
                &mut || {
                    // Measured once the pools' threads went back to sleep,
                    // so that the two threads have the machine to themselves.
                    std::thread::sleep(Duration::from_millis(20));
                    ping_pong(200)
                },
            ];
            // Alternate the order, so drift hits every variant alike.
            if round % 2 == 0 {
                for (i, v) in variants.iter_mut().enumerate() {
                    t[i].push(v());
                }
            } else {
                for (i, v) in variants.iter_mut().enumerate().rev() {
                    t[i].push(v());
                }
            }
        }
        let m: Vec<Duration> = t.into_iter().map(median).collect();
        let r = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
        println!(
            "{size:>7} | {:>9.2?} {:>9.2?} {:>6.3} | {:>9.2?} {:>9.2?} {:>6.3} | {:>9.2?} {:>9.2?} {:>6.3} | {:>9.2?}",
            m[0],
            m[1],
            r(m[0], m[1]),
            m[2],
            m[3],
            r(m[2], m[3]),
            m[4],
            m[5],
            r(m[4], m[5]),
            m[6]
        );
    }
}
