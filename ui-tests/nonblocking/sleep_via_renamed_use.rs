// `use std::thread::sleep as nap;` inside a checked module.
use bridge_runtime::nonblocking;

#[nonblocking]
mod jobs {
    use std::thread::sleep as nap;

    pub async fn poll() {
        nap(std::time::Duration::from_millis(10));
    }
}

fn main() {}
