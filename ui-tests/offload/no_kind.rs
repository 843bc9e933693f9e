// `#[offload]` without a kind: say which kinds there are.
use bridge_runtime::offload;

#[offload]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
