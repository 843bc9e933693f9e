// A receiver known from a parameter's type, a listener from a field's.
use bridge_runtime::nonblocking;

struct Server {
    listener: std::net::TcpListener,
}

#[nonblocking]
impl Server {
    async fn next(&self, rx: std::sync::mpsc::Receiver<u8>) -> Option<u8> {
        let _ = self.listener.accept();
        rx.recv().ok()
    }
}

fn main() {}
