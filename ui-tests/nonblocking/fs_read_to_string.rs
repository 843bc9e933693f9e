// `std::fs` functions in async code.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn load() -> String {
    std::fs::read_to_string("config.toml").unwrap_or_default()
}

fn main() {}
