// `#[must_use]` is kept on the async fn: its awaited result may not be dropped.
#![deny(unused_must_use)]

use bridge_runtime::offload;

#[must_use]
#[offload(io)]
fn checksum(data: Vec<u8>) -> u64 {
    data.iter().map(|&b| u64::from(b)).sum()
}

async fn caller() {
    checksum(vec![1, 2]).await;
}

fn main() {
    bridge_runtime::block_on(caller());
}
