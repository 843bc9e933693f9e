// bridge's own `Dedicated::call_blocking` waits for the value's thread.
use bridge_runtime::{Dedicated, nonblocking};

#[nonblocking]
async fn count(counter: Dedicated<u64>) -> u64 {
    counter.call_blocking(|n| {
        *n += 1;
        *n
    })
}

fn main() {}
