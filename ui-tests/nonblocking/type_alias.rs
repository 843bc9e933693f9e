// A type alias of tokio's `Runtime`.
use bridge_runtime::nonblocking;

type Rt = tokio::runtime::Runtime;

#[nonblocking]
async fn nested() -> bool {
    Rt::new().is_ok()
}

fn main() {}
