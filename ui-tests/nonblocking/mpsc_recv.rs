// `recv` on a `std::sync::mpsc` receiver in async code.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn wait() -> Option<u32> {
    let (tx, rx) = std::sync::mpsc::channel();
    tx.send(1).ok();
    rx.recv().ok()
}

fn main() {}
