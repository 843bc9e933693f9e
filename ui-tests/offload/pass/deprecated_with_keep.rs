// A `#[deprecated]` fn with `keep`: both fns are deprecated, and the
// generated fn's own call of the kept one is not reported, for free fns,
// methods and streams alike. Callers are still told.
#![deny(warnings)]

use bridge_runtime::offload;

/// Old API.
#[deprecated(note = "use read_v2")]
#[offload(io, keep = read_blocking)]
pub fn read(x: u32) -> u32 {
    x
}

/// Old API.
#[deprecated(note = "use numbers_v2")]
#[offload(cpu, keep = numbers_blocking)]
pub fn numbers(n: u32) -> impl Iterator<Item = u32> {
    0..n
}

/// A store.
pub struct Store;

impl Store {
    /// Old API.
    #[deprecated(note = "use get_v2")]
    #[offload(cpu, keep = get_blocking)]
    pub fn get(self, key: u32) -> u32 {
        key
    }

    /// Old API.
    #[deprecated(note = "use make_v2")]
    #[offload(io, keep = make_blocking)]
    pub fn make(id: u32) -> u32 {
        id
    }
}

#[allow(deprecated)]
fn main() {
    assert_eq!(bridge_runtime::block_on(read(1)), read_blocking(1));
    assert_eq!(numbers_blocking(2).count(), 2);
    let _ = numbers(2);
    assert_eq!(bridge_runtime::block_on(Store.get(3)), Store.get_blocking(3));
    assert_eq!(bridge_runtime::block_on(Store::make(4)), Store::make_blocking(4));
}
