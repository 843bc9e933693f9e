// An unknown bare word before the kind is an unknown option, not a kind.
use bridge_runtime::offload;

#[offload(fast, io)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
