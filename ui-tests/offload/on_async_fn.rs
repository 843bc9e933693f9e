// On an `async fn`: it is async already.
use bridge_runtime::offload;

#[offload(io)]
async fn read(path: String) -> usize {
    path.len()
}

fn main() {}
