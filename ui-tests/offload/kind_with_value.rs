// A kind given a value: `io = 1`.
use bridge_runtime::offload;

#[offload(io = 1)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
