// `keep = Self::name` in an impl of a trait, for a generic type and an
// associated fn without a receiver: the kept fn still cannot be a member of
// the trait.
use bridge_runtime::offload;

trait Make {
    async fn make(n: usize) -> Self;
}

struct Wrapper<T>(Vec<T>);

impl<T: Default + Send + 'static> Make for Wrapper<T> {
    #[offload(cpu, keep = Self::make_blocking)]
    fn make(n: usize) -> Self {
        Wrapper((0..n).map(|_| T::default()).collect())
    }
}

fn main() {}
