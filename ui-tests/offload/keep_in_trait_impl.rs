// `keep` in a trait impl: the kept fn cannot be a member of the trait.
use bridge_runtime::offload;

trait Load {
    async fn load(self) -> usize;
}

struct File(String);

impl Load for File {
    #[offload(io, keep = load_blocking)]
    fn load(self) -> usize {
        self.0.len()
    }
}

fn main() {}
