// `self: Rc<Self>`: not `Send`, reported at the receiver's type.
use std::rc::Rc;

use bridge_runtime::offload;

struct Db;

impl Db {
    #[offload(io)]
    fn query(self: Rc<Self>, sql: String) -> usize {
        sql.len()
    }
}

fn main() {}
