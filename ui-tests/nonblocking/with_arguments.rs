// `#[nonblocking]` takes no arguments.
use bridge_runtime::nonblocking;

#[nonblocking(strict)]
async fn poll() {}

fn main() {}
