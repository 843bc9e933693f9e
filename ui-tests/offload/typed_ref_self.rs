// `self: &Self`, spelled out.
use bridge_runtime::offload;

struct Db;

impl Db {
    #[offload(io)]
    fn query(self: &Self, sql: String) -> usize {
        sql.len()
    }
}

fn main() {}
