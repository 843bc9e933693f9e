//! std's reading fns and std's I/O traits called by path, on what is not
//! a file, a socket or standard input: bytes in memory, a generic reader,
//! tokio's types. None of them is reported (on `std::io::stdin()` they
//! are: `ui-tests/nonblocking/stdin_read_to_string.rs`).

use bridge_runtime::nonblocking;

#[nonblocking]
pub async fn in_memory(bytes: &[u8]) -> std::io::Result<(String, Vec<u8>)> {
    let text = std::io::read_to_string(bytes)?;
    let mut copied = Vec::new();
    let mut reader = bytes;
    std::io::copy(&mut reader, &mut copied)?;
    Ok((text, copied))
}

#[nonblocking]
pub async fn from_a_generic<R: std::io::Read>(reader: R) -> usize {
    std::io::read_to_string(reader).map_or(0, |text| text.len())
}

#[nonblocking]
pub async fn through_tokio(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut reader = bytes;
    let mut copied = Vec::new();
    tokio::io::copy(&mut reader, &mut copied).await?;
    Ok(copied)
}
