// `#[allow_blocking]` on the very item `#[nonblocking]` checks.
use bridge_runtime::nonblocking;

#[nonblocking]
#[allow_blocking]
async fn poll() {
    std::thread::sleep(std::time::Duration::from_millis(1));
}

fn main() {}
