//! A small web service with axum and bridge: each kind of blocking work goes
//! where it belongs, and the executor stays free for the requests.
//!
//! - `POST /users/{name}` (the password as the body) and `POST /login/{name}`:
//!   an `#[offload(cpu)]` password hash, users kept in SQLite;
//! - `GET /files/{name}`: an `#[offload(io)]` file read;
//! - a `Dedicated` SQLite connection, used from every handler;
//! - `GET /scan/{rows}`: a long scan that stops when the client goes away
//!   (`checkpoint()?` in the offloaded body), on a pool of one thread;
//! - a `Watchdog` that names the handler that blocked the executor, and
//!   `GET /mistake`, a handler that does (the mistake the watchdog is for);
//! - `GET /stats`: what the pools and the watchdog counted.
//!
//! ```text
//! cargo run -p bridge-runtime --example axum                  # serves 127.0.0.1:3000 until Ctrl-C
//! cargo run -p bridge-runtime --example axum -- --self-test   # serves 127.0.0.1 on a free port, checks itself, exits
//! ```
//!
//! With the server running:
//!
//! ```text
//! curl -d 'correct horse' localhost:3000/users/ada
//! curl -d 'correct horse' localhost:3000/login/ada
//! curl localhost:3000/files/hello.txt
//! curl -m 1 localhost:3000/scan/100000     # gives up after 1 s; the scan stops too
//! curl localhost:3000/mistake; curl localhost:3000/stats
//! ```

use std::collections::hash_map::RandomState;
use std::error::Error;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bridge_runtime::{Cancelled, CpuPool, Dedicated, IoPool, Watchdog, offload};
use rusqlite::OptionalExtension;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing_subscriber::layer::SubscriberExt;

/// What every handler can reach. Cheap to clone: axum clones it per request.
#[derive(Clone)]
struct App {
    /// One SQLite connection on a thread of its own.
    db: Dedicated<rusqlite::Connection>,
    /// Where `GET /files/{name}` reads.
    files: Arc<PathBuf>,
    watchdog: Arc<Watchdog>,
}

/// An error a handler returns: its status and a line of text.
struct AppError(StatusCode, String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(error: rusqlite::Error) -> Self {
        AppError(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
    }
}

/// What `checkpoint()?` returns once the client is gone. Nobody reads this
/// response: the connection it was for is closed.
impl From<Cancelled> for AppError {
    fn from(cancelled: Cancelled) -> Self {
        AppError(StatusCode::SERVICE_UNAVAILABLE, cancelled.to_string())
    }
}

// ---------------------------------------------------------------------------
// CPU-heavy work: a password hash, on rayon.

/// Rounds of the hash: enough to take milliseconds, as a password hash should.
const ROUNDS: u32 = 200_000;

/// An iterated 64-bit hash of the salt and the password: CPU work of the
/// kind a password hash does, on rayon's pool instead of an executor thread.
/// A stand-in that needs no dependency: a real service uses a real password
/// hash (argon2, scrypt, bcrypt), offloaded the same way.
#[offload(cpu)]
fn hash_password(password: String, salt: u64) -> u64 {
    let mut hash = salt ^ 0xcbf2_9ce4_8422_2325;
    for byte in password.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    for round in 0..ROUNDS {
        hash ^= hash >> 29;
        hash = (hash ^ u64::from(round)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        hash ^= hash >> 32;
    }
    hash
}

/// `POST /users/{name}` with the password as the body: 201, or 409 if the
/// name is taken.
#[tracing::instrument(skip(app, password))]
async fn register(
    State(app): State<App>,
    Path(name): Path<String>,
    password: String,
) -> Result<StatusCode, AppError> {
    let salt = RandomState::new().hash_one(&name);
    let hash = hash_password(password, salt).await; // rayon works, the executor is free
    let stored = format!("{salt:016x}${hash:016x}");
    let inserted = app
        .db
        .call(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO users (name, hash) VALUES (?1, ?2)",
                (name, stored),
            )
        })
        .await?;
    Ok(if inserted == 1 {
        StatusCode::CREATED
    } else {
        StatusCode::CONFLICT
    })
}

