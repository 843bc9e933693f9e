// On error the original fn is still emitted: its sync callers compile, and
// the macro's error is the only one.
use bridge_runtime::offload;

#[offload(io)]
fn read(path: &str) -> usize {
    path.len()
}

fn main() {
    let n: usize = read("config.toml");
    assert_eq!(n, 11);
}
