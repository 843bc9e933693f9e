// `buffer = 0` cannot hold an item.
use bridge_runtime::offload;

#[offload(io, buffer = 0)]
fn lines(path: String) -> impl Iterator<Item = char> {
    path.chars().collect::<Vec<_>>().into_iter()
}

fn main() {}
