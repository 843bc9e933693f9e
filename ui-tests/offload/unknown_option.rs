// An unknown option, with the options there are.
use bridge_runtime::offload;

#[offload(io, fast = 1)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
