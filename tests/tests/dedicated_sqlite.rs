//! A real SQLite connection, which must stay on one thread, used from many
//! async tasks through `Dedicated`, while a heartbeat on the same
//! current-thread runtime stays punctual.

use std::time::{Duration, Instant};

use bridge_runtime::Dedicated;

const TASKS: u64 = 50;
const ROWS_PER_TASK: u64 = 200;

#[tokio::test]
async fn ten_thousand_rows_from_many_tasks_none_lost_and_the_heartbeat_keeps_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rows.db");
    let db = Dedicated::spawn_named("sqlite", move || {
        let connection = rusqlite::Connection::open(path).expect("open");
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
                 CREATE TABLE rows (task INTEGER NOT NULL, n INTEGER NOT NULL);",
            )
            .expect("schema");
        connection
    });

    let writers: Vec<_> = (0..TASKS)
        .map(|task| {
            let db = db.clone();
            tokio::spawn(async move {
                for n in 0..ROWS_PER_TASK {
                    db.call(move |c| {
                        c.execute("INSERT INTO rows (task, n) VALUES (?1, ?2)", (task, n))
                    })
                    .await
                    .expect("insert");
                }
            })
        })
        .collect();
    let all_written = tokio::spawn(futures::future::join_all(writers));

    // The heartbeat runs on the same (only) thread as the 50 writers.
    let mut lateness = Vec::new();
    while !all_written.is_finished() {
        let asked = Instant::now();
        tokio::time::sleep(Duration::from_millis(1)).await;
        lateness.push(asked.elapsed().saturating_sub(Duration::from_millis(1)));
    }
    for writer in all_written.await.expect("writers") {
        writer.expect("writer");
    }

    let (count, sum): (u64, u64) = db
        .call(|c| {
            c.query_row("SELECT COUNT(*), SUM(task * 1000 + n) FROM rows", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
        })
        .await
        .expect("query");
    let expected_sum: u64 = (0..TASKS)
        .flat_map(|task| (0..ROWS_PER_TASK).map(move |n| task * 1000 + n))
        .sum();
    assert_eq!(count, TASKS * ROWS_PER_TASK);
    assert_eq!(sum, expected_sum);

    lateness.sort();
    assert!(
        lateness.len() > 10,
        "the heartbeat barely ran: {} ticks",
        lateness.len()
    );
    let p99 = lateness[lateness.len() * 99 / 100];
    // Inline SQLite calls would hold the only thread for the whole load;
    // through `Dedicated` the heartbeat is late by a few ms at most. The
    // bound is wide for a noisy machine.
    assert!(
        p99 < Duration::from_millis(20),
        "heartbeat p99 lateness {p99:?}"
    );
}

#[tokio::test]
async fn a_database_that_cannot_be_opened_is_an_error_of_try_spawn() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("no-such-directory").join("rows.db");
    let opened = Dedicated::try_spawn(move || rusqlite::Connection::open(path)).await;
    let error = opened.map(|_| ()).expect_err("cannot open");
    assert!(
        matches!(error, rusqlite::Error::SqliteFailure(..)),
        "{error:?}"
    );
}

#[tokio::test]
async fn close_returns_once_the_connection_is_closed_and_its_log_checkpointed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("closed.db");
    let wal = dir.path().join("closed.db-wal");
    let db = Dedicated::try_spawn({
        let path = path.clone();
        move || rusqlite::Connection::open(path)
    })
    .await
    .expect("open");
    db.call(|c| {
        c.execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER);
             INSERT INTO t VALUES (1), (2), (3);",
        )
    })
    .await
    .expect("write");
    assert!(wal.exists(), "a WAL database has its log open");
    db.close().await;
    // SQLite checkpoints and removes the log when the last connection closes.
    assert!(
        !wal.exists(),
        "the connection was not closed when close returned"
    );
    let reopened = rusqlite::Connection::open(path).expect("reopen");
    let n: i64 = reopened
        .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n, 3);
}
