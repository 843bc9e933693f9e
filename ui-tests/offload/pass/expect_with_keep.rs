// `#[expect(lint)]` on a fn with `keep`: the attribute applies to both the
// async fn and the kept one, and a lint fires on one of them only (which
// one depends on the lint), so on both it acts as `#[allow(lint)]`.
#![deny(warnings)]

use bridge_runtime::offload;

// Fires on the async fn only: the kept fn is called by it.
#[expect(dead_code, reason = "not called yet")]
#[offload(io, keep = later_blocking)]
fn later(x: u32) -> u32 {
    x
}

// Fires on the kept fn only, where the body is.
#[expect(unused_variables)]
#[offload(cpu, keep = size_blocking)]
fn size(v: Vec<u8>) -> usize {
    let unused = 1;
    v.len()
}

// Inside `cfg_attr` too.
#[cfg_attr(all(), expect(dead_code))]
#[offload(io, keep = idle_blocking)]
fn idle(x: u32) -> u32 {
    x
}

struct Store;

impl Store {
    #[expect(dead_code, reason = "not called yet")]
    #[offload(io, keep = get_blocking)]
    fn get(self, key: u32) -> u32 {
        key
    }
}

fn main() {
    assert_eq!(size_blocking(vec![1]) + bridge_runtime::block_on(size(vec![1])), 2);
    let _ = Store;
}
