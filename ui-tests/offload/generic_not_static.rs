// A type parameter that is `Send` but not `'static` is reported at the parameter.
use bridge_runtime::offload;

#[offload(cpu)]
fn consume<T: Send>(value: T) -> usize {
    drop(value);
    1
}

fn main() {}
