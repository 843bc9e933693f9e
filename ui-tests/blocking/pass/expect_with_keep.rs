// `#[expect(lint)]` on a fn with `keep`: the attribute applies to both the
// blocking fn and the kept async one, and a lint fires on one of them only
// (which one depends on the lint), so on both it acts as `#[allow(lint)]`.
#![deny(warnings)]

use bridge_runtime::blocking;

// Fires on the blocking fn only: the kept fn is called by it.
#[expect(dead_code, reason = "not called yet")]
#[blocking(keep = fetch_async)]
async fn fetch(x: u32) -> u32 {
    x
}

// Fires on the kept fn only, where the body is.
#[expect(unused_variables)]
#[blocking(keep = size_async)]
async fn size(v: Vec<u8>) -> usize {
    let unused = 1;
    v.len()
}

// Inside `cfg_attr` too.
#[cfg_attr(all(), expect(dead_code))]
#[blocking(keep = idle_async)]
async fn idle(x: u32) -> u32 {
    x
}

struct Client;

impl Client {
    #[expect(dead_code, reason = "not called yet")]
    #[blocking(keep = get_async)]
    async fn get(&self, key: u32) -> u32 {
        key
    }
}

fn main() {
    assert_eq!(size(vec![1]) + bridge_runtime::block_on(size_async(vec![1])), 2);
    let _ = Client;
}
