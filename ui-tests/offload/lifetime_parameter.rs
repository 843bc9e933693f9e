// An explicit lifetime parameter lets arguments borrow.
use bridge_runtime::offload;

#[offload(io)]
fn first<'a>(names: Vec<String>, _tag: std::marker::PhantomData<&'a ()>) -> Option<String> {
    names.into_iter().next()
}

fn main() {}
