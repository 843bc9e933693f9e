// A non-`Send` result type is reported at the return type.
use std::rc::Rc;

use bridge_runtime::offload;

#[offload(cpu)]
fn make(n: u32) -> Rc<u32> {
    Rc::new(n)
}

fn main() {}
