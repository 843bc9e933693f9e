// `status` on a `Command` kept in a variable.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn list() -> bool {
    use std::process::Command;
    let mut command = Command::new("ls");
    command.arg("-l");
    command.status().is_ok()
}

fn main() {}
