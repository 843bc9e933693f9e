// Starting a runtime inside async code.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn outer() {
    let runtime = tokio::runtime::Runtime::new();
    drop(runtime);
}

fn main() {}
