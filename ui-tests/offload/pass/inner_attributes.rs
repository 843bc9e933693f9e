// Inner attributes at the top of the body apply as they would to the fn.
#![deny(warnings)]

use bridge_runtime::offload;

#[offload(cpu)]
fn answer() -> u32 {
    #![allow(unused_variables)]
    let unused = 1;
    42
}

#[offload(io, keep = answer_blocking)]
fn answer_kept() -> u32 {
    #![allow(unused_variables)]
    let unused = 1;
    42
}

fn main() {
    assert_eq!(bridge_runtime::block_on(answer()), 42);
    assert_eq!(bridge_runtime::block_on(answer_kept()), 42);
    assert_eq!(answer_blocking(), 42);
}
