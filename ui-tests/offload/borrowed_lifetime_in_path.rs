// A type that borrows through a lifetime argument: `Cow<'_, str>`.
use std::borrow::Cow;

use bridge_runtime::offload;

#[offload(io)]
fn read(path: Cow<'_, str>) -> usize {
    path.len()
}

fn main() {}
