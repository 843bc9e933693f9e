// An async block inside a sync fn is async code too.
use bridge_runtime::nonblocking;

#[nonblocking]
fn make() -> impl std::future::Future<Output = ()> {
    async {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

fn main() {}
