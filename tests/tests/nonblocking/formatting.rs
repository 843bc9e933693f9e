//! `write!` and `writeln!` into what is not a file or a socket: a `String`,
//! a `Vec<u8>`, a `Formatter`, standard output; and into a `std::fs::File`
//! through a `writeln!` macro of one's own, which is not std's. None of
//! them is reported (a `writeln!` into a `std::fs::File` is:
//! `ui-tests/nonblocking/file_writeln.rs`).

use std::fmt;

use bridge_runtime::nonblocking;
use tokio::io::AsyncWriteExt;

pub struct Celsius(pub i32);

#[nonblocking]
impl fmt::Display for Celsius {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} °C", self.0)
    }
}

/// Into any writer: its type is not seen.
#[nonblocking]
pub async fn into_a_generic(out: &mut impl std::io::Write, t: &Celsius) -> bool {
    writeln!(out, "{t}").is_ok()
}

#[nonblocking]
pub async fn into_memory(t: Celsius) -> (String, Vec<u8>) {
    use std::fmt::Write as _;
    use std::io::Write as _;
    let mut text = String::new();
    let _ = writeln!(text, "{t}");
    let mut buf: Vec<u8> = Vec::new();
    let _ = write!(buf, "{}", t.0);
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{t}");
    // Displaying is formatting, whatever `write!` is called in.
    let shown = format!("{t}");
    let _ = write!(text, "{shown}");
    (text, buf)
}

#[nonblocking]
pub async fn through_tokio(path: std::path::PathBuf) -> std::io::Result<u64> {
    let mut file = tokio::fs::File::create(&path).await?;
    let line = format!("{}\n", Celsius(21));
    file.write_all(line.as_bytes()).await?;
    file.flush().await?;
    Ok(tokio::fs::metadata(&path).await?.len())
}

#[nonblocking]
pub mod own_macro {
    /// A `writeln!` of one's own, which writes nothing.
    macro_rules! writeln {
        ($into:expr, $($rest:tt)*) => {{
            let _: &std::fs::File = &$into;
            true
        }};
    }

    pub async fn counted(file: std::fs::File) -> bool {
        writeln!(file, "not written")
    }
}
