// `std::process::Command::output` in async code.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn list() -> bool {
    std::process::Command::new("ls").arg("-l").output().is_ok()
}

fn main() {}
