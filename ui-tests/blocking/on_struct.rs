// The attribute on something that is not a fn.
use bridge_runtime::blocking;

#[blocking]
struct Client {
    url: String,
}

fn main() {}
