// `join` on each `std::thread::JoinHandle` of a `Vec` given as a parameter.
use std::thread::JoinHandle;

use bridge_runtime::nonblocking;

#[nonblocking]
async fn wait_all(handles: Vec<JoinHandle<u32>>) -> u32 {
    let mut total = 0;
    for handle in handles {
        total += handle.join().unwrap_or(0);
    }
    total
}

fn main() {}
