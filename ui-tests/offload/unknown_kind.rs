// An unknown kind is reported at the word, naming the valid ones.
use bridge_runtime::offload;

#[offload(gpu)]
fn read(path: String) -> usize {
    path.len()
}

fn main() {}
