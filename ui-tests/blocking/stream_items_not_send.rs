// A stream of non-`Send` items without `local`: the error names `local`.
use std::rc::Rc;

use bridge_runtime::blocking;
use futures_core::Stream;

#[blocking]
async fn shared(n: u8) -> impl Stream<Item = Rc<u8>> {
    futures::stream::iter((0..n).map(Rc::new))
}

fn main() {
    let _ = shared(3).count();
}
