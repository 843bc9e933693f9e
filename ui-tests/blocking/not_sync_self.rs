//! `&self` of a type that is not `Sync` under `#[blocking]`: the future is not `Send`, and the error says to write `local`.
use bridge_runtime::blocking;
use std::cell::RefCell;

pub struct Client {
    hits: RefCell<u32>,
}

impl Client {
    #[blocking]
    pub async fn get(&self, key: &str) -> usize {
        *self.hits.borrow_mut() += 1;
        key.len()
    }
}

fn main() {
    let c = Client { hits: RefCell::new(0) };
    assert_eq!(c.get("ab"), 2);
}
