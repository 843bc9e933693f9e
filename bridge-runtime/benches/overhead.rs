//! What bridge costs per call, against the hand-written equivalent in the
//! same run.
//!
//! Criterion measures each variant; then an interleaved A/B run (variants
//! alternated round by round, so machine noise hits both alike) prints the
//! median ratio `bridge / hand-written` for each pair.
//!
//! ```text
//! cargo bench -p bridge-runtime --bench overhead            # criterion, the ratios, the legs
//! cargo bench -p bridge-runtime --bench overhead -- ratio   # the ratios (and the legs)
//! cargo bench -p bridge-runtime --bench overhead -- legs    # where a cpu call's time goes
//! ```

#![allow(clippy::unwrap_used)] // a benchmark fails loudly, and that is right

mod common;

use std::hint::black_box;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bridge_runtime::{blocking, offload};
use common::{hand_cpu, hand_io, runtime};
use criterion::{Criterion, criterion_group};
use tokio::runtime::Runtime;

const BATCH: usize = 10_000;

#[offload(io)]
fn io_trivial(x: u64) -> u64 {
    black_box(x) + 1
}

#[offload(cpu)]
fn cpu_trivial(x: u64) -> u64 {
    black_box(x) + 1
}

#[blocking]
async fn blocking_trivial(x: u64) -> u64 {
    black_box(x) + 1
}

/// The `tokio-rayon` crate, the contract's other reference for `cpu`.
async fn tokio_rayon_cpu(x: u64) -> u64 {
    tokio_rayon::spawn(move || black_box(x) + 1).await
}

/// `iters` calls one after another, awaited in one task.
async fn calls_one_at_a_time<F, Fut>(iters: u64, call: F) -> Duration
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = u64>,
{
    let start = Instant::now();
    for i in 0..iters {
        black_box(call(i).await);
    }
    start.elapsed()
}

/// `BATCH` calls in flight at once, `iters` times.
async fn calls_all_at_once<F, Fut>(iters: u64, call: F) -> Duration
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = u64>,
{
    let start = Instant::now();
    for _ in 0..iters {
        let calls = (0..BATCH as u64).map(&call);
        black_box(futures::future::join_all(calls).await);
    }
    start.elapsed()
}

/// [`calls_one_at_a_time`] in `rt.block_on`.
fn one_at_a_time<F, Fut>(rt: &Runtime, iters: u64, call: F) -> Duration
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = u64>,
{
    rt.block_on(calls_one_at_a_time(iters, call))
}

/// [`calls_all_at_once`] in `rt.block_on`.
fn all_at_once<F, Fut>(rt: &Runtime, iters: u64, call: F) -> Duration
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = u64>,
{
    rt.block_on(calls_all_at_once(iters, call))
}

fn offload_benches(c: &mut Criterion) {
    let rt = runtime();
    // Warm the pools: threads started, rayon's global pool built.
    one_at_a_time(&rt, 1000, io_trivial);
    one_at_a_time(&rt, 1000, cpu_trivial);

    let mut group = c.benchmark_group("io_one_at_a_time");
    group.bench_function("offload_io", |b| {
        b.iter_custom(|n| one_at_a_time(&rt, n, io_trivial))
    });
    group.bench_function("spawn_blocking", |b| {
        b.iter_custom(|n| one_at_a_time(&rt, n, hand_io))
    });
    group.finish();

    let mut group = c.benchmark_group("cpu_one_at_a_time");
    group.bench_function("offload_cpu", |b| {
        b.iter_custom(|n| one_at_a_time(&rt, n, cpu_trivial))
    });
    group.bench_function("rayon_oneshot", |b| {
        b.iter_custom(|n| one_at_a_time(&rt, n, hand_cpu))
    });
    group.bench_function("tokio_rayon", |b| {
        b.iter_custom(|n| one_at_a_time(&rt, n, tokio_rayon_cpu))
    });
    group.finish();

    let mut group = c.benchmark_group("io_10000_at_once");
    group.sample_size(10);
    group.bench_function("offload_io", |b| {
        b.iter_custom(|n| all_at_once(&rt, n, io_trivial))
    });
    group.bench_function("spawn_blocking", |b| {
        b.iter_custom(|n| all_at_once(&rt, n, hand_io))
    });
    group.finish();

    let mut group = c.benchmark_group("cpu_10000_at_once");
    group.sample_size(10);
    group.bench_function("offload_cpu", |b| {
        b.iter_custom(|n| all_at_once(&rt, n, cpu_trivial))
    });
    group.bench_function("rayon_oneshot", |b| {
        b.iter_custom(|n| all_at_once(&rt, n, hand_cpu))
    });
    group.bench_function("tokio_rayon", |b| {
        b.iter_custom(|n| all_at_once(&rt, n, tokio_rayon_cpu))
    });
    group.finish();
}

