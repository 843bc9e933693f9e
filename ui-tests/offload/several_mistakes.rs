// Independent mistakes in one item are all reported.
use bridge_runtime::offload;

struct Db;

impl Db {
    #[offload(io, fast)]
    fn query(&self, sql: &str) -> usize {
        sql.len()
    }
}

fn main() {}
