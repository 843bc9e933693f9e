// `keep = 3`: a number where a name goes.
use bridge_runtime::offload;

#[offload(io, keep = 3)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
