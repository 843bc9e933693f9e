// A reference inside an argument's type.
use bridge_runtime::offload;

#[offload(io)]
fn count(names: Vec<&str>) -> usize {
    names.len()
}

fn main() {}
