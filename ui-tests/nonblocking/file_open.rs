// `std::fs::File::open` through `use std::fs::File;`.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn open() -> bool {
    use std::fs::File;
    File::open("config.toml").is_ok()
}

fn main() {}
