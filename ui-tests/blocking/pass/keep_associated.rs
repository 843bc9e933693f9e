// `keep` on associated fns without a receiver: the kept fn is a sibling in
// the same impl, reached through `Self::`, whether or not the signature
// shows that the fn is associated.
#![deny(warnings)]

use bridge_runtime::blocking;

struct Client {
    id: u32,
}

impl Client {
    // The signature names `Self`.
    #[blocking(keep = connect_async)]
    async fn connect(id: u32) -> Self {
        Client { id }
    }

    // Nothing in the signature says it is associated.
    #[blocking(keep = add_async)]
    async fn add(a: u32, b: u32) -> u32 {
        a + b
    }

    // Written `Self::name`, which stays accepted.
    #[blocking(keep = Self::ping_async)]
    async fn ping(n: u32) -> u32 {
        n + 1
    }
}

// A free fn of the same name as the kept one: the impl's own is called.
#[allow(dead_code)]
async fn add_async(_: u32, _: u32) -> u32 {
    unreachable!("the associated `add_async` is the one kept")
}

// Code made by a macro is not in the file as written: `keep = Self::name`
// still says the fn is associated.
macro_rules! counter {
    ($ty:ident) => {
        struct $ty;

        impl $ty {
            #[blocking(keep = Self::next_async)]
            async fn next(n: u32) -> u32 {
                n + 1
            }
        }
    };
}

counter!(Counter);

fn main() {
    assert_eq!(Client::connect(3).id, 3);
    assert_eq!(bridge_runtime::block_on(Client::connect_async(4)).id, 4);
    assert_eq!(Client::add(1, 2), 3);
    assert_eq!(bridge_runtime::block_on(Client::add_async(3, 4)), 7);
    assert_eq!(Client::ping(1), 2);
    assert_eq!(bridge_runtime::block_on(Client::ping_async(2)), 3);
    assert_eq!(Counter::next(1), 2);
    assert_eq!(bridge_runtime::block_on(Counter::next_async(2)), 3);

    // An impl inside a fn body.
    struct Local;
    impl Local {
        #[blocking(keep = square_async)]
        async fn square(n: u64) -> u64 {
            n * n
        }
    }
    assert_eq!(Local::square(7), 49);
    assert_eq!(bridge_runtime::block_on(Local::square_async(8)), 64);
}
