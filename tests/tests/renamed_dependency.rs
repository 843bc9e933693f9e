//! A crate that renames the `bridge-runtime` dependency and forgets
//! `crate = ..` gets one error per attribute, at the attribute, naming the
//! option to write. trybuild cannot rename a dependency, so this builds a
//! small crate with cargo (offline, in its own target directory under
//! `target/`, warm after the first run).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .expect("the tests package sits in the workspace")
}

/// Writes the crate and runs `cargo check` on it; its stderr.
fn check(manifest_dependency: &str, source: &str) -> String {
    let manifest = format!(
        "[package]\nname = \"renamed\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\n{manifest_dependency}\n\n[workspace]\n"
    );
    check_in(&[("Cargo.toml", &manifest)], "", source)
}

/// Writes `manifests` (paths relative to a new directory, where `RUNTIME`
/// stands for the runtime's path) and the package in `package` with
/// `source` as its `src/lib.rs`, and runs `cargo check` there; its stderr.
fn check_in(manifests: &[(&str, &str)], package: &str, source: &str) -> String {
    let root = workspace();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let runtime = root.join("bridge-runtime");
    for (path, manifest) in manifests {
        let path = dir.path().join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the manifest's directory");
        }
        let manifest = manifest.replace("RUNTIME", &runtime.display().to_string());
        std::fs::write(path, manifest).expect("write Cargo.toml");
    }
    let package = dir.path().join(package);
    std::fs::create_dir_all(package.join("src")).expect("create src");
    std::fs::write(package.join("src/lib.rs"), source).expect("write lib.rs");
    // The workspace's lock file, so the build finds the same versions offline.
    std::fs::copy(root.join("Cargo.lock"), dir.path().join("Cargo.lock")).expect("copy Cargo.lock");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = Command::new(cargo)
        .args(["check", "--offline", "--quiet", "--color", "never"])
        .current_dir(&package)
        .env("CARGO_TARGET_DIR", root.join("target/renamed-dependency"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cargo starts");
    // A build that hangs (a held lock, say) fails the test instead.
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if child.try_wait().expect("cargo runs").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("cargo check did not finish in 10 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = child.wait_with_output().expect("cargo's output");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_renamed_dependency_without_crate_option_says_what_to_write() {
    let stderr = check(
        r#"bridge = { package = "bridge-runtime", path = "RUNTIME" }"#,
        "#[bridge::offload(cpu)]\npub fn read(path: String) -> usize { path.len() }\n\n\
         #[bridge::blocking]\npub async fn fetch(url: String) -> usize { url.len() }\n\n\
         #[bridge::offload(io, crate = ::bridge)]\npub fn named(path: String) -> usize { path.len() }\n",
    );
    let offload = "this crate depends on `bridge-runtime` under the name `bridge` (its `Cargo.toml` renames it), so `#[offload]` cannot find it as `::bridge_runtime`: add `crate = ::bridge` to the attribute, like `#[offload(cpu, crate = ::bridge)]`";
    let blocking = "so `#[blocking]` cannot find it as `::bridge_runtime`: add `crate = ::bridge` to the attribute, like `#[blocking(crate = ::bridge)]`";
    assert!(stderr.contains(offload), "{stderr}");
    assert!(stderr.contains(blocking), "{stderr}");
    assert!(stderr.contains("--> src/lib.rs:1:1"), "{stderr}");
    assert!(stderr.contains("--> src/lib.rs:4:1"), "{stderr}");
    // One error per attribute without `crate = ..`, nothing else (the one
    // with it compiles): no unresolved `::bridge_runtime` on top.
    assert_eq!(stderr.matches("error:").count(), 3, "{stderr}");
    assert!(stderr.contains("due to 2 previous errors"), "{stderr}");
}

#[test]
fn the_same_crate_compiles_with_the_dependency_under_its_own_name() {
    let stderr = check(
        r#"bridge-runtime = { path = "RUNTIME" }"#,
        "#[bridge_runtime::offload(cpu)]\npub fn read(path: String) -> usize { path.len() }\n\n\
         #[bridge_runtime::blocking]\npub async fn fetch(url: String) -> usize { url.len() }\n",
    );
    assert!(!stderr.contains("error"), "{stderr}");
}

#[test]
fn a_rename_inherited_from_the_workspace_says_what_to_write() {
    let stderr = check_in(
        &[
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"member\"]\nresolver = \"3\"\n\n\
                 [workspace.dependencies]\nbridge = { package = \"bridge-runtime\", path = \"RUNTIME\" }\n",
            ),
            (
                "member/Cargo.toml",
                "[package]\nname = \"member\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
                 [dependencies]\nbridge = { workspace = true }\n",
            ),
        ],
        "member",
        "#[bridge::offload(io)]\npub fn read(path: String) -> usize { path.len() }\n",
    );
    assert!(
        stderr.contains("under the name `bridge`") && stderr.contains("add `crate = ::bridge`"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("error:").count(), 2, "{stderr}");
}
