// Calling a `#[blocking]` fn of the same module from async code.
use bridge_runtime::nonblocking;

#[nonblocking]
mod api {
    use bridge_runtime::blocking;

    #[blocking]
    pub async fn fetch_len(url: String) -> usize {
        url.len()
    }

    pub async fn handler() -> usize {
        fetch_len("https://example.com".into())
    }
}

fn main() {}
