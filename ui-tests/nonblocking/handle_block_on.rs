// A runtime handle's `block_on` inside async code.
use bridge_runtime::nonblocking;

async fn fetch() -> u32 {
    1
}

#[nonblocking]
async fn outer() -> u32 {
    tokio::runtime::Handle::current().block_on(fetch())
}

fn main() {}
