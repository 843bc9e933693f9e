// `#[offload]` and `#[blocking]` on one fn.
use bridge_runtime::{blocking, offload};

#[offload(io)]
#[blocking]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
