// The attribute given twice: one error, at the second.
use bridge_runtime::blocking;

#[blocking]
#[blocking]
async fn fetch(url: String) -> usize {
    url.len()
}

fn main() {}
