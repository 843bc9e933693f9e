// `io` and `cpu` at once.
use bridge_runtime::offload;

#[offload(io, cpu)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
