// `&Path` argument: take `PathBuf`.
use std::path::Path;

use bridge_runtime::offload;

#[offload(io)]
fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

fn main() {}
