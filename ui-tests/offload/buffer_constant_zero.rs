// A constant `buffer` of 0 is reported at the value, at compile time.
use bridge_runtime::offload;

const NONE: usize = 0;

#[offload(io, buffer = NONE)]
fn lines() -> impl Iterator<Item = String> {
    std::iter::empty()
}

fn main() {}
