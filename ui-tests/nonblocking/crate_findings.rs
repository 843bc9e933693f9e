// `nonblocking_crate!` on a small service (tests/fixtures/nonblocking/service):
// each blocking call of its async code, as `src/path.rs:line:col: message`,
// and nothing of the clean tokio code beside them.
bridge_runtime::nonblocking_crate!("../../tests/fixtures/nonblocking/service");

fn main() {}
