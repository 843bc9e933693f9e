// `futures::executor::block_on` whose result is `.await`ed: the call still
// blocks before anything is awaited.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn outer() -> u32 {
    let joined = futures::executor::block_on(async { tokio::spawn(async { 1 }) }).await;
    joined.unwrap_or(0)
}

fn main() {}
