// `keep` takes a name, or `Self::name`, not another path.
use bridge_runtime::offload;

#[offload(io, keep = blocking::read)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
