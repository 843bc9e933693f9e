// `nonblocking_crate!` on a folder without `src/`, and with a wrong argument.
bridge_runtime::nonblocking_crate!("../../tests/fixtures/nonblocking");
bridge_runtime::nonblocking_crate!(tests);

fn main() {}
