// `local` is a flag.
use bridge_runtime::blocking;

#[blocking(local = true)]
async fn fetch(url: String) -> usize {
    url.len()
}

fn main() {}
