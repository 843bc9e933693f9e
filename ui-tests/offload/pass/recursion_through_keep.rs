// A recursive fn recurses through its kept blocking original: the body
// calls `fib_blocking`, on the pool's thread, and the async `fib` runs it.
#![deny(warnings)]

use bridge_runtime::offload;

#[offload(cpu, keep = fib_blocking)]
fn fib(n: u64) -> u64 {
    if n < 2 { n } else { fib_blocking(n - 1) + fib_blocking(n - 2) }
}

fn main() {
    assert_eq!(bridge_runtime::block_on(fib(20)), 6765);
    assert_eq!(fib_blocking(10), 55);
}
