// `to_socket_addrs` resolves names with blocking DNS.
use bridge_runtime::nonblocking;
use std::net::ToSocketAddrs;

#[nonblocking]
async fn lookup(host: &str) -> usize {
    (host, 443).to_socket_addrs().map(|a| a.count()).unwrap_or(0)
}

fn main() {}
