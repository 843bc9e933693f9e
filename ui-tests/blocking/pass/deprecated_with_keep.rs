// A `#[deprecated]` fn with `keep`: both fns are deprecated, and the
// generated fn's own call of the kept one is not reported, for free fns,
// methods and streams alike. Callers are still told.
#![deny(warnings)]

use bridge_runtime::blocking;

/// Old API.
#[deprecated(note = "use fetch_v2")]
#[blocking(keep = fetch_async)]
pub async fn fetch(x: u32) -> u32 {
    x
}

/// Old API.
#[deprecated(note = "use ticks_v2")]
#[blocking(keep = ticks_async)]
pub async fn ticks(n: u32) -> impl futures_core::Stream<Item = u32> + Send {
    futures::stream::iter(0..n)
}

/// A client.
pub struct Client;

impl Client {
    /// Old API.
    #[deprecated(note = "use get_v2")]
    #[blocking(keep = get_async)]
    pub async fn get(&self, key: u32) -> u32 {
        key
    }

    /// Old API.
    #[deprecated(note = "use make_v2")]
    #[blocking(keep = make_async)]
    pub async fn make(id: u32) -> u32 {
        id
    }
}

#[allow(deprecated)]
fn main() {
    assert_eq!(fetch(1), bridge_runtime::block_on(fetch_async(1)));
    assert_eq!(ticks(3).count(), 3);
    assert_eq!(Client.get(3), bridge_runtime::block_on(Client.get_async(3)));
    assert_eq!(Client::make(4), bridge_runtime::block_on(Client::make_async(4)));
}
