// A `#[blocking]` body is async code, and checked the same way.
use bridge_runtime::blocking;

#[blocking]
async fn fetch() -> usize {
    std::thread::sleep(std::time::Duration::from_millis(5));
    1
}

fn main() {}
