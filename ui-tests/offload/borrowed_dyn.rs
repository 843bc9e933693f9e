// `&dyn Trait` argument: take `Box<dyn Trait + Send>`.
use bridge_runtime::offload;

#[offload(cpu)]
fn apply(f: &dyn Fn(u32) -> u32, x: u32) -> u32 {
    f(x)
}

fn main() {}
