// A kind of `#[offload]` given to `#[blocking]`.
use bridge_runtime::blocking;

#[blocking(io)]
async fn fetch(url: String) -> usize {
    url.len()
}

fn main() {}
