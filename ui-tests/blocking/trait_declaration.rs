// On a trait method without a body: the attribute goes on the impl's fn.
use bridge_runtime::blocking;

trait Fetch {
    #[blocking]
    async fn fetch(&self, url: String) -> usize;
}

fn main() {}
