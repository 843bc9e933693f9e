// `keep` on associated fns without a receiver: found through `Self` when
// the signature names it, or written `keep = Self::name`.
#![deny(warnings)]

use bridge_runtime::blocking;

struct Client {
    id: u32,
}

impl Client {
    #[blocking(keep = connect_async)]
    async fn connect(id: u32) -> Self {
        Client { id }
    }

    #[blocking(keep = Self::ping_async)]
    async fn ping(n: u32) -> u32 {
        n + 1
    }
}

fn main() {
    assert_eq!(Client::connect(3).id, 3);
    assert_eq!(bridge_runtime::block_on(Client::connect_async(4)).id, 4);
    assert_eq!(Client::ping(1), 2);
    assert_eq!(bridge_runtime::block_on(Client::ping_async(2)), 3);
}
