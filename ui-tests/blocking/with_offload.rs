// `#[blocking]` and `#[offload]` on one fn contradict each other.
use bridge_runtime::{blocking, offload};

#[blocking]
#[offload(io)]
async fn fetch(url: String) -> usize {
    url.len()
}

fn main() {}
