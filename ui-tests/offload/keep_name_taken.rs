// `keep = NAME` where NAME is already an item of the module: at the `keep` value.
use bridge_runtime::offload;

fn read_sync(path: String) -> usize {
    path.len()
}

#[offload(io, keep = read_sync)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
