// `pool =` naming a `const` pool instead of a `static` one.
use bridge_runtime::{IoPool, offload};

const DB: IoPool = IoPool::new("db", 2);

#[offload(io, pool = DB)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
