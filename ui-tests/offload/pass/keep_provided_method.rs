// `keep` on a provided method of a trait, without a receiver: the kept fn
// is a provided method too, reached through `Self::`.
#![deny(warnings)]

use bridge_runtime::offload;

// `'static`: the offloaded body, which names `Self`, outlives the call.
trait Scale: 'static {
    #[offload(io, keep = twice_blocking)]
    fn twice(n: u32) -> u32 {
        n * 2
    }
}

struct Meter;

impl Scale for Meter {}

fn main() {
    assert_eq!(bridge_runtime::block_on(Meter::twice(3)), 6);
    assert_eq!(Meter::twice_blocking(4), 8);
}
