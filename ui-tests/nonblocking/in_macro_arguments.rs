// Blocking calls inside the arguments of the common std macros.
use bridge_runtime::nonblocking;
use std::fmt::Write as _;

#[nonblocking]
async fn report(path: &str) -> std::io::Result<String> {
    println!("{}", std::fs::read_to_string(path)?);
    let mut out = format!("{:?}", std::fs::metadata(path)?.len());
    assert!(std::fs::exists(path)?, "{path} is gone");
    let _ = write!(out, "{}", std::fs::read(path)?.len());
    let _all = vec![std::fs::read(path)?];
    Ok(out)
}

fn main() {}
