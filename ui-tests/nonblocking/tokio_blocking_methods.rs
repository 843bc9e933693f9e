// tokio's `blocking_*` methods panic inside a runtime.
use bridge_runtime::nonblocking;
use tokio::sync::{Mutex, RwLock, mpsc};

#[nonblocking]
async fn drain(
    mut rx: mpsc::Receiver<u8>,
    tx: mpsc::Sender<u8>,
    lock: Mutex<u8>,
    shared: RwLock<u8>,
) {
    let _ = rx.blocking_recv();
    let _ = tx.blocking_send(1);
    let _ = lock.blocking_lock();
    let _ = shared.blocking_read();
    let _ = shared.blocking_write();
}

fn main() {}