/// `iters` calls of `#[blocking]` from plain code.
fn blocking_plain(iters: u64) -> Duration {
    let start = Instant::now();
    for i in 0..iters {
        black_box(blocking_trivial(i));
    }
    start.elapsed()
}

/// `iters` calls of `Handle::block_on` on a prebuilt runtime: the floor.
fn handle_block_on(handle: &tokio::runtime::Handle, iters: u64) -> Duration {
    let start = Instant::now();
    for i in 0..iters {
        black_box(handle.block_on(async { black_box(i) + 1 }));
    }
    start.elapsed()
}

/// `iters` calls that each build a current-thread runtime, like
/// `asyncio.run()` per call.
fn runtime_per_call(iters: u64) -> Duration {
    let start = Instant::now();
    for i in 0..iters {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        black_box(rt.block_on(async { black_box(i) + 1 }));
    }
    start.elapsed()
}

/// `iters` calls of `#[blocking]` from a task on a multi-thread worker.
fn blocking_on_worker(rt: &Runtime, iters: u64) -> Duration {
    rt.block_on(async {
        tokio::spawn(async move {
            let start = Instant::now();
            for i in 0..iters {
                black_box(blocking_trivial(i));
            }
            start.elapsed()
        })
        .await
        .unwrap()
    })
}

/// `iters` calls of `#[blocking]` inside a current-thread runtime.
fn blocking_in_current_thread(rt: &Runtime, iters: u64) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        for i in 0..iters {
            black_box(blocking_trivial(i));
        }
        start.elapsed()
    })
}

/// `iters` round trips through `spawn_blocking` on a current-thread
/// runtime: the reference for the current-thread row.
fn spawn_blocking_round_trip(rt: &Runtime, iters: u64) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        for i in 0..iters {
            black_box(
                tokio::task::spawn_blocking(move || black_box(i) + 1)
                    .await
                    .unwrap(),
            );
        }
        start.elapsed()
    })
}

/// `iters` items of a stream read with `block_on_stream` inside a
/// current-thread runtime: each item a helper-thread crossing.
fn block_on_stream_in_current_thread(rt: &Runtime, iters: u64) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        let items = bridge_runtime::block_on_stream(futures::stream::iter(0..iters));
        for item in items {
            black_box(item);
        }
        start.elapsed()
    })
}

fn blocking_benches(c: &mut Criterion) {
    let shared = bridge_shared_handle();
    let multi = runtime();
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let mut group = c.benchmark_group("blocking_from_plain_code");
    group.bench_function("blocking", |b| b.iter_custom(blocking_plain));
    group.bench_function("handle_block_on", |b| {
        b.iter_custom(|n| handle_block_on(&shared, n))
    });
    group.bench_function("runtime_per_call", |b| b.iter_custom(runtime_per_call));
    group.finish();

    let mut group = c.benchmark_group("blocking_other_rows");
    group.bench_function("multi_thread_worker", |b| {
        b.iter_custom(|n| blocking_on_worker(&multi, n))
    });
    group.bench_function("current_thread_runtime", |b| {
        b.iter_custom(|n| blocking_in_current_thread(&current, n))
    });
    group.bench_function("current_thread_spawn_blocking_round_trip", |b| {
        b.iter_custom(|n| spawn_blocking_round_trip(&current, n))
    });
    group.finish();
}

/// The runtime `#[blocking]` uses from plain code in this process: installed
/// here, so the hand-written variant can block on the very same one.
fn bridge_shared_handle() -> tokio::runtime::Handle {
    static SHARED: OnceLock<Runtime> = OnceLock::new();
    let rt = SHARED.get_or_init(runtime);
    // Fails harmlessly if already installed by an earlier call.
    let _ = bridge_runtime::set_runtime(rt.handle().clone());
    rt.handle().clone()
}

/// Runs `bridge` and `hand` alternately for `rounds` rounds of `iters`
/// iterations each (swapping which goes first every round) and prints the
/// median time per iteration of each (A, B), the ratio of the medians, and
/// the median of the rounds' own ratios (A over the B run beside it, so a
/// change of the machine's speed between rounds cancels out).
fn interleaved(
    name: &str,
    rounds: usize,
    iters: u64,
    mut bridge: impl FnMut(u64) -> Duration,
    mut hand: impl FnMut(u64) -> Duration,
) {
    let mut a = Vec::with_capacity(rounds);
    let mut b = Vec::with_capacity(rounds);
    for round in 0..rounds {
        if round % 2 == 0 {
            a.push(bridge(iters));
            b.push(hand(iters));
        } else {
            b.push(hand(iters));
            a.push(bridge(iters));
        }
    }
    let mut paired: Vec<f64> = a
        .iter()
        .zip(&b)
        .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
        .collect();
    paired.sort_by(f64::total_cmp);
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2] / u32::try_from(iters).unwrap()
    };
    let (ma, mb) = (median(&mut a), median(&mut b));
    println!(
        "ratio {name:<45} A {:>10.3?}  B {:>10.3?}  A/B = {:.3}  paired {:.3}",
        ma,
        mb,
        ma.as_secs_f64() / mb.as_secs_f64(),
        paired[paired.len() / 2],
    );
}

