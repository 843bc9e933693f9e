//! The user's own `struct Runtime`, `mod fs`, `mod thread` and `fn
//! block_on`, called as `Runtime::new()`, `fs::read(..)`, `thread::sleep(..)`
//! and `block_on(..)`: not std's or tokio's, and not reported.

use bridge_runtime::nonblocking;

pub struct Runtime {
    pub name: &'static str,
}

impl Runtime {
    pub fn new() -> Self {
        Runtime { name: "own" }
    }
}

pub mod fs {
    /// Reads from a cache, not from the disk.
    pub fn read(key: &str) -> Option<usize> {
        Some(key.len())
    }
}

pub mod thread {
    /// Records a pause, does not pause.
    pub fn sleep(ticks: u32) -> u32 {
        ticks
    }
}

/// Books a slot in a schedule: blocks nothing.
fn block_on(slot: usize) -> usize {
    slot + 1
}

/// Books slots: its `block_on` blocks nothing either.
pub struct Planner;

impl Planner {
    pub fn block_on(&self, slot: usize) -> bool {
        slot > 3
    }
}

#[nonblocking]
pub async fn books(planner: Planner) -> bool {
    planner.block_on(4)
}

#[nonblocking]
pub async fn uses_own_names() -> usize {
    let runtime = Runtime::new();
    let read = fs::read(runtime.name).unwrap_or(0);
    let slept = thread::sleep(2) as usize;
    block_on(read + slept) - 1
}

#[nonblocking]
pub mod service {
    use super::fs;

    pub async fn cached(key: &str) -> usize {
        fs::read(key).unwrap_or(0)
    }
}

/// A client whose methods differ by its mode (type-state): the blocking
/// `get` of one mode is not the async `get` of the other.
pub mod type_state {
    use bridge_runtime::nonblocking;

    pub struct Waits;
    pub struct Awaits;
    pub struct Client<M>(pub M);

    impl Client<Waits> {
        #[bridge_runtime::blocking]
        pub async fn get(&self) -> u8 {
            1
        }
    }

    #[nonblocking]
    impl Client<Awaits> {
        pub async fn get(&self) -> u8 {
            2
        }

        pub async fn both(&self) -> u8 {
            let (a, b) = tokio::join!(self.get(), self.get());
            a + b
        }
    }
}

/// A trait of one's own with a `block_on` that blocks nothing, called on a
/// generic, a trait object and a returned value, none of whose types the
/// syntax shows.
pub trait Booking {
    fn block_on(&self, slot: usize) -> usize;
}

pub struct Slots;

impl Booking for Slots {
    fn block_on(&self, slot: usize) -> usize {
        slot * 2
    }
}

fn slots() -> Slots {
    Slots
}

#[nonblocking]
pub async fn books_through_a_trait<B: Booking>(generic: &B, object: &dyn Booking) -> usize {
    generic.block_on(1) + object.block_on(2) + slots().block_on(3)
}

/// Lays out lines: its `block_on` blocks nothing.
pub mod layout {
    pub fn block_on(line: u32) -> u32 {
        line * 2
    }
}

/// An own fn named `block_on`, reached by a `crate::` path from a file that
/// is not the crate's root.
#[nonblocking]
pub async fn lays_out() -> u32 {
    layout::block_on(1) + crate::own_names::layout::block_on(2)
}

/// An async fn of one's own named `block_on`, `.await`ed: async code.
pub mod awaited {
    pub async fn block_on(slot: u32) -> u32 {
        tokio::task::yield_now().await;
        slot + 1
    }
}

#[nonblocking]
pub async fn awaits_its_own_block_on() -> u32 {
    use awaited::block_on;
    block_on(1).await + awaited::block_on(2).await
}

/// Names that a macro of the module's own makes (a `fn sleep`, a
/// `use tokio::net::TcpStream`) shadow those a std glob brings in.
pub mod made_by_macros {
    use std::net::*;
    use std::thread::*;
    use std::time::Duration;

    use bridge_runtime::nonblocking;

    macro_rules! counter {
        ($name:ident) => {
            /// Counts ticks, does not pause.
            pub fn $name(ticks: u32) -> u32 {
                ticks
            }
        };
    }
    counter!(sleep);

    macro_rules! tokio_tcp {
        () => {
            use tokio::net::TcpStream;
        };
    }
    tokio_tcp!();

    #[nonblocking]
    pub async fn paced() -> u32 {
        sleep(3) + u32::from(current().name().is_some())
    }

    #[nonblocking]
    pub async fn connects(addr: SocketAddr) -> bool {
        let connect = TcpStream::connect(addr);
        let connected = tokio::time::timeout(Duration::from_secs(5), connect).await;
        matches!(connected, Ok(Ok(_))) && Ipv4Addr::LOCALHOST.is_loopback()
    }
}

/// A type's own `to_socket_addrs`, which looks nothing up, in a module that
/// imports std's `ToSocketAddrs` for other code.
pub mod peers {
    use std::net::{SocketAddr, ToSocketAddrs};

    use bridge_runtime::nonblocking;

    pub struct Peers {
        pub addrs: Vec<SocketAddr>,
    }

    impl Peers {
        pub fn to_socket_addrs(&self) -> Vec<SocketAddr> {
            self.addrs.clone()
        }
    }

    /// Sync code, where std's lookup is fine.
    pub fn lookup(host: &str) -> usize {
        (host, 80).to_socket_addrs().map_or(0, Iterator::count)
    }

    #[nonblocking]
    pub async fn count(peers: &Peers) -> usize {
        peers.to_socket_addrs().len()
    }
}
