// A `const fn` cannot become async.
use bridge_runtime::offload;

#[offload(cpu)]
const fn double(n: u32) -> u32 {
    n * 2
}

fn main() {}
