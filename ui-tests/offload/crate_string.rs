// `crate = "x"`: a string where a path goes.
use bridge_runtime::offload;

#[offload(io, crate = "bridge_runtime")]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