/// `POST /login/{name}` with the password as the body: 200 or 401.
#[tracing::instrument(skip(app, password))]
async fn login(
    State(app): State<App>,
    Path(name): Path<String>,
    password: String,
) -> Result<StatusCode, AppError> {
    let stored: Option<String> = app
        .db
        .call(move |c| {
            c.query_row("SELECT hash FROM users WHERE name = ?1", [name], |row| {
                row.get(0)
            })
            .optional()
        })
        .await?;
    let Some((salt, hash)) = stored.as_deref().and_then(|s| s.split_once('$')) else {
        return Ok(StatusCode::UNAUTHORIZED);
    };
    let salt = u64::from_str_radix(salt, 16)
        .map_err(|e| AppError(StatusCode::INTERNAL_SERVER_ERROR, format!("bad salt: {e}")))?;
    let given = hash_password(password, salt).await;
    Ok(if format!("{given:016x}") == hash {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    })
}

// ---------------------------------------------------------------------------
// Blocking I/O: a file read, on tokio's blocking pool.

/// `GET /files/{name}`: the file's text, 404 if there is none, 400 for a
/// name that could leave the directory.
///
/// The whole handler is offloaded. `#[offload]` goes above
/// `#[axum::debug_handler]`: attributes expand from the top, so
/// `debug_handler` then checks the `async fn` that `#[offload]` made. The
/// other way round, it checks the blocking `fn` and fails with "`Result<..>`
/// is not a future".
#[offload(io)]
#[axum::debug_handler]
fn read_file(State(app): State<App>, Path(name): Path<String>) -> Result<String, AppError> {
    let safe = !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !safe {
        return Err(AppError(
            StatusCode::BAD_REQUEST,
            format!("bad name {name:?}"),
        ));
    }
    std::fs::read_to_string(app.files.join(&name)).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => AppError(StatusCode::NOT_FOUND, format!("no file {name}")),
        _ => AppError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    })
}

// ---------------------------------------------------------------------------
// A long scan that stops when the client goes away.

/// Scans run one at a time: a scan left running by a client that went away
/// would hold up the next one.
/// `.timed()`: its stats measure queue wait and run time.
static SCANS: IoPool = IoPool::new("scan", 1).timed();

/// Rows the scans have read, all together: shows that a scan stopped early.
static ROWS_READ: AtomicU64 = AtomicU64::new(0);

/// The most rows one request may ask for.
const MAX_ROWS: u64 = 1_000_000;

/// `GET /scan/{rows}`: reads `rows` rows, a millisecond each, and counts
/// those that match. When the client disconnects, hyper drops this
/// handler's future, `checkpoint()` returns `Err(Cancelled)`, and the scan
/// stops at its next row, freeing the pool's only thread.
#[offload(io, pool = SCANS)]
fn scan(Path(rows): Path<u64>) -> Result<String, AppError> {
    if rows > MAX_ROWS {
        return Err(AppError(
            StatusCode::BAD_REQUEST,
            format!("at most {MAX_ROWS} rows"),
        ));
    }
    let mut matched = 0;
    for row in 0..rows {
        bridge_runtime::checkpoint()?;
        std::thread::sleep(Duration::from_millis(1)); // stands for reading one row from slow storage
        ROWS_READ.fetch_add(1, Ordering::Relaxed);
        matched += u64::from(row % 7 == 0);
    }
    Ok(format!("{matched} of {rows} rows match\n"))
}

// ---------------------------------------------------------------------------
// The watchdog, and the mistake it is for.

/// `GET /mistake`: blocks its executor thread for 300 ms, as a synchronous
/// call in async code does. Every task queued on that thread waits; the
/// watchdog reports it, naming this handler's span.
#[tracing::instrument]
async fn mistake() -> &'static str {
    std::thread::sleep(Duration::from_millis(300)); // what `#[nonblocking]` would have rejected
    "blocked an executor thread for 300 ms\n"
}

