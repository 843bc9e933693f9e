//! The checker called as plain functions: the crate scan on the fixture
//! packages (tests/fixtures/nonblocking), and single items without a file
//! around them (outside a compiler, a token has no file), where what is
//! outside the item is unknown and the checker must stay silent about it.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;

use super::crate_scan;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/nonblocking")
        .join(name)
}

fn relative(files: &[PathBuf], dir: &Path) -> Vec<String> {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut names: Vec<String> = files
        .iter()
        .map(|f| {
            let f = f.canonicalize().unwrap_or_else(|_| f.clone());
            f.strip_prefix(&dir)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn the_crate_scan_lists_every_finding_of_the_service_and_nothing_else() {
    let dir = fixture("service");
    let report = crate_scan::scan(&dir);
    assert_eq!(report.problems, Vec::<String>::new());
    let blocking_fn = "`fetch_len` is a `#[blocking]` fn, which blocks until its future is done: you are already in async code, so `.await` its async version, `fetch_len_async(..)`";
    let expected = [
        format!("src/bin/worker.rs:6:15: {blocking_fn}"),
        "src/bin/worker.rs:7:5: `std::thread::sleep` blocks the executor's thread, and every task waiting for it: use `tokio::time::sleep(..).await`".to_owned(),
        "src/handlers/files.rs:5:20: `std::fs::File::create` blocks the executor's thread on the disk: use `tokio::fs` (`.await` it), or move the work into an `#[offload(io)]` fn".to_owned(),
        format!("src/handlers/mod.rs:8:5: {blocking_fn}"),
        "src/handlers/mod.rs:24:5: `std::fs::read_to_string` blocks the executor's thread on the disk: use `tokio::fs` (`.await` it), or move the work into an `#[offload(io)]` fn".to_owned(),
        "src/jobs.rs:14:34: `Condvar::wait` blocks the executor's thread until another thread notifies it: use `tokio::sync::Notify` and `.notified().await`".to_owned(),
        "src/jobs.rs:25:5: `load_sync` is the blocking original that `#[offload(.., keep = load_sync)]` keeps, and runs its body on the executor's thread: `.await` `load(..)` instead".to_owned(),
    ];
    assert_eq!(report.findings, expected);
    assert_eq!(
        relative(&report.files, &dir),
        [
            "src/bin/worker.rs",
            "src/client.rs",
            "src/handlers/files.rs",
            "src/handlers/mod.rs",
            "src/jobs.rs",
            "src/lib.rs"
        ]
    );
}

#[test]
fn the_clean_service_has_no_finding() {
    let dir = fixture("clean");
    let report = crate_scan::scan(&dir);
    assert_eq!(report.problems, Vec::<String>::new());
    assert_eq!(report.findings, Vec::<String>::new());
    // Read, so the check runs again when they change; `testutil.rs` is
    // `#![cfg(test)]` and not checked, the test modules are not read.
    assert_eq!(
        relative(&report.files, &dir),
        [
            "src/main.rs",
            "src/routes.rs",
            "src/store.rs",
            "src/testutil.rs"
        ]
    );
}

#[test]
fn a_folder_without_src_is_a_problem_not_a_pass() {
    let report = crate_scan::scan(&fixture(""));
    assert_eq!(report.findings, Vec::<String>::new());
    assert_eq!(report.problems.len(), 1);
    assert!(report.problems[0].starts_with("found no `src/` folder in"));
}

/// The `compile_error!` messages of an expansion.
fn errors_in(output: &TokenStream) -> Vec<String> {
    let trees: Vec<TokenTree> = output.clone().into_iter().collect();
    let mut found = Vec::new();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(ident) if ident == "compile_error" => {
                if let Some(TokenTree::Group(group)) = trees.get(i + 2) {
                    let text = group.stream().to_string();
                    let text = syn::parse_str::<syn::LitStr>(&text).map_or(text, |l| l.value());
                    found.push(text);
                }
            }
            TokenTree::Group(group) => found.extend(errors_in(&group.stream())),
            _ => {}
        }
    }
    found
}

#[test]
fn the_expansion_includes_every_file_read_so_that_cargo_rebuilds_on_a_change() {
    let dir = fixture("service")
        .canonicalize()
        .expect("the fixture exists");
    let literal = dir.to_string_lossy().into_owned();
    let output = crate_scan::nonblocking_crate(quote!(#literal));
    let text = output.to_string();
    let report = crate_scan::scan(&dir);
    assert_eq!(report.files.len(), 6);
    for file in &report.files {
        let included = format!("include_bytes ! ({:?})", file.display().to_string());
        assert!(text.contains(&included), "{included} missing from {text}");
    }
    let errors = errors_in(&output);
    assert_eq!(errors, report.findings);
}

/// The messages `#[nonblocking]` gives on `item`, alone (no file around it).
fn check(item: &str) -> Vec<String> {
    let item = TokenStream::from_str(item).expect("tokens");
    errors_in(&super::nonblocking(TokenStream::new(), item))
}

/// Asserts that `found` has one message per entry of `starts`, in order,
/// each beginning with it.
fn assert_reported(found: &[String], starts: &[&str]) {
    assert_eq!(found.len(), starts.len(), "{found:?}");
    for (message, start) in found.iter().zip(starts) {
        assert!(message.starts_with(start), "{start}: {found:?}");
    }
}

#[test]
fn without_its_file_a_path_whose_module_is_not_in_view_is_not_reported() {
    // `thread` and `fs` could be tokio's, or the user's own, imported
    // outside the item: silence. Full std paths are std's.
    let found = check(
        "async fn f(d: Duration) { thread::sleep(d); fs::read(p); sleep(d); std::thread::sleep(d); }",
    );
    assert_reported(&found, &["`std::thread::sleep`"]);
}

#[test]
fn a_local_variable_hides_a_blocking_name_and_a_let_forgets_what_it_shadows() {
    let found = check(
        "async fn f() {
            use std::thread::sleep;
            let sleep = |_: u8| ();
            sleep(1);
            let (_tx, rx) = std::sync::mpsc::channel::<u8>();
            let rx = tokio_channel(rx);
            rx.recv();
        }",
    );
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn a_closure_is_async_code_unless_handed_to_another_thread() {
    let found = check(
        "async fn f() {
            let inline = || std::fs::read(\"a\");
            let moved = || std::fs::read(\"b\");
            let _ = std::thread::spawn(moved);
            let _ = inline();
            rayon::spawn(|| { std::fs::read(\"c\").ok(); });
        }",
    );
    assert_reported(&found, &["`std::fs::read`"]);
}

#[test]
fn a_sync_closure_handed_to_an_awaited_call_runs_elsewhere() {
    // tokio's own `fs` does this: `asyncify(move || std::fs::read(path)).await`.
    // A call that takes a sync closure and is awaited runs it off the
    // executor; otherwise it would not need to be a future. A fn whose
    // result is handed on (to a variable, `join!`, `timeout`) may do the
    // same, and the check cannot tell: it stays silent. Only std's fns
    // known to run their closure on the spot are looked into.
    let found = check(
        "async fn f(path: PathBuf) {
            asyncify(move || std::fs::read(path)).await;
            pool.with_conn(|c| c.query()).await;
            let pending = later(|| std::fs::read(\"x\"));
            let lines = std::iter::from_fn(|| std::fs::read(\"y\").ok());
        }",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("std::fs::read"), "{found:?}");
}

#[test]
fn an_awaited_call_is_async_whatever_its_name_but_a_sync_fn_of_the_catalogue() {
    // `futures::executor::block_on` is a sync fn: awaiting what it returns
    // does not make it async.
    let found = check(
        "async fn f(h: Handle) {
            h.block_on(x);
            h.spawn(y).await;
            h.block_on(y).await;
            block_on(w).await;
            futures::executor::block_on(z).await;
        }",
    );
    assert_reported(&found, &["`block_on`", "`futures::executor::block_on`"]);
}

#[test]
fn only_async_code_is_checked() {
    let found = check(
        "impl S {
            fn warm(&self) { std::thread::sleep(d); }
            async fn hot(&self) { let f = || async { std::thread::sleep(d) }; fn inner() { std::thread::sleep(d); } }
        }",
    );
    assert_eq!(found.len(), 1, "{found:?}");
}

#[test]
fn allow_blocking_in_a_macro_argument_is_removed() {
    let item = TokenStream::from_str(
        "async fn f() { println!(\"{}\", #[allow_blocking] std::fs::read(p).is_ok()); }",
    )
    .expect("tokens");
    let output = super::nonblocking(TokenStream::new(), item).to_string();
    assert!(!output.contains("allow_blocking"), "{output}");
    assert!(output.contains("std :: fs :: read"), "{output}");
    assert!(errors_in(&output.parse().expect("tokens")).is_empty());
}

#[test]
fn no_input_makes_the_crate_check_or_the_marker_panic() {
    let inputs = [
        "",
        "\"\"",
        "x",
        "\"/no/such/package\"",
        "\"..\"",
        "1, 2",
        "struct S;",
        "fn f() {}",
        "impl S { fn g(&self); }",
        "#[x] mod m;",
        "fn f(&self);",
        "= =",
        "reason = \"start-up\"",
    ];
    for input in inputs {
        let tokens = TokenStream::from_str(input).unwrap_or_default();
        let run = || {
            crate_scan::nonblocking_crate(tokens.clone());
            super::allow::attribute(TokenStream::new(), tokens.clone());
            super::allow::attribute(
                tokens.clone(),
                quote!(
                    fn f() {}
                ),
            )
        };
        let output = std::panic::catch_unwind(run)
            .unwrap_or_else(|_| panic!("a macro panicked on `{input}`"));
        assert!(output.to_string().contains("fn f"), "the item is kept");
    }
}

/// Where the fn `name` sits in `text`, found at the first `fn name` there.
fn place_of(text: &str, name: &str) -> Option<super::FnPlace> {
    let needle = format!("fn {name}");
    let (line, column) = text
        .lines()
        .enumerate()
        .find_map(|(index, line)| line.find(&needle).map(|c| (index + 1, c + 3)))?;
    let pos = proc_macro2::LineColumn { line, column };
    super::source::fn_place_in(Path::new("fn_place_test.rs"), text.to_owned(), pos, name)
}

#[test]
fn a_fn_is_placed_in_its_module_impl_trait_impl_or_trait() {
    use super::FnPlace;
    let text = r#"
fn free() {}
struct S;
impl S {
    #[offload(io, keep = inherent_blocking)]
    fn inherent(n: u32) -> u32 { n }
}
trait T {
    fn provided() {}
}
impl T for S {
    fn provided() {}
    fn in_trait_impl() {}
}
impl<X> T for Vec<X> {
    fn generic_impl() {}
}
impl T for (u8,) {
    fn tuple_impl() {}
}
fn outer() {
    struct L;
    impl L {
        fn nested() {}
    }
    fn inner_free() {}
}
"#;
    assert_eq!(place_of(text, "free"), Some(FnPlace::Free));
    assert_eq!(place_of(text, "inherent"), Some(FnPlace::Impl));
    // The first `fn provided` is the trait's own.
    assert_eq!(place_of(text, "provided"), Some(FnPlace::Trait));
    assert_eq!(
        place_of(text, "in_trait_impl"),
        Some(FnPlace::TraitImpl {
            trait_name: "T".into(),
            self_name: Some("S".into()),
        })
    );
    assert_eq!(
        place_of(text, "generic_impl"),
        Some(FnPlace::TraitImpl {
            trait_name: "T".into(),
            self_name: Some("Vec".into()),
        })
    );
    assert_eq!(
        place_of(text, "tuple_impl"),
        Some(FnPlace::TraitImpl {
            trait_name: "T".into(),
            self_name: None,
        })
    );
    assert_eq!(place_of(text, "nested"), Some(FnPlace::Impl));
    assert_eq!(place_of(text, "inner_free"), Some(FnPlace::Free));
}

#[test]
fn a_fn_not_in_the_file_where_its_name_says_has_no_place() {
    let text = r#"
macro_rules! make {
    () => {
        impl S {
            fn made() {}
        }
    };
}
make!();
struct S;
impl S {
    fn real() {}
}
"#;
    // Inside a macro's tokens: not an item of the file.
    assert_eq!(place_of(text, "made"), None);
    let pos = |line, column| proc_macro2::LineColumn { line, column };
    let at = |line, column, name: &str| {
        super::source::fn_place_in(
            Path::new("fn_place_test.rs"),
            text.to_owned(),
            pos(line, column),
            name,
        )
    };
    // `fn real` is on line 12, its name at column 7.
    assert_eq!(at(12, 7, "real"), Some(super::FnPlace::Impl));
    // Another name there, or the right name elsewhere: not this fn.
    assert_eq!(at(12, 7, "other"), None);
    assert_eq!(at(12, 8, "real"), None);
    assert_eq!(at(12, 4, "real"), None);
    // A file that does not parse.
    assert_eq!(
        super::source::fn_place_in(
            Path::new("fn_place_test_broken.rs"),
            "impl S { fn real( }".to_owned(),
            pos(1, 12),
            "real",
        ),
        None
    );
}

#[test]
fn a_formatting_macro_into_a_file_is_reported_when_it_is_surely_std_s() {
    // Without the file around the item, a bare `writeln` could be a macro
    // imported outside it: only `std::writeln!` is surely std's.
    let found = check(
        "async fn f(file: std::fs::File, mut text: String) {
            std::writeln!(file, \"a\");
            writeln!(file, \"b\");
            std::writeln!(text, \"c\");
            std::write!(std::io::stdout(), \"d\");
        }",
    );
    assert_reported(&found, &["`writeln!` into a `std::fs::File`"]);
}

#[test]
fn a_file_or_stdin_given_to_a_reading_fn_of_std_is_reported() {
    let found = check(
        "async fn f(file: std::fs::File, bytes: &[u8]) {
            std::io::read_to_string(file);
            std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            std::io::read_to_string(bytes);
            tokio::io::copy(&mut std::io::stdin(), &mut out);
        }",
    );
    assert_reported(
        &found,
        &[
            "`std::io::read_to_string` of a `std::fs::File`",
            "`std::io::copy` of `std::io::stdin()`",
        ],
    );
}

#[test]
fn a_method_called_by_its_path_is_reported_as_on_the_value() {
    let found = check(
        "async fn f(mut file: std::fs::File, mut c: std::process::Command, mut bytes: &[u8]) {
            std::io::Write::write_all(&mut file, b\"a\");
            std::process::Command::status(&mut c);
            std::sync::mpsc::Receiver::recv(&rx);
            std::io::Read::read_to_end(&mut bytes, &mut v);
            std::io::Write::flush(&mut file);
            std::process::Command::arg(&mut c, \"x\");
        }",
    );
    assert_reported(
        &found,
        &[
            "`std::fs::File::write_all`",
            "`Command::status`",
            "`Receiver::recv`",
        ],
    );
}

#[test]
fn a_for_loop_over_a_std_receiver_is_reported() {
    let found = check(
        "async fn f(rx: std::sync::mpsc::Receiver<u8>, values: Vec<u8>) {
            for x in rx.try_iter() {}
            for x in values {}
            for x in &rx {}
            let rx = tokio_channel();
            for x in rx {}
        }",
    );
    assert_reported(&found, &["`for .. in` a `Receiver`"]);
}

#[test]
fn the_elements_of_a_vec_of_a_known_kind_are_of_that_kind() {
    let found = check(
        "async fn f(hs: std::vec::Vec<std::thread::JoinHandle<()>>, more: std::vec::Vec<std::thread::JoinHandle<()>>) {
            for h in more.iter().enumerate() { h.join(); }
            for h in hs.get(0) { h.join(); }
            for h in hs { h.join(); }
        }",
    );
    assert_reported(&found, &["`JoinHandle::join`"]);
}
