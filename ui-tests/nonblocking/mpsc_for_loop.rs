// `for .. in` a `std::sync::mpsc::Receiver`: each turn waits for a message.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn drain() -> u32 {
    let (tx, rx) = std::sync::mpsc::channel::<u32>();
    drop(tx);
    let mut total = 0;
    for n in &rx {
        total += n;
    }
    total
}

fn main() {}
