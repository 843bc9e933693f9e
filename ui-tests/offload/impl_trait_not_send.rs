// An `impl Trait + 'static` argument that is not `Send`.
use bridge_runtime::offload;

#[offload(cpu)]
fn apply(f: impl Fn(u32) -> u32 + 'static, x: u32) -> u32 {
    f(x)
}

fn main() {}
