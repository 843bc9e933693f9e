// Reading `std::io::stdin()` in async code.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn ask() -> String {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).ok();
    line
}

fn main() {}
