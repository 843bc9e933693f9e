// `writeln!` into a `std::fs::File`: the macro calls the file's `write_fmt`.
use std::io::Write;

use bridge_runtime::nonblocking;

#[nonblocking]
async fn log_line(mut file: std::fs::File, line: &str) -> std::io::Result<()> {
    writeln!(file, "{line}")
}

fn main() {}
