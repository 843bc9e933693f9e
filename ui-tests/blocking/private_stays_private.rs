// The visibility is kept: a private `#[blocking]` fn, and the kept async
// original of a public one, are not reachable from outside their module.
mod client {
    use bridge_runtime::blocking;

    #[blocking]
    async fn secret(key: String) -> usize {
        key.len()
    }

    #[blocking(keep = fetch_async)]
    pub(crate) async fn fetch(key: String) -> usize {
        key.len()
    }
}

fn main() {
    let _ = client::secret(String::new());
    let _ = client::fetch(String::new());
}
