//! A destructor that panics on a pool thread must neither abort the process
//! (rayon's default for a panic that reaches it) nor kill the thread. If it
//! did, this whole test binary would die, so it is a binary of its own.

mod deadline;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bridge_runtime::{CpuPool, IoPool};

/// Panics when dropped, counting the drops.
struct Bomb(Arc<AtomicUsize>);

impl Drop for Bomb {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("a destructor that panics");
    }
}

static BUSY_CPU: CpuPool = CpuPool::new("busy-cpu", 1);
static BUSY_IO: IoPool = IoPool::new("busy-io", 1);

fn wait_for(count: &AtomicUsize, n: usize) {
    for _ in 0..1_000 {
        if count.load(Ordering::SeqCst) >= n {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!(
        "only {} of {n} bombs were dropped",
        count.load(Ordering::SeqCst)
    );
}

#[test]
fn a_cpu_body_dropped_unrun_with_a_panicking_destructor_does_not_abort() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let bomb = Bomb(dropped.clone());
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    futures::executor::block_on(async {
        // Occupy the pool's only thread, so the next call stays queued.
        let blocker = BUSY_CPU.run(move || {
            let _ = release_rx.recv_timeout(Duration::from_secs(5));
        });
        let mut blocker = std::pin::pin!(blocker);
        assert!(futures::poll!(blocker.as_mut()).is_pending());
        let queued = BUSY_CPU.run(move || drop(bomb));
        let mut queued = Box::pin(queued);
        assert!(futures::poll!(queued.as_mut()).is_pending());
        drop(queued); // cancelled while queued: the body is dropped unrun
        release_tx.send(()).expect("blocker waits");
        blocker.await;
    });
    wait_for(&dropped, 1);
    // The pool still works.
    let after = deadline::deadline("after", || futures::executor::block_on(BUSY_CPU.run(|| 7)));
    assert_eq!(after, 7);
    assert_eq!(BUSY_CPU.stats().cancelled, 1);
}

#[test]
fn a_result_with_a_panicking_destructor_dropped_after_its_caller_left_does_not_abort() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let made = dropped.clone();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    futures::executor::block_on(async {
        let call = bridge_runtime::cpu(move || {
            let _ = started_tx.send(());
            std::thread::sleep(Duration::from_millis(30));
            Bomb(made)
        });
        let mut call = Box::pin(call);
        assert!(futures::poll!(call.as_mut()).is_pending());
        started_rx
            .recv_timeout(Duration::from_secs(5))
            .expect("the body started");
        drop(call); // the caller leaves while the body runs
    });
    wait_for(&dropped, 1);
    assert_eq!(
        deadline::deadline("after", || futures::executor::block_on(
            bridge_runtime::cpu(|| 8)
        )),
        8
    );
}

#[test]
fn an_io_body_dropped_unrun_with_a_panicking_destructor_keeps_the_pool_working() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let bomb = Bomb(dropped.clone());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
        let blocker = tokio::spawn(BUSY_IO.run(move || {
            let _ = release_rx.blocking_recv();
        }));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let queued = tokio::spawn(BUSY_IO.run(move || drop(bomb)));
        tokio::time::sleep(Duration::from_millis(20)).await;
        queued.abort();
        let _ = queued.await;
        let _ = release_tx.send(());
        blocker.await.expect("blocker ran");
        assert_eq!(BUSY_IO.run(|| 9).await, 9);
    });
    wait_for(&dropped, 1);
}
