// `std::thread::sleep` in an async fn.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn poll() {
    std::thread::sleep(std::time::Duration::from_millis(10));
}

fn main() {}
