// `Command::output` called through the type's path.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn list() -> bool {
    let mut command = std::process::Command::new("ls");
    std::process::Command::output(&mut command).is_ok()
}

fn main() {}
