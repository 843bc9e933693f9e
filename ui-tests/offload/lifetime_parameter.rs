// An explicit lifetime parameter, used to borrow an argument.
use bridge_runtime::offload;

#[offload(io)]
fn read<'a>(path: &'a str) -> usize {
    path.len()
}

fn main() {}
