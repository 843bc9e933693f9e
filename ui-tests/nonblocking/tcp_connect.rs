// `std::net::TcpStream::connect` in async code.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn dial() -> bool {
    std::net::TcpStream::connect("127.0.0.1:9").is_ok()
}

fn main() {}
