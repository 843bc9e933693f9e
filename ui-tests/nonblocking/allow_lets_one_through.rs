// `#[allow_blocking]` lets its own statement through, not the next one.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn start(path: &str) -> u64 {
    let mut total = 0;
    #[allow_blocking]
    total += std::fs::metadata(path).map_or(0, |m| m.len());
    total += std::fs::metadata(path).map_or(0, |m| m.len());
    total
}

fn main() {}
