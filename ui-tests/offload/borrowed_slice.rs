// `&[u8]` argument: take `Vec<u8>`.
use bridge_runtime::offload;

#[offload(cpu)]
fn checksum(data: &[u8]) -> u64 {
    data.iter().map(|b| u64::from(*b)).sum()
}

fn main() {}
