// A `std::fs::File`'s read, called through the `Read` trait's path.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn load(mut file: std::fs::File) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut bytes)?;
    Ok(bytes)
}

fn main() {}
