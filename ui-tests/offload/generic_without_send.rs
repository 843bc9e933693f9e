// A type parameter without `Send + 'static` is reported at the parameter.
use bridge_runtime::offload;

#[offload(cpu)]
fn largest<T: Ord>(mut items: Vec<T>) -> Option<T> {
    items.sort();
    items.pop()
}

fn main() {}
