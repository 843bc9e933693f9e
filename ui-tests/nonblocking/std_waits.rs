// `Condvar::wait*`, `Barrier::wait` and `std::thread::park` block the thread.
use bridge_runtime::nonblocking;
use std::sync::{Arc, Barrier, Condvar, Mutex};

#[nonblocking]
async fn wait_for_ready(pair: Arc<(Mutex<bool>, Condvar)>, barrier: Arc<Barrier>) {
    let (lock, cvar) = &*pair;
    let mut ready = lock.lock().unwrap();
    while !*ready {
        ready = cvar.wait(ready).unwrap();
    }
    drop(ready);
    barrier.wait();
    std::thread::park();
}

#[nonblocking]
async fn made_here() {
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let (lock, cvar) = &*pair;
    let guard = lock.lock().unwrap();
    let _ = cvar.wait_timeout(guard, std::time::Duration::from_millis(1));
}

fn main() {}
