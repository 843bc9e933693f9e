//! What a `Watchdog` costs on an idle runtime: the CPU time the whole process
//! uses while a runtime sits idle for a few seconds, without and with a
//! watchdog, on a current-thread and on a multi-thread runtime.
//!
//! ```text
//! cargo run --release -p bridge-runtime --example watchdog_cost [SECONDS]
//! ```
//!
//! CPU time is read from Linux's `/proc/self/task/*/schedstat` (nanoseconds
//! on CPU, per thread, summed), so the example needs Linux. The contract is
//! at most 1% of one CPU at the default threshold.
//!
//! Then, with the default `tracing` feature, what `Watchdog::layer` adds to a
//! `tracing` subscriber: the time to create a span with one field, and to
//! enter and exit one, on a registry with and without the layer.

use std::error::Error;
use std::time::{Duration, Instant};

use bridge_runtime::Watchdog;
use tokio::runtime::{Builder, Runtime};

/// CPU time used so far by the threads alive in this process.
fn process_cpu() -> Result<Duration, Box<dyn Error>> {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task")? {
        let path = task?.path().join("schedstat");
        // A thread may end between the listing and the read: skip it.
        let Ok(stat) = std::fs::read_to_string(path) else {
            continue;
        };
        let on_cpu: u64 = stat
            .split_whitespace()
            .next()
            .ok_or("empty schedstat")?
            .parse()?;
        total += on_cpu;
    }
    Ok(Duration::from_nanos(total))
}

/// CPU used while `runtime` idles for `period`, with a watchdog of
/// `threshold` if any, as a share of one CPU.
fn idle_share(
    runtime: &Runtime,
    threshold: Option<Duration>,
    period: Duration,
) -> Result<f64, Box<dyn Error>> {
    runtime.block_on(async {
        let watchdog = threshold.map(Watchdog::start);
        // Let the runtime and the watchdog settle.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (cpu, wall) = (process_cpu()?, Instant::now());
        tokio::time::sleep(period).await;
        let used = process_cpu()?.saturating_sub(cpu);
        let elapsed = wall.elapsed();
        if let Some(watchdog) = &watchdog {
            assert_eq!(watchdog.stalls(), 0, "an idle runtime had a stall");
        }
        drop(watchdog);
        Ok(used.as_secs_f64() / elapsed.as_secs_f64())
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    if process_cpu().is_err() {
        eprintln!("this measurement reads /proc/self/task/*/schedstat: it needs Linux");
        return Ok(());
    }
    let seconds: u64 = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 5,
    };
    let period = Duration::from_secs(seconds);

    let runtimes: [(&str, Runtime); 2] = [
        (
            "current-thread",
            Builder::new_current_thread().enable_all().build()?,
        ),
        (
            "multi-thread, 2 workers",
            Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?,
        ),
    ];
    let thresholds = [
        ("none", None),
        ("default (100 ms)", Some(Watchdog::DEFAULT_THRESHOLD)),
        ("10 ms", Some(Duration::from_millis(10))),
    ];

    println!("CPU used by an idle runtime over {seconds} s, as a share of one CPU\n");
    println!(
        "{:<26} {:<18} {:>9} {:>14}",
        "runtime", "watchdog", "CPU", "watchdog cost"
    );
    for (name, runtime) in &runtimes {
        let mut baseline = 0.0;
        for (label, threshold) in thresholds {
            let share = idle_share(runtime, threshold, period)?;
            let cost = match threshold {
                None => {
                    baseline = share;
                    String::from("-")
                }
                Some(_) => format!("{:.3}%", (share - baseline) * 100.0),
            };
            println!("{name:<26} {label:<18} {:>8.3}% {cost:>14}", share * 100.0);
        }
    }

    #[cfg(feature = "tracing")]
    layer::measure(&runtimes[0].1);
    Ok(())
}

/// What `Watchdog::layer` costs; it needs the `tracing` feature.
#[cfg(feature = "tracing")]
mod layer {
    use std::time::Instant;

    use bridge_runtime::Watchdog;
    use tokio::runtime::Runtime;
    use tracing_subscriber::layer::SubscriberExt;

    pub(super) fn measure(runtime: &Runtime) {
        println!("\nWhat `Watchdog::layer` adds to a registry, per span (best of 5 runs)\n");
        println!(
            "{:<28} {:>14} {:>14} {:>10}",
            "", "registry", "+ the layer", "added"
        );
        let bare = || tracing_subscriber::registry();
        let with_layer = || tracing_subscriber::registry().with(Watchdog::layer());
        let creation = (
            per_span(runtime, bare(), create_span),
            per_span(runtime, with_layer(), create_span),
        );
        let entering = (
            per_span(runtime, bare(), enter_span),
            per_span(runtime, with_layer(), enter_span),
        );
        for (label, (without, with)) in [
            ("create a span with 1 field", creation),
            ("enter and exit a span", entering),
        ] {
            println!(
                "{label:<28} {:>11.0} ns {:>11.0} ns {:>7.0} ns",
                without,
                with,
                with - without
            );
        }
    }

    /// Spans per run of the layer measurements.
    const SPANS: u32 = 200_000;

    /// Creates (and drops) `SPANS` spans with one field.
    fn create_span() {
        for n in 0..SPANS {
            let span = tracing::info_span!("request", n);
            std::hint::black_box(&span);
        }
    }

    /// Enters and exits one span `SPANS` times.
    fn enter_span() {
        let span = tracing::info_span!("request", n = 1);
        for _ in 0..SPANS {
            span.in_scope(|| std::hint::black_box(()));
        }
    }

    /// The best time per span of 5 runs of `work` under `subscriber`, on a
    /// thread of `runtime` (where the layer asks tokio which worker it is).
    fn per_span<S>(runtime: &Runtime, subscriber: S, work: fn()) -> f64
    where
        S: tracing::Subscriber + Send + Sync + 'static,
    {
        let dispatch = tracing::Dispatch::new(subscriber);
        runtime.block_on(async {
            tracing::dispatcher::with_default(&dispatch, || {
                (0..5)
                    .map(|_| {
                        let started = Instant::now();
                        work();
                        started.elapsed().as_nanos() as f64 / f64::from(SPANS)
                    })
                    .fold(f64::INFINITY, f64::min)
            })
        })
    }
}
