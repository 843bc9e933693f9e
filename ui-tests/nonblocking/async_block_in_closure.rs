// Blocking inside an `async` block inside a closure.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn fetch_all(names: Vec<String>) {
    let tasks: Vec<_> = names
        .into_iter()
        .map(|name| async move { std::fs::read(&name).map(|b| b.len()) })
        .collect();
    let retry = || async { std::thread::sleep(std::time::Duration::from_millis(1)) };
    retry().await;
    drop(tasks);
}

struct Jobs;

#[nonblocking]
impl Jobs {
    // A sync fn, whose closure makes async code.
    fn make(&self) -> impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
        || Box::pin(async { std::thread::sleep(std::time::Duration::from_millis(1)) })
    }
}

fn main() {}
