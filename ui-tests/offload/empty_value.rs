// `pool =` with nothing after it.
use bridge_runtime::offload;

#[offload(io, pool = )]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
