// A lifetime parameter that only the result borrows for.
use bridge_runtime::offload;

#[offload(io)]
fn first<'a>(names: Vec<String>) -> Option<&'a str> {
    names.first().map(|_| "first")
}

fn main() {}
