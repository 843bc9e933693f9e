//! A lock around a file: the lock's own `read`, `write` and `try_write`
//! take the lock and do no I/O, so they are not reported (what is done
//! with the file through the guard is: `ui-tests/nonblocking/file_behind_a_lock.rs`).

use std::sync::RwLock;

use bridge_runtime::nonblocking;

pub struct Log {
    file: RwLock<std::fs::File>,
}

impl Log {
    pub fn new(file: std::fs::File) -> Self {
        Log {
            file: RwLock::new(file),
        }
    }
}

#[nonblocking]
impl Log {
    pub async fn is_free(&self) -> bool {
        let guard = self.file.read();
        guard.is_ok()
    }

    pub async fn can_write(&self) -> bool {
        self.file.try_write().is_ok()
    }
}
