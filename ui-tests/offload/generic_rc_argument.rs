// A non-`Send` argument whose type mentions a type parameter is reported
// at the argument's type, like any other.
use bridge_runtime::offload;
use std::rc::Rc;

#[offload(cpu)]
fn count<T: Send + 'static>(shared: Rc<Vec<T>>) -> usize {
    shared.len()
}

#[offload(cpu)]
fn first<I: Iterator + Send + 'static>(iter: I, extra: I::Item) -> usize {
    drop(extra);
    iter.count()
}

fn main() {}
