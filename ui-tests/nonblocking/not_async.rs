// On a sync fn with no async code inside, there is nothing to check.
use bridge_runtime::nonblocking;

#[nonblocking]
fn compute() -> u32 {
    1
}

fn main() {}
