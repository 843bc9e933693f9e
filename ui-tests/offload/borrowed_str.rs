// `&str` argument: take `String`.
use bridge_runtime::offload;

#[offload(io)]
fn read(path: &str) -> usize {
    path.len()
}

fn main() {}
