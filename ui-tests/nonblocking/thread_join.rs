// Joining a `std::thread` in async code.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn wait() {
    let handle = std::thread::spawn(|| 1 + 1);
    let _ = handle.join();
}

fn main() {}
