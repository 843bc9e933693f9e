// On error a method is still emitted: its sync caller compiles, the only error is the macro's.
use bridge_runtime::offload;

struct Db;

impl Db {
    #[offload(io)]
    fn query(&self, sql: String) -> usize {
        sql.len()
    }
}

fn main() {
    let n: usize = Db.query(String::from("select 1"));
    assert_eq!(n, 8);
}
