// An iterator of non-`Send` items is reported once, at the item type.
use std::rc::Rc;

use bridge_runtime::offload;

#[offload(io)]
fn shared() -> impl Iterator<Item = Rc<u8>> {
    std::iter::empty()
}

fn main() {}
