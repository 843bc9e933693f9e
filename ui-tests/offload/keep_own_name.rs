// `keep =` the fn's own name.
use bridge_runtime::offload;

#[offload(io, keep = read)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
