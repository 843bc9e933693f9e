// The attribute on a struct.
use bridge_runtime::offload;

#[offload(io)]
struct Reader {
    path: String,
}

fn main() {}
