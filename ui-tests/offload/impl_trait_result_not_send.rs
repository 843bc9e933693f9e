// An `impl Trait` result whose hidden type is not `Send`.
use std::rc::Rc;

use bridge_runtime::offload;

#[offload(io)]
fn label(n: u32) -> impl std::fmt::Display {
    Rc::new(n)
}

fn main() {}
