// A non-`Send` argument type is reported at the argument's type.
use std::rc::Rc;

use bridge_runtime::offload;

#[offload(io)]
fn count(items: Rc<Vec<u32>>) -> usize {
    items.len()
}

fn main() {}
