// A file behind a lock: taking the lock is fine, writing through its guard
// blocks on the disk.
use bridge_runtime::nonblocking;
use std::io::Write;
use std::sync::RwLock;

struct Log {
    file: RwLock<std::fs::File>,
}

#[nonblocking]
impl Log {
    async fn append(&self, line: &str) -> std::io::Result<()> {
        self.file.write().unwrap().write_all(line.as_bytes())
    }
}

fn main() {}
