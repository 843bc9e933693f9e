// An associated fn whose signature does not show it is one: `keep = NAME`
// is taken for a free fn, and rustc's suggestion is the fix, `Self::NAME`.
use bridge_runtime::offload;

struct Math;

impl Math {
    #[offload(cpu, keep = double_blocking)]
    fn double(n: u32) -> u32 {
        n * 2
    }
}

fn main() {}
