// A `CpuPool` of 0 threads: refused when the static is compiled.
use bridge_runtime::CpuPool;

static NONE: CpuPool = CpuPool::new("none", 0);

fn main() {
    let _ = &NONE;
}
