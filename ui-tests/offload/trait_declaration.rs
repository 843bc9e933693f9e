// On a trait method without a body.
use bridge_runtime::offload;

trait Store {
    #[offload(io)]
    fn load(self, key: String) -> Option<String>;
}

fn main() {}
