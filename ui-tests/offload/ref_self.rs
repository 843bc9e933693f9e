// `&self`: the body runs after the call returned.
use bridge_runtime::offload;

struct Db;

impl Db {
    #[offload(io)]
    fn query(&self, sql: String) -> usize {
        sql.len()
    }
}

fn main() {}
