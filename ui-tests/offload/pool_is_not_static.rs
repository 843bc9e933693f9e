// `pool =` naming something that is not a pool.
use bridge_runtime::offload;

const LIMIT: usize = 4;

#[offload(io, pool = LIMIT)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
