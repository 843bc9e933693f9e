//! std's reading fns and std's I/O traits called by path, on what is not
//! a file, a socket or standard input: bytes in memory, a generic reader,
//! tokio's types. None of them is reported (on `std::io::stdin()` or a
//! `std::fs::File` they are: `ui-tests/nonblocking/stdin_read_to_string.rs`,
//! `file_read_by_trait_path.rs`).

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

#[nonblocking]
pub async fn by_trait_path(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut reader = bytes;
    let mut read = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut read)?;
    let mut written = Vec::new();
    std::io::Write::write_all(&mut written, &read)?;
    let mut again = Vec::new();
    let mut reader = bytes;
    tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut again).await?;
    assert_eq!(again, written);
    Ok(written)
}

/// tokio's `Command::output` by its path: a future, made here and not run.
#[nonblocking]
pub async fn tokio_command_by_path() -> bool {
    let mut command = tokio::process::Command::new("ls");
    let pending = tokio::process::Command::output(&mut command);
    drop(pending);
    command.as_std().get_program() == "ls"
}
