// On error the fn is still emitted: its sync caller compiles, the only error is the macro's.
use bridge_runtime::offload;

#[offload(io)]
fn read(path: &str) -> usize {
    path.len()
}

fn main() {
    let n: usize = read("config.toml");
    assert_eq!(n, 11);
}
