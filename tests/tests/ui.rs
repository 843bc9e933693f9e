//! Compile errors are part of the interface: every misuse in `ui-tests/`
//! (one folder per attribute, one mistake per file) must fail with the
//! `.stderr` beside it. Unusual but valid code, in `ui-tests/*/pass/`
//! (compiled with `#![deny(warnings)]`), must compile and run.
//!
//! The `.stderr` files were made with the pinned stable toolchain
//! (rustc 1.95). After a change to a message, or a new rustc, regenerate
//! with `TRYBUILD=overwrite cargo test -p bridge-tests --test ui` and read
//! the diff before committing it.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("../ui-tests/*/*.rs");
    cases.pass("../ui-tests/*/pass/*.rs");
}
