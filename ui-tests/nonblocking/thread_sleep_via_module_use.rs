// `use std::thread;` then `thread::sleep` in the same body.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn poll() {
    use std::thread;
    thread::sleep(std::time::Duration::from_millis(10));
}

fn main() {}
