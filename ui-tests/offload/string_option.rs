// A string where an option name goes.
use bridge_runtime::offload;

#[offload(io, "fast")]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