/// How a row's calls are made.
#[derive(Clone, Copy)]
enum Calls {
    /// One at a time: 101 rounds of 500 calls.
    OneByOne,
    /// `BATCH` at once: 21 rounds of one batch.
    Batch,
}

/// Where a row's calls are awaited: in `Runtime::block_on` (on the calling
/// thread), or in a task spawned on the runtime (on a worker, as in a
/// server's handlers).
#[derive(Clone, Copy)]
enum Caller {
    BlockOn,
    Task,
}

/// `iters` calls of `call`, made as `calls` says, awaited where `caller`
/// says.
fn measure<F, Fut>(rt: &Runtime, calls: Calls, caller: Caller, iters: u64, call: F) -> Duration
where
    F: Fn(u64) -> Fut + Send + 'static,
    Fut: Future<Output = u64> + Send + 'static,
{
    let calls = async move {
        match calls {
            Calls::OneByOne => calls_one_at_a_time(iters, call).await,
            Calls::Batch => calls_all_at_once(iters, call).await,
        }
    };
    match caller {
        Caller::BlockOn => rt.block_on(calls),
        Caller::Task => rt.block_on(async { tokio::spawn(calls).await.unwrap() }),
    }
}

/// `a` against `b`, interleaved.
fn row<A, FA, B, FB>(rt: &Runtime, name: &str, calls: Calls, caller: Caller, a: A, b: B)
where
    A: Fn(u64) -> FA + Copy + Send + 'static,
    FA: Future<Output = u64> + Send + 'static,
    B: Fn(u64) -> FB + Copy + Send + 'static,
    FB: Future<Output = u64> + Send + 'static,
{
    let (rounds, iters) = match calls {
        Calls::OneByOne => (101, 500),
        Calls::Batch => (21, 1),
    };
    let from = match caller {
        Caller::BlockOn => "block_on",
        Caller::Task => "task",
    };
    interleaved(
        &format!("{from:<8} {name}"),
        rounds,
        iters,
        |n| measure(rt, calls, caller, n, a),
        |n| measure(rt, calls, caller, n, b),
    );
}

fn ratios() {
    let rt = runtime();
    let shared = bridge_shared_handle();
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    interleaved(
        "blocking vs Handle::block_on",
        41,
        20_000,
        blocking_plain,
        |n| handle_block_on(&shared, n),
    );
    interleaved(
        "blocking vs runtime per call",
        21,
        200,
        blocking_plain,
        runtime_per_call,
    );
    interleaved(
        "blocking on worker vs plain",
        21,
        2_000,
        |n| blocking_on_worker(&rt, n),
        blocking_plain,
    );
    interleaved(
        "blocking in current-thread vs plain",
        21,
        200,
        |n| blocking_in_current_thread(&current, n),
        blocking_plain,
    );
    interleaved(
        "blocking in current-thread vs spawn_blocking",
        21,
        1_000,
        |n| blocking_in_current_thread(&current, n),
        |n| spawn_blocking_round_trip(&current, n),
    );
    interleaved(
        "block_on_stream item in current-thread vs spawn_blocking",
        21,
        1_000,
        |n| block_on_stream_in_current_thread(&current, n),
        |n| spawn_blocking_round_trip(&current, n),
    );
    println!("\ninterleaved A/B (A = bridge, B = the reference), median per call over rounds:");
    use {Caller::*, Calls::*};
    println!("(awaited in `Runtime::block_on`, or in a task spawned on the runtime)");
    for caller in [BlockOn, Task] {
        row(
            &rt,
            "io one at a time",
            OneByOne,
            caller,
            io_trivial,
            hand_io,
        );
        row(
            &rt,
            "cpu one at a time",
            OneByOne,
            caller,
            cpu_trivial,
            hand_cpu,
        );
        row(
            &rt,
            "cpu one at a time vs tokio-rayon",
            OneByOne,
            caller,
            cpu_trivial,
            tokio_rayon_cpu,
        );
        row(
            &rt,
            "control: tokio-rayon vs rayon + oneshot",
            OneByOne,
            caller,
            tokio_rayon_cpu,
            hand_cpu,
        );
        row(
            &rt,
            "io 10000 at once (per batch)",
            Batch,
            caller,
            io_trivial,
            hand_io,
        );
        row(
            &rt,
            "cpu 10000 at once (per batch)",
            Batch,
            caller,
            cpu_trivial,
            hand_cpu,
        );
        row(
            &rt,
            "cpu 10000 at once vs tokio-rayon",
            Batch,
            caller,
            cpu_trivial,
            tokio_rayon_cpu,
        );
        // `tokio_rayon::spawn` outside an `async` block starts the body at
        // once (`join_all` builds the batch before polling it): the bodies
        // run while the batch is still being built, and most have finished
        // before anyone waits for them. `#[offload]` makes an `async fn`,
        // which starts nothing until polled; this row is for comparison
        // only.
        row(
            &rt,
            "cpu 10000 at once vs eager tokio-rayon",
            Batch,
            caller,
            cpu_trivial,
            |x| tokio_rayon::spawn(move || black_box(x) + 1),
        );
    }
}

