// `use std::thread;` at the top of the file, `thread::sleep` in the item.
use bridge_runtime::nonblocking;
use std::thread;
use std::time::Duration;

#[nonblocking]
async fn poll() {
    thread::sleep(Duration::from_millis(10));
}

fn main() {}
