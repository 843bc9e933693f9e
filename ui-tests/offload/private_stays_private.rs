// The visibility is kept: a private offloaded fn is not reachable from outside its module.
mod store {
    use bridge_runtime::offload;

    #[offload(io)]
    fn secret(key: String) -> usize {
        key.len()
    }

    #[offload(io, keep = open_blocking)]
    pub fn open(key: String) -> usize {
        key.len()
    }
}

fn main() {
    let _ = store::secret(String::new());
    let _ = store::open_blocking(String::new());
    let _ = store::open(String::new());
}
