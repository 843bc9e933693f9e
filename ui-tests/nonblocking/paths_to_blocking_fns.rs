// `self::`, `super::` and `crate::` paths to a `#[blocking]` fn, and
// `self.method()` / `Self::method` for a `#[blocking]` method.
use bridge_runtime::nonblocking;

mod client {
    use bridge_runtime::blocking;

    #[blocking]
    pub async fn fetch_len(url: String) -> usize {
        url.len()
    }
}

#[nonblocking]
mod handlers {
    pub async fn by_crate() -> usize {
        crate::client::fetch_len("a".into())
    }

    pub async fn by_super() -> usize {
        super::client::fetch_len("b".into())
    }

    pub mod nested {
        pub async fn by_self_and_super() -> usize {
            self::super::super::client::fetch_len("c".into())
        }
    }
}

#[nonblocking]
async fn through_use() -> usize {
    use crate::client::fetch_len as fetch;
    fetch("d".into())
}

struct Client;

#[nonblocking]
impl Client {
    #[bridge_runtime::blocking]
    async fn fetch(&self) -> usize {
        1
    }

    async fn by_self(&self) -> usize {
        self.fetch() + Self::fetch(self)
    }
}

fn main() {}
