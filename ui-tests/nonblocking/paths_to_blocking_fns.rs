// `self::`, `super::` and `crate::` paths to a `#[blocking]` fn.
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

fn main() {}