/// `GET /stats`: the pools' counters and the watchdog's stalls.
async fn stats(State(app): State<App>) -> String {
    let mut out = String::new();
    for (name, stats) in [
        ("cpu", CpuPool::global().stats()),
        ("io", IoPool::global().stats()),
        ("scan", SCANS.stats()),
        ("sqlite", app.db.stats()),
    ] {
        out += &format!(
            "{name}: {} completed, {} running, {} queued, {} abandoned, {:?} queue wait, {:?} run time\n",
            stats.completed,
            stats.running,
            stats.queued,
            stats.abandoned,
            stats.queue_wait,
            stats.run_time
        );
    }
    out += &format!("watchdog: {} stalls\n", app.watchdog.stalls());
    for stall in app.watchdog.recent_stalls() {
        out += &format!("  {stall}\n");
    }
    out
}

// ---------------------------------------------------------------------------
// The server.

async fn open_db(path: PathBuf) -> Result<Dedicated<rusqlite::Connection>, rusqlite::Error> {
    // The connection is opened on its own thread and never leaves it.
    let db = Dedicated::builder()
        .name("sqlite")
        .try_spawn(move || rusqlite::Connection::open(path))
        .await?;
    db.call(|c| {
        c.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, hash TEXT NOT NULL);",
        )
    })
    .await?;
    Ok(db)
}

fn router(app: App) -> Router {
    Router::new()
        .route("/users/{name}", post(register))
        .route("/login/{name}", post(login))
        .route("/files/{name}", get(read_file))
        .route("/scan/{rows}", get(scan))
        .route("/mistake", get(mistake))
        .route("/stats", get(stats))
        .with_state(app)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let self_test = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--self-test") => true,
        Some(other) => return Err(format!("unknown argument {other:?}: try --self-test").into()),
    };

    // The watchdog's layer lets its reports name the span a blocked thread
    // was in: the `#[tracing::instrument]`ed handler. Beside it, a real
    // service has its log layer (`tracing_subscriber::fmt::layer()`, ...).
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(Watchdog::layer()),
    )?;
    // The default pools count their calls; measuring queue wait and run
    // time too costs three clock reads a call, worth it to see where time
    // goes (`GET /stats`).
    IoPool::global().set_timing(true);
    CpuPool::global().set_timing(true);
    let watchdog = Watchdog::start(Watchdog::DEFAULT_THRESHOLD)
        .on_stall(|stall| eprintln!("watchdog: {stall}"));

    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("hello.txt"), "hello from a blocking read\n")?;
    let db = open_db(dir.path().join("users.db")).await?;
    let app = App {
        db: db.clone(),
        files: Arc::new(dir.path().to_owned()),
        watchdog: Arc::new(watchdog),
    };

    let bind = if self_test {
        "127.0.0.1:0"
    } else {
        "127.0.0.1:3000"
    };
    let listener = TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let server = axum::serve(listener, router(app.clone()));

    if self_test {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            server
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        let outcome = self_check(addr, &app).await;
        let _ = stop.send(());
        server.await??;
        outcome?;
        println!("self-test passed");
    } else {
        println!(
            "serving on http://{addr} (files from {}); Ctrl-C stops",
            dir.path().display()
        );
        server
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
    }
    drop(app);
    db.close().await; // the connection closes on its thread before the directory goes
    Ok(())
}

// ---------------------------------------------------------------------------
// The self-test: a few requests to the server, over 127.0.0.1 only.

/// Fails the self-test with `what` unless `ok`.
fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), Box<dyn Error>> {
    if ok { Ok(()) } else { Err(what().into()) }
}

/// Waits up to `limit` for `done`, checking every 10 ms.
async fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

/// Sends one HTTP/1.1 request and returns its status and body.
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> Result<(u16, String), Box<dyn Error>> {
    let mut stream = TcpStream::connect(addr).await?;
    stream
        .write_all(head(method, path, body).as_bytes())
        .await?;
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        stream.read_to_string(&mut response),
    )
    .await
    .map_err(|_| format!("{method} {path}: no answer in 10 s"))??;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("{method} {path}: no end of head in {response:?}"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("{method} {path}: no status in {head:?}"))?;
    Ok((status, body.to_owned()))
}

