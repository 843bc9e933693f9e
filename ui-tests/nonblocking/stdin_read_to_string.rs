// `std::io::stdin()` given to a std fn that reads it.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn answer() -> std::io::Result<String> {
    std::io::read_to_string(std::io::stdin())
}

fn main() {}
