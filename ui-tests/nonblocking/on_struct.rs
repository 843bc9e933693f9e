// On something that holds no code.
use bridge_runtime::nonblocking;

#[nonblocking]
struct Config {
    path: String,
}

fn main() {}
