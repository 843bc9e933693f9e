// `#[offload(io, pool = ..)]` naming a `CpuPool`.
use bridge_runtime::{CpuPool, offload};

static HEAVY: CpuPool = CpuPool::new("heavy", 2);

#[offload(io, pool = HEAVY)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
