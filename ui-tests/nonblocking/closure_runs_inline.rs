// A closure that runs inline (here in `map`) is still on the executor.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn sizes(paths: Vec<String>) -> Vec<usize> {
    paths
        .iter()
        .map(|p| std::fs::read(p).map_or(0, |b| b.len()))
        .collect()
}

fn main() {}
