//! `#[blocking]` on rayon workers, and `cpu()` from inside other pools.
//!
//! A deadlock here would poison rayon's global pool for every other test,
//! so these cases have a test binary of their own, and each runs under a
//! deadline.

mod deadline;

use std::sync::OnceLock;

use bridge_runtime::{CpuPool, blocking};
use deadline::deadline;
use rayon::prelude::*;

/// rayon's global pool, kept small so that every worker can be blocked.
fn global_pool_of_two() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        // Another test of this binary may have used the pool already; the
        // cases hold for any size, two only makes them harder.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build_global();
    });
}

#[blocking]
async fn via_cpu(x: u64) -> u64 {
    bridge_runtime::cpu(move || x * 2).await
}

#[test]
fn a_parallel_iterator_whose_items_wait_for_cpu_work_finishes() {
    global_pool_of_two();
    let sum = deadline("par_iter -> #[blocking] -> cpu", || {
        (0..64u64).into_par_iter().map(via_cpu).sum::<u64>()
    });
    assert_eq!(sum, (0..64u64).map(|x| x * 2).sum());
}

#[blocking]
async fn nested(depth: u32) -> u32 {
    if depth == 0 {
        return 0;
    }
    bridge_runtime::cpu(move || nested(depth - 1) + 1).await
}

#[test]
fn blocking_cpu_blocking_nests_deeper_than_the_pool_has_threads() {
    global_pool_of_two();
    let depth = deadline("nesting 8 deep on 2 threads", || {
        rayon::spawn(|| {});
        (0..4u32)
            .into_par_iter()
            .map(|_| nested(8))
            .collect::<Vec<_>>()
    });
    assert_eq!(depth, [8, 8, 8, 8]);
}

static ONE: CpuPool = CpuPool::new("one", 1);

#[blocking]
async fn on_one(x: u32) -> u32 {
    ONE.run(move || x + 1).await
}

#[test]
fn a_body_on_a_pool_of_one_can_wait_for_that_same_pool() {
    let got = deadline("pool of 1 waits for itself", || {
        futures::executor::block_on(ONE.run(|| on_one(1) + on_one(2)))
    });
    assert_eq!(got, 5);
    let stats = ONE.stats();
    assert_eq!(stats.completed, 3, "{stats:?}");
    assert_eq!((stats.running, stats.queued), (0, 0), "{stats:?}");
}

static HEAVY: CpuPool = CpuPool::new("heavy", 1);

#[test]
fn cpu_called_inside_a_named_pool_runs_on_the_global_pool() {
    global_pool_of_two();
    let before = CpuPool::global().stats().completed;
    let (outer, inner) = deadline("cpu() inside a CpuPool of 1", || {
        futures::executor::block_on(HEAVY.run(|| {
            let outer = std::thread::current().name().map(str::to_owned);
            let inner = bridge_runtime::block_on(bridge_runtime::cpu(|| {
                std::thread::current().name().map(str::to_owned)
            }));
            (outer, inner)
        }))
    });
    assert_eq!(outer.as_deref(), Some("heavy-0"));
    assert_ne!(inner.as_deref(), Some("heavy-0"), "ran on the named pool");
    assert!(CpuPool::global().stats().completed > before);
    assert_eq!(HEAVY.stats().completed, 1);
}

#[test]
fn cpu_called_on_a_worker_of_a_pool_the_program_built_runs_on_the_global_pool() {
    global_pool_of_two();
    let own = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .thread_name(|i| format!("own-{i}"))
        .build()
        .expect("pool");
    let inner = deadline("cpu() on a program's rayon pool", move || {
        own.install(|| {
            bridge_runtime::block_on(bridge_runtime::cpu(|| {
                std::thread::current().name().map(str::to_owned)
            }))
        })
    });
    assert_ne!(inner.as_deref(), Some("own-0"));
}

#[test]
fn a_rayon_worker_runs_the_future_on_its_own_thread() {
    global_pool_of_two();
    let (caller, runner) = deadline("future on the worker", || {
        rayon::join(
            || {
                let caller = std::thread::current().id();
                let runner = bridge_runtime::block_on(async {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    std::thread::current().id()
                });
                (caller, runner)
            },
            || (),
        )
        .0
    });
    assert_eq!(caller, runner);
}

/// The names of this process's threads (Linux; empty elsewhere).
fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect()
}

#[test]
fn calls_on_rayon_workers_start_no_helper_threads() {
    global_pool_of_two();
    let doubled = deadline("#[blocking] on rayon workers", || {
        rayon::join(|| via_cpu(1), || via_cpu(2))
    });
    assert_eq!(doubled, (2, 4));
    // No test of this binary runs where a helper thread is needed.
    let helpers: Vec<String> = thread_names()
        .into_iter()
        .filter(|name| name.starts_with("bridge-helper"))
        .collect();
    assert!(helpers.is_empty(), "{helpers:?}");
}
