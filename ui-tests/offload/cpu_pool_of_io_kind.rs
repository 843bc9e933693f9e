// `#[offload(cpu, pool = ..)]` naming an `IoPool`.
use bridge_runtime::{IoPool, offload};

static DB: IoPool = IoPool::new("db", 2);

#[offload(cpu, pool = DB)]
fn hash(data: Vec<u8>) -> usize {
    data.len()
}

fn main() {}
