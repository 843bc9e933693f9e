// Several mistakes in the arguments alone are all reported.
use bridge_runtime::offload;

#[offload(gpu, fast = 1, pool)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
