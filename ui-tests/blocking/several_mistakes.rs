// Independent mistakes are all reported, each at its token, and the item is
// still emitted without its attributes.
use bridge_runtime::blocking;

#[blocking(io, keep = fetch)]
#[blocking]
async fn fetch(url: String) -> usize {
    std::thread::sleep(std::time::Duration::from_millis(1));
    url.len()
}

fn main() {}