/// When the body of the call being measured started, in ns since `epoch()`.
static BODY_STARTED: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ns() -> u64 {
    u64::try_from(epoch().elapsed().as_nanos()).unwrap()
}

/// A trivial body that notes when it started.
fn stamped(x: u64) -> u64 {
    BODY_STARTED.store(now_ns(), Ordering::SeqCst);
    black_box(x) + 1
}

#[offload(cpu)]
fn cpu_stamped(x: u64) -> u64 {
    stamped(x)
}

/// The two legs of `iters` calls one at a time, median of each: from the
/// call to its body starting on a rayon thread (`there`), and from the body
/// starting to the caller having the result (`back`).
fn legs_of<F, Fut>(rt: &Runtime, caller: Caller, iters: u64, call: F) -> (Duration, Duration)
where
    F: Fn(u64) -> Fut + Send + 'static,
    Fut: Future<Output = u64> + Send + 'static,
{
    let calls = async move {
        let (mut there, mut back) = (Vec::new(), Vec::new());
        for i in 0..iters {
            let called = now_ns();
            black_box(call(i).await);
            let returned = now_ns();
            let started = BODY_STARTED.load(Ordering::SeqCst);
            there.push(started.saturating_sub(called));
            back.push(returned.saturating_sub(started));
        }
        there.sort_unstable();
        back.sort_unstable();
        let median = |v: &[u64]| Duration::from_nanos(v[v.len() / 2]);
        (median(&there), median(&back))
    };
    match caller {
        Caller::BlockOn => rt.block_on(calls),
        Caller::Task => rt.block_on(async { tokio::spawn(calls).await.unwrap() }),
    }
}

/// The oneshot reference, with a body that notes when it started.
async fn oneshot_stamped(x: u64) -> u64 {
    let (tx, rx) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        let _ = tx.send(stamped(x));
    });
    rx.await.unwrap()
}

/// `tokio-rayon`, with a body that notes when it started.
async fn tokio_rayon_stamped(x: u64) -> u64 {
    tokio_rayon::spawn(move || stamped(x)).await
}

/// Where the time of a `cpu` call one at a time goes, for bridge and the two
/// hand-written references, round after round, awaited in `block_on` and in
/// a spawned task: the way there is the crossing's own work (and a rayon
/// thread that is awake); the way back is the wake-up of the caller's
/// thread, which sets how long a call takes, unless the caller finds the
/// result without sleeping.
fn legs() {
    let rt = runtime();
    println!("\nthe legs of a cpu call one at a time (median per round of 500 calls):");
    println!("{:<21} {:>10} {:>10}", "", "there", "back");
    for (caller, from) in [(Caller::BlockOn, "block_on"), (Caller::Task, "task")] {
        for round in 0..5 {
            let rows: [(&str, (Duration, Duration)); 3] = [
                ("bridge", legs_of(&rt, caller, 500, cpu_stamped)),
                ("oneshot", legs_of(&rt, caller, 500, oneshot_stamped)),
                (
                    "tokio-rayon",
                    legs_of(&rt, caller, 500, tokio_rayon_stamped),
                ),
            ];
            for (name, (there, back)) in rows {
                println!("{from:<8} {name:<12} {there:>10.3?} {back:>10.3?}   (round {round})");
            }
        }
    }
}

criterion_group!(benches, offload_benches, blocking_benches);

fn main() {
    bridge_shared_handle();
    // `cargo bench -- <filter>` runs the matching criterion benches only;
    // the interleaved ratios run with no filter or with the filter `ratio`.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if filter.as_deref() == Some("legs") {
        legs();
        return;
    }
    if filter.as_deref() != Some("ratio") {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
    if filter.is_none() || filter.as_deref() == Some("ratio") {
        ratios();
        legs();
    }
}
