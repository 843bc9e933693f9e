// Independent mistakes are all reported, each at its token, and the item is
// still emitted: the caller of the sync fn compiles.
use bridge_runtime::offload;

#[offload(io, keep = depth, buffer = 4)]
fn depth(path: &str, level: u32) -> u32 {
    if level == 0 { path.len() as u32 } else { depth(path, level - 1) }
}

fn main() {
    let d: u32 = depth("a/b", 2);
    assert_eq!(d, 3);
}
