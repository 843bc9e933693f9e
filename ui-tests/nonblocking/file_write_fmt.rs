// `write_fmt` on a `std::fs::File` given as a parameter.
use std::io::Write;

use bridge_runtime::nonblocking;

#[nonblocking]
async fn log_line(file: &mut std::fs::File, line: &str) -> std::io::Result<()> {
    file.write_fmt(format_args!("{line}\n"))
}

fn main() {}
