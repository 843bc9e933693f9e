//! What offloading buys, in ten seconds.
//!
//! A single-threaded tokio runtime runs a heartbeat that wants to tick every
//! millisecond, while the same workload (read real files, then crunch their
//! bytes) runs three ways: inline in async code, through hand-written
//! `spawn_blocking` and `rayon::spawn` + `oneshot`, and through
//! `#[offload(io)]` / `#[offload(cpu)]`. The table shows how late the
//! heartbeat was: inline work blocks the executor, so every tick waits for
//! it; offloaded work leaves the executor free.
//!
//! ```text
//! cargo run --release -p bridge-runtime --example demo
//! ```

use std::cell::RefCell;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use bridge_runtime::{CpuPool, IoPool, Watchdog, offload};

const FILES: usize = 8;
const FILE_SIZE: usize = 4 << 20;
/// Rounds of hashing per file: tens of milliseconds of CPU each.
const ROUNDS: u32 = 6;

/// The CPU-heavy step: a few rounds of FNV-1a over the bytes.
fn crunch(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for round in 0..ROUNDS {
        for &byte in bytes {
            hash = (hash ^ u64::from(byte) ^ u64::from(round)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[offload(io)]
fn read_file(path: PathBuf) -> std::io::Result<Vec<u8>> {
    std::fs::read(path)
}

/// One hashing thread, so that on a small machine a core stays free for the
/// executor (and the comparison with the hand-written pool is fair).
static HASHER: CpuPool = CpuPool::new("hasher", 1).timed();

#[offload(cpu, pool = HASHER)]
fn crunch_offloaded(bytes: Vec<u8>) -> u64 {
    crunch(&bytes)
}

#[derive(Clone, Copy)]
enum Way {
    Inline,
    HandWritten,
    Offloaded,
}

impl Way {
    fn name(self) -> &'static str {
        match self {
            Way::Inline => "inline in async code",
            Way::HandWritten => "spawn_blocking + rayon by hand",
            Way::Offloaded => "#[offload(io)] + #[offload(cpu)]",
        }
    }
}

/// One file, the given way: read it, then crunch it.
async fn process(
    way: Way,
    path: PathBuf,
    rayon_pool: std::sync::Arc<rayon::ThreadPool>,
) -> Result<u64, Box<dyn Error>> {
    Ok(match way {
        Way::Inline => {
            let bytes = std::fs::read(path)?;
            // Each blocking step runs between two polls, as in real code.
            tokio::task::yield_now().await;
            crunch(&bytes)
        }
        Way::HandWritten => {
            let bytes = tokio::task::spawn_blocking(move || std::fs::read(path)).await??;
            let (tx, rx) = tokio::sync::oneshot::channel();
            rayon_pool.spawn(move || {
                let _ = tx.send(crunch(&bytes));
            });
            rx.await?
        }
        Way::Offloaded => crunch_offloaded(read_file(path).await?).await,
    })
}

struct Report {
    way: Way,
    /// Stalls the watchdog saw, when one was on.
    stalls: Option<u64>,
    lateness: Vec<Duration>,
    wall: Duration,
    checksum: u64,
}

/// Runs the workload one way on a fresh current-thread runtime, with the
/// heartbeat beside it.
fn run_way(
    way: Way,
    files: &[PathBuf],
    rayon_pool: &std::sync::Arc<rayon::ThreadPool>,
    watch: bool,
) -> Result<Report, Box<dyn Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let watchdog = watch.then(|| Watchdog::start(Watchdog::DEFAULT_THRESHOLD));
        let lateness = Rc::new(RefCell::new(Vec::new()));
        let local = tokio::task::LocalSet::new();
        let ticks = lateness.clone();
        let heartbeat = local.spawn_local(async move {
            loop {
                let asked = Instant::now();
                tokio::time::sleep(Duration::from_millis(1)).await;
                let late = asked.elapsed().saturating_sub(Duration::from_millis(1));
                ticks.borrow_mut().push(late);
            }
        });
        let started = Instant::now();
        let checksum = local
            .run_until(async {
                // Give the heartbeat a moment to settle, then start the work.
                tokio::time::sleep(Duration::from_millis(20)).await;
                let jobs: Vec<_> = files
                    .iter()
                    .map(|path| {
                        tokio::task::spawn_local(process(way, path.clone(), rayon_pool.clone()))
                    })
                    .collect();
                let mut checksum = 0u64;
                for job in jobs {
                    checksum ^= job
                        .await
                        .map_err(|e| e.to_string())?
                        .map_err(|e| e.to_string())?;
                }
                Ok::<u64, String>(checksum)
            })
            .await?;
        let wall = started.elapsed();
        // Let the heartbeat record the tick that was waiting for the last step.
        local
            .run_until(tokio::time::sleep(Duration::from_millis(5)))
            .await;
        heartbeat.abort();
        let lateness = lateness.borrow().clone();
        Ok(Report {
            way,
            stalls: watchdog.map(|w| w.stalls()),
            lateness,
            wall,
            checksum,
        })
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn human(d: Duration) -> String {
    if d >= Duration::from_millis(1) {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{} µs", d.as_micros())
    }
}

fn make_files(dir: &Path) -> Result<Vec<PathBuf>, Box<dyn Error>> {
    (0..FILES)
        .map(|i| {
            let path = dir.join(format!("input-{i}.bin"));
            let bytes: Vec<u8> = (0..FILE_SIZE).map(|j| (j * 31 + i * 7) as u8).collect();
            std::fs::write(&path, bytes)?;
            Ok(path)
        })
        .collect()
}

fn main() -> Result<(), Box<dyn Error>> {
    // The times in the pools' statistics printed at the end (counts are
    // always kept; times only where asked for).
    IoPool::global().set_timing(true);
    let dir = tempfile::tempdir()?;
    let files = make_files(dir.path())?;
    println!(
        "{FILES} files of {} MiB, each read then hashed; a heartbeat asks to tick every 1 ms.\n",
        FILE_SIZE >> 20
    );
    println!(
        "{:<34} {:>6} {:>10} {:>10} {:>10} {:>10}",
        "way", "ticks", "late p50", "late p99", "late max", "wall"
    );
    // The hand-written way's rayon pool, of one thread like `HASHER`.
    let rayon_pool = std::sync::Arc::new(rayon::ThreadPoolBuilder::new().num_threads(1).build()?);
    let mut checksums = Vec::new();
    for way in [Way::Inline, Way::HandWritten, Way::Offloaded] {
        let mut report = run_way(way, &files, &rayon_pool, false)?;
        report.lateness.sort();
        println!(
            "{:<34} {:>6} {:>10} {:>10} {:>10} {:>10}",
            report.way.name(),
            report.lateness.len(),
            human(percentile(&report.lateness, 0.50)),
            human(percentile(&report.lateness, 0.99)),
            human(report.lateness.last().copied().unwrap_or_default()),
            human(report.wall),
        );
        checksums.push(report.checksum);
    }
    if checksums.windows(2).any(|w| w[0] != w[1]) {
        return Err(format!("the three ways disagree: {checksums:x?}").into());
    }
    println!(
        "\nInline, every read and every hash holds the only executor thread, and the heartbeat \
         waits for all of them: it is late by most of the run. Offloaded, the executor stays \
         free and ticks about on time, while reads run on tokio's blocking pool and hashing on \
         a one-thread rayon pool; #[offload] does what the hand-written code does, in one line."
    );
    for way in [Way::Inline, Way::Offloaded] {
        let report = run_way(way, &files, &rayon_pool, true)?;
        println!(
            "\nwith a Watchdog (threshold {:?}) on, {}: {} stall(s) reported",
            Watchdog::DEFAULT_THRESHOLD,
            report.way.name(),
            report.stalls.unwrap_or_default()
        );
    }
    println!(
        "(each also goes to `tracing::warn!`, with how long, since when, and what was running)"
    );

    let (io, cpu) = (IoPool::global().stats(), HASHER.stats());
    println!(
        "\nio pool:  {} calls, {} total run time, {} waiting in queue",
        io.completed,
        human(io.run_time),
        human(io.queue_wait)
    );
    println!(
        "hasher:   {} calls, {} total run time, {} waiting in queue",
        cpu.completed,
        human(cpu.run_time),
        human(cpu.queue_wait)
    );
    Ok(())
}
