// `accept` on a `std::net::TcpListener` in async code.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn serve() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let _ = listener.accept();
}

fn main() {}
