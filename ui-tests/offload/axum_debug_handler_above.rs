// `#[axum::debug_handler]` above `#[offload]` sees the blocking fn as written,
// before `#[offload]` makes it async: the order that works is `#[offload]`
// first (see `pass/axum_debug_handler.rs` and the README).
use bridge_runtime::offload;

#[axum::debug_handler]
#[offload(io)]
fn report() -> Vec<u8> {
    b"all good".to_vec()
}

fn main() {
    let _route: axum::routing::MethodRouter = axum::routing::get(report);
}
