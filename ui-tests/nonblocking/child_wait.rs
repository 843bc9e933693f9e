// `spawn().wait()` of a `std::process::Command`.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn run() {
    if let Ok(mut child) = std::process::Command::new("true").spawn() {
        let _ = child.kill();
    }
    let _ = std::process::Command::new("true").spawn().map(|mut c| c.kill());
    let child = std::process::Command::new("true").spawn();
    let _ = child.unwrap().wait();
}

fn main() {}
