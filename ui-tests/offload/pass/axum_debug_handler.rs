// With axum, `#[offload]` goes above `#[axum::debug_handler]`: attributes
// expand from the top, so `debug_handler` then checks the `async fn` that
// `#[offload]` made. (Below it, `debug_handler` would check the blocking fn
// as written and report "`Vec<u8>` is not a future".)
#![deny(warnings)]

use axum::routing::{MethodRouter, get};
use bridge_runtime::offload;

#[offload(io)]
#[axum::debug_handler]
fn report() -> Vec<u8> {
    b"all good".to_vec()
}

fn main() {
    let _route: MethodRouter = get(report);
    assert_eq!(bridge_runtime::block_on(report()), b"all good");
}
