// A non-'static `impl Trait` argument may borrow.
use bridge_runtime::offload;

#[offload(cpu)]
fn apply(f: impl Fn(u32) -> u32 + Send, x: u32) -> u32 {
    f(x)
}

fn main() {}
