// The attribute on an impl block instead of on its fns.
use bridge_runtime::offload;

struct Db;

#[offload(io)]
impl Db {
    fn query(self, sql: String) -> usize {
        sql.len()
    }
}

fn main() {
    let _ = Db.query(String::new());
}
