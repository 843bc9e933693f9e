// The same kind twice.
use bridge_runtime::offload;

#[offload(io, io)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
