// `buffer =` takes any constant `usize` expression (a const parameter of
// the fn or of its impl, an associated const among them), and suffixed
// literals.
#![deny(warnings)]

use bridge_runtime::offload;
use futures::StreamExt;

const BATCH: usize = 8;

#[offload(io, buffer = BATCH)]
fn named() -> impl Iterator<Item = u32> {
    0..3
}

#[offload(cpu, buffer = BATCH * 2 + 1)]
fn computed() -> impl Iterator<Item = u32> {
    0..3
}

#[offload(io, buffer = 64usize)]
fn suffixed() -> impl Iterator<Item = u32> {
    0..3
}

#[offload(cpu, buffer = B)]
fn generic<const B: usize>(n: u32) -> impl Iterator<Item = u32> {
    0..n
}

#[offload(io, buffer = B + 1)]
fn generic_computed<const B: usize>(n: u32) -> impl Iterator<Item = u32> {
    0..n
}

struct Batch<const N: usize>;

impl<const N: usize> Batch<N> {
    const TWICE: usize = N * 2;

    #[offload(io, buffer = N)]
    fn items(self, n: u32) -> impl Iterator<Item = u32> {
        0..n
    }

    #[offload(cpu, buffer = Self::TWICE)]
    fn doubled(self, n: u32) -> impl Iterator<Item = u32> {
        0..n
    }
}

fn main() {
    let streams = [
        Batch::<2>.items(3).boxed(),
        Batch::<2>.doubled(3).boxed(),
        named().boxed(),
        computed().boxed(),
        suffixed().boxed(),
        generic::<4>(3).boxed(),
        generic_computed::<0>(3).boxed(),
    ];
    for stream in streams {
        let items: Vec<u32> = futures::executor::block_on(stream.collect());
        assert_eq!(items, [0, 1, 2]);
    }
}
