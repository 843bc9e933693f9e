// The attribute given twice: one error, at the second.
use bridge_runtime::offload;

#[offload(io)]
#[offload(cpu)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
