// Options but no kind: the kind is still asked for.
use bridge_runtime::{IoPool, offload};

static DB: IoPool = IoPool::new("db", 2);

#[offload(pool = DB)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
