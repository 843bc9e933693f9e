// `#[must_use]` is kept on the blocking fn.
#![deny(unused_must_use)]

use bridge_runtime::blocking;

#[must_use]
#[blocking]
async fn fetch_len(url: String) -> usize {
    url.len()
}

fn main() {
    fetch_len("https://example.invalid".into());
}
