// `pool DB` without `=`.
use bridge_runtime::{IoPool, offload};

static DB: IoPool = IoPool::new("db", 2);

#[offload(io, pool DB)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {
    let _ = &DB;
}
