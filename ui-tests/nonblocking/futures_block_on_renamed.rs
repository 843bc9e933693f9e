// `futures::executor::block_on` under another name, inside async code.
use bridge_runtime::nonblocking;
use futures::executor::block_on as wait_for;

async fn fetch() -> u32 {
    1
}

#[nonblocking]
async fn outer() -> u32 {
    wait_for(fetch())
}

fn main() {}
