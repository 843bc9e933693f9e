// `keep` on associated fns without a receiver: the kept fn is a sibling in
// the same impl, reached through `Self::`, whether or not the signature
// shows that the fn is associated.
#![deny(warnings)]

use bridge_runtime::offload;

struct Config {
    size: u32,
}

impl Config {
    // The signature names `Self`.
    #[offload(io, keep = load_blocking)]
    fn load(size: u32) -> Self {
        Config { size }
    }

    // Nothing in the signature says it is associated.
    #[offload(io, keep = triple_blocking)]
    fn triple(n: u32) -> u32 {
        n * 3
    }

    // Written `Self::name`, which stays accepted.
    #[offload(cpu, keep = Self::double_blocking)]
    fn double(n: u32) -> u32 {
        n * 2
    }
}

// A free fn of the same name as the kept one: the impl's own is called.
#[allow(dead_code)]
fn triple_blocking(_: u32) -> u32 {
    unreachable!("the associated `triple_blocking` is the one kept")
}

// Code made by a macro is not in the file as written: `keep = Self::name`
// still says the fn is associated.
macro_rules! counter {
    ($ty:ident) => {
        struct $ty;

        impl $ty {
            #[offload(io, keep = Self::next_blocking)]
            fn next(n: u32) -> u32 {
                n + 1
            }
        }
    };
}

counter!(Counter);

fn main() {
    assert_eq!(bridge_runtime::block_on(Config::load(3)).size, 3);
    assert_eq!(Config::load_blocking(4).size, 4);
    assert_eq!(bridge_runtime::block_on(Config::triple(5)), 15);
    assert_eq!(Config::triple_blocking(6), 18);
    assert_eq!(bridge_runtime::block_on(Config::double(5)), 10);
    assert_eq!(Config::double_blocking(6), 12);
    assert_eq!(bridge_runtime::block_on(Counter::next(1)), 2);
    assert_eq!(Counter::next_blocking(2), 3);

    // An impl inside a fn body.
    struct Local;
    impl Local {
        #[offload(cpu, keep = square_blocking)]
        fn square(n: u64) -> u64 {
            n * n
        }
    }
    assert_eq!(bridge_runtime::block_on(Local::square(7)), 49);
    assert_eq!(Local::square_blocking(8), 64);
}
