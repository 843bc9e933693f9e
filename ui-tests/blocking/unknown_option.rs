// An unknown option is reported at its name, with the options there are.
use bridge_runtime::blocking;

#[blocking(timeout = 5)]
async fn fetch(url: String) -> usize {
    url.len()
}

fn main() {}
