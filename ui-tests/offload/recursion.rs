// A fn that calls itself: once offloaded its name is the async fn.
use bridge_runtime::offload;

#[offload(cpu)]
fn fib(n: u64) -> u64 {
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

fn main() {}
