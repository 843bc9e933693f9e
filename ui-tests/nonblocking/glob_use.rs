// A path brought in by a glob import of std.
use bridge_runtime::nonblocking;
use std::net::*;

#[nonblocking]
async fn connect() -> bool {
    TcpStream::connect("127.0.0.1:9").is_ok()
}

fn main() {}
