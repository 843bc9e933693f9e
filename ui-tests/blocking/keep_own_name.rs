// `keep =` naming the fn itself would define it twice.
use bridge_runtime::blocking;

#[blocking(keep = fetch)]
async fn fetch(url: String) -> usize {
    url.len()
}

fn main() {}
