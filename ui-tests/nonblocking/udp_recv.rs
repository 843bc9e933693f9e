// Receiving on a `std::net::UdpSocket` in async code.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn listen() {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let mut buffer = [0u8; 16];
    let _ = socket.recv_from(&mut buffer);
}

fn main() {}
