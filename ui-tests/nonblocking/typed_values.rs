// A receiver known from a parameter's type, a listener from a field's, a
// rayon pool from a static's.
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

static POOL: std::sync::LazyLock<rayon::ThreadPool> = std::sync::LazyLock::new(|| {
    rayon::ThreadPoolBuilder::new()
        .build()
        .expect("a pool")
});

#[nonblocking]
async fn from_a_static() -> u32 {
    POOL.install(|| 1)
}

fn main() {}
