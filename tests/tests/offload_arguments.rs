//! `#[offload]` moves every argument to the pool, the ones the body never
//! names (`_permit`, `_`) too, and they are dropped there when the body
//! ends, after the body's locals and in the order a plain fn drops its
//! parameters: not by the caller, and not early when the caller leaves.
//! Streams take their arguments the same way.

mod deadline;

use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use bridge_runtime::offload;
use deadline::deadline;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};

/// An offloaded fn of the tests, its future boxed.
type Call = fn(Tracked, Tracked, Log) -> BoxFuture<'static, ()>;

/// An offloaded stream of the tests, boxed.
type MakeStream = fn(Tracked, Tracked, Log) -> BoxStream<'static, u32>;

/// What happened, in order, and on which thread.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<(String, ThreadId)>>>);

impl Log {
    fn push(&self, what: impl Into<String>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((what.into(), std::thread::current().id()));
    }

    fn entries(&self) -> Vec<(String, ThreadId)> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn names(&self) -> Vec<String> {
        self.entries().into_iter().map(|(what, _)| what).collect()
    }

    /// Waits (up to a few seconds) until `what` is logged.
    fn wait_for(&self, what: &str) {
        let until = Instant::now() + Duration::from_secs(5);
        while !self.names().iter().any(|n| n == what) {
            assert!(
                Instant::now() < until,
                "`{what}` never happened: {:?}",
                self.names()
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The thread `what` happened on.
    fn thread_of(&self, what: &str) -> ThreadId {
        self.entries()
            .into_iter()
            .find(|(n, _)| n == what)
            .map(|(_, thread)| thread)
            .unwrap_or_else(|| panic!("`{what}` was not logged: {:?}", self.names()))
    }
}

/// Logs its drop.
struct Tracked(&'static str, Log);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.1.push(format!("{} dropped", self.0));
    }
}

fn tracked(log: &Log) -> (Tracked, Tracked) {
    (Tracked("named", log.clone()), Tracked("wild", log.clone()))
}

#[offload(io)]
fn io_unnamed(_named: Tracked, _: Tracked, log: Log) {
    let _local = Tracked("local", log.clone());
    log.push("body ran");
}

#[offload(cpu)]
fn cpu_unnamed(_named: Tracked, _: Tracked, log: Log) {
    let _local = Tracked("local", log.clone());
    log.push("body ran");
}

#[offload(io, keep = io_unnamed_blocking)]
fn io_unnamed_kept(_named: Tracked, _: Tracked, log: Log) {
    let _local = Tracked("local", log.clone());
    log.push("body ran");
}

#[offload(cpu, keep = cpu_unnamed_blocking)]
fn cpu_unnamed_kept(_named: Tracked, _: Tracked, log: Log) {
    let _local = Tracked("local", log.clone());
    log.push("body ran");
}

/// Holds a [`Tracked`] named "self".
struct Holder {
    _guard: Tracked,
}

impl Holder {
    #[offload(io)]
    fn finish(self, _: Tracked, log: Log) {
        log.push("body ran");
    }

    #[offload(cpu, keep = finish_cpu_blocking)]
    fn finish_cpu(self, _: Tracked, log: Log) {
        log.push("body ran");
    }
}

/// What the body does when its caller may leave: says it started, waits
/// to be released, and says it ended.
struct Gate {
    started: tokio::sync::oneshot::Sender<()>,
    release: mpsc::Receiver<()>,
}

impl Gate {
    fn pass(self, log: &Log) {
        let _ = self.started.send(());
        let _ = self.release.recv_timeout(Duration::from_secs(5));
        log.push("body ended");
    }
}

#[offload(io)]
fn io_outlives_caller(_named: Tracked, _: Tracked, log: Log, gate: Gate) {
    gate.pass(&log);
}

#[offload(cpu)]
fn cpu_outlives_caller(_named: Tracked, _: Tracked, log: Log, gate: Gate) {
    gate.pass(&log);
}

#[offload(io, keep = io_outlives_caller_blocking)]
fn io_outlives_caller_kept(_named: Tracked, _: Tracked, log: Log, gate: Gate) {
    gate.pass(&log);
}

#[offload(io)]
fn io_numbers(_named: Tracked, _: Tracked, log: Log, n: u32) -> impl Iterator<Item = u32> {
    log.push("body ran");
    0..n
}

#[offload(cpu)]
fn cpu_numbers(_named: Tracked, _: Tracked, log: Log, n: u32) -> impl Iterator<Item = u32> {
    log.push("body ran");
    0..n
}

/// Runs `case` on a thread of its own, in a current-thread runtime, with a
/// deadline; returns the thread's id.
fn on_caller<F: Future<Output = ()>>(
    what: &str,
    case: impl FnOnce() -> F + Send + 'static,
) -> ThreadId {
    deadline(what, move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(case());
        std::thread::current().id()
    })
}

/// The order a plain fn follows: the body, its locals, then its parameters
/// in reverse order, all on the thread that ran the body.
const PLAIN_FN_ORDER: [&str; 4] = ["body ran", "local dropped", "wild dropped", "named dropped"];

fn assert_dropped_where_the_body_ran(log: &Log, caller: ThreadId) {
    assert_eq!(log.names(), PLAIN_FN_ORDER);
    let body = log.thread_of("body ran");
    assert_ne!(body, caller, "the body ran on the caller's thread");
    for (what, thread) in log.entries() {
        assert_eq!(
            thread, body,
            "`{what}` happened on another thread than the body"
        );
    }
}

#[test]
fn a_plain_fn_drops_its_parameters_after_its_locals_in_reverse_order() {
    let log = Log::default();
    let (named, wild) = tracked(&log);
    io_unnamed_blocking(named, wild, log.clone());
    assert_eq!(log.names(), PLAIN_FN_ORDER);
    let log = Log::default();
    let (named, wild) = tracked(&log);
    cpu_unnamed_blocking(named, wild, log.clone());
    assert_eq!(log.names(), PLAIN_FN_ORDER);
    let log = Log::default();
    let (named, wild) = tracked(&log);
    let (started, _) = tokio::sync::oneshot::channel();
    let (release, release_rx) = mpsc::channel();
    let _ = release.send(());
    let gate = Gate {
        started,
        release: release_rx,
    };
    io_outlives_caller_blocking(named, wild, log.clone(), gate);
    assert_eq!(log.names(), ["body ended", "wild dropped", "named dropped"]);
}

#[test]
fn unnamed_arguments_are_dropped_on_the_pool_after_the_body() {
    let cases: [(&str, Call); 4] = [
        ("io", |n, w, l| io_unnamed(n, w, l).boxed()),
        ("io keep", |n, w, l| io_unnamed_kept(n, w, l).boxed()),
        ("cpu", |n, w, l| cpu_unnamed(n, w, l).boxed()),
        ("cpu keep", |n, w, l| cpu_unnamed_kept(n, w, l).boxed()),
    ];
    for (kind, run) in cases {
        let log = Log::default();
        let in_case = log.clone();
        let caller = on_caller(kind, move || {
            let (named, wild) = tracked(&in_case);
            run(named, wild, in_case)
        });
        assert_dropped_where_the_body_ran(&log, caller);
    }
}

/// Starts the call, drops its future once the body runs, lets the body
/// end, and checks that the arguments outlived the caller's future and
/// were dropped where the body ran.
fn check_caller_leaves<F>(
    what: &str,
    call: impl FnOnce(Tracked, Tracked, Log, Gate) -> F + Send + 'static,
) where
    F: Future<Output = ()>,
{
    let log = Log::default();
    let in_case = log.clone();
    let caller = on_caller(what, move || async move {
        let (started_tx, started) = tokio::sync::oneshot::channel();
        let (release, release_rx) = mpsc::channel();
        let gate = Gate {
            started: started_tx,
            release: release_rx,
        };
        let (named, wild) = tracked(&in_case);
        let call = call(named, wild, in_case.clone(), gate);
        let left = tokio::time::timeout(Duration::from_secs(5), async move {
            tokio::pin!(call);
            tokio::select! {
                () = &mut call => panic!("the body ended before it was released"),
                started = started => started.expect("the body says it started"),
            }
        })
        .await;
        assert!(left.is_ok(), "the body never started");
        in_case.push("caller left");
        let _ = release.send(());
        in_case.wait_for("named dropped");
    });
    assert_eq!(
        log.names(),
        ["caller left", "body ended", "wild dropped", "named dropped"],
        "{what}"
    );
    let body = log.thread_of("body ended");
    assert_ne!(body, caller, "{what}: the body ran on the caller's thread");
    assert_eq!(log.thread_of("wild dropped"), body, "{what}");
    assert_eq!(log.thread_of("named dropped"), body, "{what}");
}

#[test]
fn an_unnamed_self_is_dropped_on_the_pool_last() {
    let log = Log::default();
    let holder = Holder {
        _guard: Tracked("self", log.clone()),
    };
    holder.finish_cpu_blocking(Tracked("wild", log.clone()), log.clone());
    let plain_fn_order = ["body ran", "wild dropped", "self dropped"];
    assert_eq!(log.names(), plain_fn_order);
    for (kind, cpu) in [("io", false), ("cpu", true)] {
        let log = Log::default();
        let in_case = log.clone();
        let caller = on_caller(kind, move || {
            let wild = Tracked("wild", in_case.clone());
            let holder = Holder {
                _guard: Tracked("self", in_case.clone()),
            };
            if cpu {
                holder.finish_cpu(wild, in_case).boxed()
            } else {
                holder.finish(wild, in_case).boxed()
            }
        });
        assert_eq!(log.names(), plain_fn_order, "{kind}");
        let body = log.thread_of("body ran");
        assert_ne!(body, caller, "{kind}: the body ran on the caller's thread");
        assert_eq!(log.thread_of("self dropped"), body, "{kind}");
    }
}

#[test]
fn unnamed_arguments_outlive_a_caller_that_left() {
    check_caller_leaves("io", io_outlives_caller);
    check_caller_leaves("cpu", cpu_outlives_caller);
    check_caller_leaves("io keep", io_outlives_caller_kept);
}

#[test]
fn a_stream_drops_unnamed_arguments_where_it_made_its_iterator() {
    let cases: [(&str, MakeStream); 2] = [
        ("io stream", |n, w, l| io_numbers(n, w, l, 3).boxed()),
        ("cpu stream", |n, w, l| cpu_numbers(n, w, l, 3).boxed()),
    ];
    for (kind, make) in cases {
        let log = Log::default();
        let in_case = log.clone();
        let caller = on_caller(kind, move || async move {
            let (named, wild) = tracked(&in_case);
            let stream = make(named, wild, in_case);
            assert_eq!(stream.collect::<Vec<u32>>().await, [0, 1, 2]);
        });
        assert_eq!(
            log.names(),
            ["body ran", "wild dropped", "named dropped"],
            "{kind}"
        );
        let body = log.thread_of("body ran");
        assert_ne!(
            body, caller,
            "{kind}: the iterator was made on the caller's thread"
        );
        assert_eq!(log.thread_of("wild dropped"), body, "{kind}");
        assert_eq!(log.thread_of("named dropped"), body, "{kind}");
    }
}
