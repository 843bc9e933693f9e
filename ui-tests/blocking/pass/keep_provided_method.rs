// `keep` on a provided method of a trait, without a receiver: the kept fn
// is a provided method too, reached through `Self::`.
#![deny(warnings)]

use bridge_runtime::blocking;

trait Ping {
    // `local`: a trait's `async fn` promises no `Send` future.
    #[blocking(local, keep = ping_async)]
    async fn ping(n: u32) -> u32 {
        n + 1
    }
}

struct Host;

impl Ping for Host {}

fn main() {
    assert_eq!(Host::ping(1), 2);
    assert_eq!(bridge_runtime::block_on_local(Host::ping_async(2)), 3);
}
