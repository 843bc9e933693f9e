// `keep = "x"`: a string where a name goes.
use bridge_runtime::offload;

#[offload(io, keep = "read_blocking")]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
