// `keep` in a trait impl: the kept fn cannot be a member of the trait.
use bridge_runtime::blocking;

trait Fetch {
    fn fetch(&self) -> usize;
}

struct Client;

impl Fetch for Client {
    #[blocking(keep = fetch_async)]
    async fn fetch(&self) -> usize {
        1
    }
}

fn main() {}
