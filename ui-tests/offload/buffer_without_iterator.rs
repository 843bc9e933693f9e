// `buffer` on a fn that does not return an iterator.
use bridge_runtime::offload;

#[offload(io, buffer = 8)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
