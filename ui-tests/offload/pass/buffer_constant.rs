// `buffer =` takes any constant `usize` expression, and suffixed literals.
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

fn main() {
    for stream in [named().boxed(), computed().boxed(), suffixed().boxed()] {
        let items: Vec<u32> = futures::executor::block_on(stream.collect());
        assert_eq!(items, [0, 1, 2]);
    }
}
