// `&mut self`.
use bridge_runtime::offload;

struct Db(u32);

impl Db {
    #[offload(io)]
    fn bump(&mut self) -> u32 {
        self.0 += 1;
        self.0
    }
}

fn main() {}
