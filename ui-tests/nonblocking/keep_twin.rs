// The blocking original kept by `#[offload(.., keep = ..)]`.
use bridge_runtime::{nonblocking, offload};

#[offload(io, keep = read_config_sync)]
fn read_config(path: std::path::PathBuf) -> std::io::Result<String> {
    std::fs::read_to_string(path)
}

#[nonblocking]
async fn handler() -> usize {
    read_config_sync("app.toml".into()).map_or(0, |s| s.len())
}

fn main() {}
