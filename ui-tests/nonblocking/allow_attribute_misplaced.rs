// In plain code, `#[bridge_runtime::allow_blocking]` goes on a fn, an impl,
// a trait or a mod.
#[bridge_runtime::allow_blocking]
struct Config {
    path: String,
}

#[bridge_runtime::allow_blocking(reason)]
fn load() {}

fn main() {
    let _ = Config { path: String::new() }.path;
    load();
}
