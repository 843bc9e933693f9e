//! Stress: many offloads from many tasks over `io`, `cpu` and a limited
//! pool, with random panics and random cancellations (before the body
//! started and while it runs). Checks every result and payload, the pool's
//! limit, the stats equation once quiet, the thread count (every thread
//! accounted for) and resident memory across rounds, and prints its figures.
//!
//! ```sh
//! cargo run --release -p bridge-runtime --example stress           # 10 rounds
//! cargo run --release -p bridge-runtime --example stress -- --quick # 3 rounds, what CI runs
//! ```

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bridge_runtime::{CpuPool, IoPool, PoolStats};
use futures::FutureExt;

const TASKS: u64 = 1_000;
const CALLS_PER_TASK: u64 = 34;
const LIMIT: usize = 4;
const WORKERS: usize = 2;
const BLOCKING: usize = 32;

static LIMITED: IoPool = IoPool::new("limited", LIMIT);
static RUNNING: AtomicUsize = AtomicUsize::new(0);
static MOST: AtomicUsize = AtomicUsize::new(0);

/// A small deterministic generator: each task its own sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[derive(Debug, PartialEq)]
struct Payload(u64);

/// The body: counts itself on the limited pool, sleeps a little when asked,
/// panics when asked.
fn body(value: u64, limited: bool, sleep: bool, panics: bool) -> u64 {
    if limited {
        let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
        MOST.fetch_max(now, Ordering::SeqCst);
    }
    if sleep {
        std::thread::sleep(Duration::from_micros(500));
    }
    if limited {
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
    if panics {
        std::panic::panic_any(Payload(value));
    }
    value.wrapping_mul(3)
}

#[derive(Default, Debug)]
struct Tally {
    ok: u64,
    panicked: u64,
    dropped_unpolled: u64,
    dropped_queued: u64,
    timed_out: u64,
}

async fn one_task(seed: u64) -> Tally {
    let mut rng = Rng(seed | 1);
    let mut tally = Tally::default();
    for i in 0..CALLS_PER_TASK {
        let value = seed * 1_000 + i;
        let roll = rng.next() % 100;
        let panics = roll < 5;
        let sleep = (5..15).contains(&roll);
        let pool = rng.next() % 3;
        let call = match pool {
            0 => bridge_runtime::io(move || body(value, false, sleep, panics)).boxed(),
            1 => bridge_runtime::cpu(move || body(value, false, sleep, panics)).boxed(),
            _ => LIMITED
                .run(move || body(value, true, sleep, panics))
                .boxed(),
        };
        match rng.next() % 100 {
            // Dropped before it was ever polled: nothing was submitted.
            0..3 => {
                drop(call);
                tally.dropped_unpolled += 1;
            }
            // Polled once (submitted, maybe queued or running), then dropped.
            3..6 => {
                let mut call = AssertUnwindSafe(call).catch_unwind();
                match futures::poll!(&mut call) {
                    std::task::Poll::Ready(outcome) => check(outcome, value, panics, &mut tally),
                    std::task::Poll::Pending => tally.dropped_queued += 1,
                }
            }
            // Under a timeout that may fire while the body runs.
            6..10 => {
                match tokio::time::timeout(
                    Duration::from_micros(200),
                    AssertUnwindSafe(call).catch_unwind(),
                )
                .await
                {
                    Err(_) => tally.timed_out += 1,
                    Ok(outcome) => check(outcome, value, panics, &mut tally),
                }
            }
            _ => {
                let outcome = AssertUnwindSafe(call).catch_unwind().await;
                check(outcome, value, panics, &mut tally);
            }
        }
    }
    tally
}

fn check(outcome: std::thread::Result<u64>, value: u64, panics: bool, tally: &mut Tally) {
    match outcome {
        Ok(got) => {
            assert!(!panics, "call {value} should have panicked");
            assert_eq!(got, value.wrapping_mul(3), "call {value}");
            tally.ok += 1;
        }
        Err(payload) => {
            assert!(panics, "call {value} panicked unexpectedly");
            assert_eq!(payload.downcast_ref::<Payload>(), Some(&Payload(value)));
            tally.panicked += 1;
        }
    }
}

/// A line of `/proc/self/status`, as a number (Linux only; 0 elsewhere).
fn status(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with(field))
                .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn quiet(stats: &PoolStats) -> bool {
    stats.running == 0 && stats.queued == 0
}

fn wait_until_quiet() {
    let start = Instant::now();
    while ![
        IoPool::global().stats(),
        CpuPool::global().stats(),
        LIMITED.stats(),
    ]
    .iter()
    .all(quiet)
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "pools never went quiet"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn assert_adds_up(name: &str, stats: &PoolStats) {
    assert_eq!(
        stats.submitted,
        stats.completed + stats.panicked + stats.cancelled + stats.running + stats.queued,
        "{name}: {stats:?}"
    );
}

fn main() {
    // The bodies' panics are the point here: keep their messages off the
    // terminal, and report every other one.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<Payload>().is_none() {
            report(info);
        }
    }));
    let rounds = if std::env::args().any(|a| a == "--quick") {
        3
    } else {
        10
    };
    // The blocking pool grows with demand (up to tokio's 512 by default),
    // and how far a round's bursts push it is the machine's timing, not
    // bridge's. Capping it makes the thread count a number this program
    // can state: a thread leaked per call (or per panic, or per
    // cancellation) shows as a count above it.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .max_blocking_threads(BLOCKING)
        .enable_all()
        .build()
        .expect("runtime");
    let mut first = None;
    let mut total = Tally::default();
    let started = Instant::now();
    for round in 0..rounds {
        let round_start = Instant::now();
        let tallies = runtime.block_on(async {
            let tasks: Vec<_> = (0..TASKS)
                .map(|t| tokio::spawn(one_task(round * TASKS + t + 1)))
                .collect();
            let mut tallies = Vec::new();
            for task in tasks {
                tallies.push(task.await.expect("a task panicked outside its calls"));
            }
            tallies
        });
        for t in tallies {
            total.ok += t.ok;
            total.panicked += t.panicked;
            total.dropped_unpolled += t.dropped_unpolled;
            total.dropped_queued += t.dropped_queued;
            total.timed_out += t.timed_out;
        }
        wait_until_quiet();
        for (name, stats) in [
            ("io", IoPool::global().stats()),
            ("cpu", CpuPool::global().stats()),
            ("limited", LIMITED.stats()),
        ] {
            assert_adds_up(name, &stats);
        }
        let (threads, rss_kib) = (status("Threads:"), status("VmRSS:"));
        println!(
            "round {round}: {} calls in {:?}, {threads} threads, {} MiB resident",
            TASKS * CALLS_PER_TASK,
            round_start.elapsed(),
            rss_kib / 1024
        );
        // Every thread is accounted for: main, the runtime's workers and its
        // capped blocking pool, rayon's global pool. A few spare for the
        // runtime's own helpers; a leak grows past them within a round.
        let ceiling = 1 + WORKERS + BLOCKING + rayon::current_num_threads() + 4;
        assert!(
            threads <= ceiling as u64,
            "{threads} threads, more than the {ceiling} this program can start"
        );
        // Round 0 warms the allocator up; later rounds must not grow.
        match first {
            None => first = Some(rss_kib),
            Some(rss0) => assert!(
                rss_kib <= rss0 + rss0 / 4 + 8 * 1024,
                "resident memory grew: {rss0} KiB -> {rss_kib} KiB"
            ),
        }
    }
    let most = MOST.load(Ordering::SeqCst);
    assert!(
        most <= LIMIT,
        "{most} bodies ran at once on a pool of {LIMIT}"
    );
    let limited = LIMITED.stats();
    println!(
        "{} calls over {rounds} rounds in {:?}: {} returned, {} panicked (payloads checked), \
         {} dropped unpolled, {} dropped after one poll, {} timed out; \
         limited pool: at most {most} of {LIMIT} at once, {} cancelled, {} abandoned",
        rounds * TASKS * CALLS_PER_TASK,
        started.elapsed(),
        total.ok,
        total.panicked,
        total.dropped_unpolled,
        total.dropped_queued,
        total.timed_out,
        limited.cancelled,
        limited.abandoned,
    );
    println!("io  {:?}", IoPool::global().stats());
    println!("cpu {:?}", CpuPool::global().stats());
    println!("lim {limited:?}");
}
