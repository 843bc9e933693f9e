// An `extern "C"` fn cannot become async.
use bridge_runtime::offload;

#[offload(cpu)]
extern "C" fn double(n: u32) -> u32 {
    n * 2
}

fn main() {}
