// `std::thread::scope` makes the caller wait for every thread of the scope.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn sum(parts: Vec<Vec<u64>>) -> u64 {
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .iter()
            .map(|part| s.spawn(move || part.iter().sum::<u64>()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    })
}

fn main() {}
