// A lifetime parameter used only inside a closure type's arguments: the
// argument itself owns nothing borrowed, so the lifetime is what is reported.
use bridge_runtime::offload;

#[offload(cpu)]
fn apply<'a>(f: Box<dyn Fn(&'a str) -> usize + Send>) -> usize {
    f("four")
}

fn main() {}
