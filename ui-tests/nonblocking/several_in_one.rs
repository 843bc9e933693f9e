// Every blocking call of a body is reported, each at its own call.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn handler() -> usize {
    std::thread::sleep(std::time::Duration::from_millis(1));
    let text = std::fs::read_to_string("a.txt").unwrap_or_default();
    let (_tx, rx) = std::sync::mpsc::channel::<u8>();
    let _ = rx.recv();
    text.len()
}

fn main() {}
