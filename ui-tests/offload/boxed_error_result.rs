// `Box<dyn Error>` result: not `Send`, reported at the result type.
use bridge_runtime::offload;

#[offload(io)]
fn read(path: String) -> Result<String, Box<dyn std::error::Error>> {
    Ok(std::fs::read_to_string(path)?)
}

fn main() {}