fn head(method: &str, path: &str, body: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

async fn self_check(addr: SocketAddr, app: &App) -> Result<(), Box<dyn Error>> {
    // Users: the hash on rayon, the rows in SQLite.
    let created = request(addr, "POST", "/users/ada", "correct horse").await?;
    check(created.0 == 201, || format!("register: {created:?}"))?;
    let again = request(addr, "POST", "/users/ada", "other").await?;
    check(again.0 == 409, || format!("register twice: {again:?}"))?;
    let good = request(addr, "POST", "/login/ada", "correct horse").await?;
    check(good.0 == 200, || format!("login: {good:?}"))?;
    let bad = request(addr, "POST", "/login/ada", "battery staple").await?;
    check(bad.0 == 401, || {
        format!("login with a wrong password: {bad:?}")
    })?;
    let nobody = request(addr, "POST", "/login/bob", "x").await?;
    check(nobody.0 == 401, || format!("login of nobody: {nobody:?}"))?;
    println!("users: registered, logged in, refused a wrong password");

    // Files, on the blocking pool.
    let file = request(addr, "GET", "/files/hello.txt", "").await?;
    check(file == (200, "hello from a blocking read\n".into()), || {
        format!("file: {file:?}")
    })?;
    let missing = request(addr, "GET", "/files/nothing.txt", "").await?;
    check(missing.0 == 404, || format!("missing file: {missing:?}"))?;
    let sneaky = request(addr, "GET", "/files/..%2Fusers.db", "").await?;
    check(sneaky.0 == 400, || {
        format!("a name leaving the directory: {sneaky:?}")
    })?;
    println!("files: read one, 404 for a missing one, 400 for ../");

    // A short scan answers.
    let short = request(addr, "GET", "/scan/20", "").await?;
    check(short == (200, "3 of 20 rows match\n".into()), || {
        format!("scan: {short:?}")
    })?;

    // A client that asks for a 100 s scan and goes away after 100 ms: the
    // scan stops, and the pool's only thread is free for the next one.
    let rows_before = ROWS_READ.load(Ordering::Relaxed);
    let mut client = TcpStream::connect(addr).await?;
    client
        .write_all(head("GET", "/scan/100000", "").as_bytes())
        .await?;
    let started = wait_for(Duration::from_secs(5), || SCANS.stats().running == 1).await;
    check(started, || {
        format!("the long scan did not start: {:?}", SCANS.stats())
    })?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(client);
    let left = Instant::now();
    let stopped = wait_for(Duration::from_secs(5), || SCANS.stats().running == 0).await;
    let stop_time = left.elapsed();
    let rows = ROWS_READ.load(Ordering::Relaxed) - rows_before;
    check(stopped, || {
        format!(
            "the scan went on after its client left: {:?}",
            SCANS.stats()
        )
    })?;
    check(SCANS.stats().abandoned == 1, || {
        format!("{:?}", SCANS.stats())
    })?;
    check(rows < 10_000, || format!("the scan read {rows} rows"))?;
    let next = request(addr, "GET", "/scan/7", "").await?;
    check(next.0 == 200, || format!("the scan after: {next:?}"))?;
    println!(
        "scan: stopped {:.0} ms after its client left, at row {rows} of 100000",
        stop_time.as_secs_f64() * 1e3
    );

    // The mistake, and the watchdog naming it.
    let blocked = request(addr, "GET", "/mistake", "").await?;
    check(blocked.0 == 200, || format!("mistake: {blocked:?}"))?;
    let named = wait_for(Duration::from_secs(5), || {
        app.watchdog.recent_stalls().iter().any(|stall| {
            !stall.ongoing
                && stall
                    .threads
                    .iter()
                    .any(|t| t.span.as_ref().is_some_and(|s| s.name == "mistake"))
        })
    })
    .await;
    check(named, || {
        format!(
            "the watchdog did not name `mistake`: {:?}",
            app.watchdog.recent_stalls()
        )
    })?;

    let stats = request(addr, "GET", "/stats", "").await?;
    check(stats.0 == 200 && stats.1.contains("in `mistake`"), || {
        format!("stats: {stats:?}")
    })?;
    print!("{}", stats.1);
    Ok(())
}
