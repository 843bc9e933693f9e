//! A SQLite connection (which must stay on one thread) used from many async
//! tasks through `Dedicated`: 10,000 inserts from 50 concurrent tasks, read
//! back and checked, with the insert rate printed.
//!
//! ```text
//! cargo run --release -p bridge-runtime --example sqlite
//! ```

use std::error::Error;
use std::time::Instant;

use bridge_runtime::Dedicated;

const TASKS: u64 = 50;
const ROWS_PER_TASK: u64 = 200;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("example.db");
    // The connection is opened on its own thread and never leaves it. If
    // opening fails, the error comes back here.
    let db = Dedicated::builder()
        .name("sqlite")
        .try_spawn(move || rusqlite::Connection::open(path))
        .await?;
    db.call(|c| {
        c.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
             CREATE TABLE rows (task INTEGER NOT NULL, n INTEGER NOT NULL);",
        )
    })
    .await?;

    let started = Instant::now();
    let writers: Vec<_> = (0..TASKS)
        .map(|task| {
            let db = db.clone();
            tokio::spawn(async move {
                for n in 0..ROWS_PER_TASK {
                    db.call(move |c| {
                        c.execute("INSERT INTO rows (task, n) VALUES (?1, ?2)", (task, n))
                    })
                    .await?;
                }
                Ok::<(), rusqlite::Error>(())
            })
        })
        .collect();
    for writer in writers {
        writer.await??;
    }
    let elapsed = started.elapsed();

    let count: u64 = db
        .call(|c| c.query_row("SELECT COUNT(*) FROM rows", [], |r| r.get(0)))
        .await?;
    if count != TASKS * ROWS_PER_TASK {
        return Err(format!("lost rows: {count} of {}", TASKS * ROWS_PER_TASK).into());
    }
    println!(
        "{count} rows from {TASKS} concurrent tasks in {:.0} ms: {:.0} rows/s, none lost",
        elapsed.as_secs_f64() * 1e3,
        count as f64 / elapsed.as_secs_f64()
    );
    // Closes the connection (checkpointing its log) before the temporary
    // directory is removed.
    db.close().await;
    Ok(())
}
