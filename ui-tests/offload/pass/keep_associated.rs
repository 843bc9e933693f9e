// `keep` on associated fns without a receiver: found through `Self` when
// the signature names it, or written `keep = Self::name`.
#![deny(warnings)]

use bridge_runtime::offload;

struct Config {
    size: u32,
}

impl Config {
    // The signature names `Self`: `keep = name` is enough.
    #[offload(io, keep = load_blocking)]
    fn load(size: u32) -> Self {
        Config { size }
    }

    // Nothing in the signature says it is associated: `Self::` says it.
    #[offload(cpu, keep = Self::double_blocking)]
    fn double(n: u32) -> u32 {
        n * 2
    }
}

fn main() {
    assert_eq!(bridge_runtime::block_on(Config::load(3)).size, 3);
    assert_eq!(Config::load_blocking(4).size, 4);
    assert_eq!(bridge_runtime::block_on(Config::double(5)), 10);
    assert_eq!(Config::double_blocking(6), 12);
}
