// An option given twice is reported at the second.
use bridge_runtime::{IoPool, offload};

static A: IoPool = IoPool::new("a", 2);
static B: IoPool = IoPool::new("b", 2);

#[offload(io, pool = A, pool = B)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {
    let _ = (&A, &B);
}
