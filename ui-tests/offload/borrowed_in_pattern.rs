// A borrowed type behind a pattern argument.
use bridge_runtime::offload;

#[offload(io)]
fn read((path, n): (&str, usize)) -> usize {
    path.len() + n
}

fn main() {}
