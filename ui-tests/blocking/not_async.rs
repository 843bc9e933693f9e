// `#[blocking]` on a fn that is not async: say to add `async`, or to use `#[offload]`.
use bridge_runtime::blocking;

#[blocking]
fn read_len(path: String) -> usize {
    path.len()
}

fn main() {}
