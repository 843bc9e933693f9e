//! The `#[tokio::test]` trap of the guide's web-service section, with the
//! real test attributes: a `#[blocking]` client of a server spawned on the
//! test's own current-thread runtime gets no answer; `.await`ing its async
//! version, or a multi-thread test runtime, does.
//!
//! The server is a minimal HTTP responder on 127.0.0.1; every client call
//! gives up after a deadline of its own, so no case can hang.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bridge_runtime::blocking;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Starts, as a task of the current runtime, a server that answers each
/// connection with `hello` and closes it.
async fn serve() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0; 1024];
                let _ = stream.read(&mut request).await;
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
                    )
                    .await;
            });
        }
    });
    addr
}

/// A client for sync callers, which gives up after `patience`.
#[blocking(keep = get_async)]
async fn get(addr: SocketAddr, patience: Duration) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await?;
    let mut response = String::new();
    tokio::time::timeout(patience, stream.read_to_string(&mut response)).await??;
    Ok(response)
}

#[tokio::test]
async fn a_blocking_client_of_a_server_on_the_tests_own_runtime_gets_no_answer() {
    let addr = serve().await;
    let started = Instant::now();
    let answer = get(addr, Duration::from_millis(1_200));
    let error = answer.expect_err("the server cannot run while its runtime waits");
    assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
    assert!(
        started.elapsed() >= Duration::from_millis(1_100),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn awaiting_the_async_version_reaches_a_server_on_the_tests_own_runtime() {
    let addr = serve().await;
    let answer = get_async(addr, Duration::from_secs(5)).await;
    assert!(answer.expect("an answer").ends_with("hello"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blocking_client_reaches_a_server_on_a_multi_thread_test_runtime() {
    let addr = serve().await;
    let answer = get(addr, Duration::from_secs(5));
    assert!(answer.expect("an answer").ends_with("hello"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_blocking_client_reaches_a_server_on_a_one_worker_multi_thread_test_runtime() {
    let addr = serve().await;
    let answer = get(addr, Duration::from_secs(5));
    assert!(answer.expect("an answer").ends_with("hello"));
}

/// A plain `#[test]` whose server has a runtime of its own.
#[test]
fn a_blocking_client_reaches_a_server_on_a_runtime_of_its_own() {
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let addr = server.block_on(serve());
    let answer = get(addr, Duration::from_secs(5));
    assert!(answer.expect("an answer").ends_with("hello"));
}
