// A non-`Send` `impl Trait` inside a destructured argument is reported at its type.
use bridge_runtime::offload;

#[offload(io)]
fn show((value, times): (impl std::fmt::Display + 'static, usize)) -> String {
    value.to_string().repeat(times)
}

fn main() {}
