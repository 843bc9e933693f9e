// Opening a file through `OpenOptions` or `File::options()` blocks too.
use bridge_runtime::nonblocking;
use std::fs::{File, OpenOptions};

#[nonblocking]
async fn append(path: std::path::PathBuf) -> std::io::Result<()> {
    let _log = OpenOptions::new().create(true).append(true).open(&path)?;
    let _same = File::options().read(true).open(&path)?;
    Ok(())
}

fn main() {}
