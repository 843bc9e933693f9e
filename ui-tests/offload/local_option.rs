// `local` belongs to `#[blocking]`.
use bridge_runtime::offload;

#[offload(io, local)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
