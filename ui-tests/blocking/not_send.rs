// A future that is not `Send`, without `local`: the error is at the fn's name.
use std::rc::Rc;

use bridge_runtime::blocking;

#[blocking]
async fn count(values: Vec<u32>) -> usize {
    let shared = Rc::new(values);
    tokio::task::yield_now().await;
    shared.len()
}

fn main() {
    count(vec![1]);
}
