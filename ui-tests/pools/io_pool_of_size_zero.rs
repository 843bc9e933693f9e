// An `IoPool` of size 0 could never run anything: refused when the static is compiled.
use bridge_runtime::IoPool;

static NONE: IoPool = IoPool::new("none", 0);

fn main() {
    let _ = &NONE;
}
