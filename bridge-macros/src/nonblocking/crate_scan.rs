//! `nonblocking_crate!`: every async body under a package's `src/`, checked
//! with the same rules as `#[nonblocking]` and the whole crate in view
//! (every file's `use` declarations, every `#[blocking]` fn and `keep` twin
//! in any module), when the test file that holds the macro is compiled.
//!
//! The files are read from the crate roots (`src/lib.rs`, `src/main.rs`,
//! `src/bin/*`) through their `mod` declarations, as rustc finds them; a
//! file under `src/` that no root reaches is checked on its own. Test-only
//! code (`#[cfg(test)]`) is not checked. The expansion includes every file
//! read with `include_bytes!`, so cargo rebuilds the test when one changes.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::quote;

use super::resolve::{Loader, ModId, World, is_cfg_test};
use super::source;
use super::visitor::{Checker, Mode};
use crate::errors::Errors;

/// `nonblocking_crate!()` or `nonblocking_crate!("path/to/package")`.
pub(crate) fn nonblocking_crate(input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let Some(dir) = package_dir(input, &mut errors) else {
        return errors.to_compile_errors();
    };
    // Absolute, for `include_bytes!` (which reads relative to this file).
    let dir = match std::env::current_dir() {
        Ok(cwd) => cwd.join(dir),
        Err(_) => dir,
    };
    let dir = dir.canonicalize().unwrap_or(dir);
    let report = source::with_fallback(|| {
        let report = scan(&dir);
        source::forget_parsed();
        report
    });
    let files = report.files.iter().map(|path| path.display().to_string());
    for line in report.problems.iter().chain(&report.findings) {
        errors.span(Span::call_site(), line);
    }
    let errors = errors.to_compile_errors();
    quote! {
        const _: () = {
            #( let _ = ::core::include_bytes!(#files); )*
        };
        #errors
    }
}

/// The package to check: the one being compiled, or the path given,
/// relative to the file that holds the macro (as `include_str!` reads it).
fn package_dir(input: TokenStream, errors: &mut Errors) -> Option<PathBuf> {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    if input.is_empty() {
        if manifest.is_none() {
            errors.span(
                Span::call_site(),
                "`nonblocking_crate!()` checks the package cargo is building, and `CARGO_MANIFEST_DIR` is not set: give the package's path, `nonblocking_crate!(\"path/to/package\")`",
            );
        }
        return manifest;
    }
    match syn::parse2::<syn::LitStr>(input.clone()) {
        Ok(path) => {
            let path = PathBuf::from(path.value());
            let base = Span::call_site()
                .local_file()
                .and_then(|file| file.parent().map(Path::to_path_buf))
                .or(manifest)
                .unwrap_or_default();
            Some(base.join(path))
        }
        Err(_) => {
            errors.at(
                &input,
                "`nonblocking_crate!` takes nothing (the package being tested), or a package's path as a string, relative to this file",
            );
            None
        }
    }
}

/// What a scan found.
#[derive(Debug, Default)]
pub(super) struct Report {
    /// Every file read.
    pub(super) files: Vec<PathBuf>,
    /// `src/path.rs:line:col: message`, in file and line order.
    pub(super) findings: Vec<String>,
    /// Files that could not be read or parsed.
    pub(super) problems: Vec<String>,
}

/// Checks every async body under `dir/src`.
pub(super) fn scan(dir: &Path) -> Report {
    let mut files = Files {
        dir: dir.to_path_buf(),
        loaded: Vec::new(),
        seen: HashSet::new(),
        stack: Vec::new(),
        problems: Vec::new(),
        unreached: false,
    };
    let src = dir.join("src");
    if !src.is_dir() {
        let shown = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        files.problems.push(format!(
            "found no `src/` folder in `{}`: give the folder of a package",
            shown.display()
        ));
        return Report {
            problems: files.problems,
            ..Report::default()
        };
    }
    let mut world = World::default();
    let mut roots: Vec<PathBuf> = ["lib.rs", "main.rs"]
        .iter()
        .map(|name| src.join(name))
        .filter(|path| path.is_file())
        .collect();
    let mut bins = rust_files(&src.join("bin"));
    bins.retain(|path| {
        path.parent() == Some(&src.join("bin")) || path.file_name().is_some_and(|n| n == "main.rs")
    });
    roots.extend(bins);
    for root in roots {
        let module = world.add_module(None, true);
        if root == src.join("lib.rs") {
            world
                .crates
                .insert(package_name(dir).replace('-', "_"), module);
        }
        files.load_file(&mut world, module, &root, true);
    }
    // Files no root reaches: checked on their own, if they parse (one that
    // does not is no part of the crate: a fixture, a template).
    files.unreached = true;
    for path in rust_files(&src) {
        if !files.seen.contains(&canonical(&path)) {
            let module = world.add_detached_module(true);
            let mod_rs = path.file_name().is_some_and(|n| n == "mod.rs");
            files.load_file(&mut world, module, &path, mod_rs);
        }
    }
    world.finish();
    let unknown = world.add_detached_module(false);

    let mut findings: Vec<(String, usize, usize, String)> = Vec::new();
    for loaded in &mut files.loaded {
        if loaded.file.attrs.iter().any(super::allow::is_allow) || is_cfg_test(&loaded.file.attrs) {
            continue; // `#![allow_blocking]` or `#![cfg(test)]`: the whole file
        }
        let mut checker = Checker::new(&world, Mode::Crate, loaded.module, unknown);
        checker.check_items(&mut loaded.file.items);
        for error in checker.findings {
            let start = error.span().start();
            findings.push((
                loaded.relative.clone(),
                start.line,
                start.column + 1,
                error.to_string(),
            ));
        }
    }
    findings.sort();
    Report {
        files: files.loaded.iter().map(|l| l.path.clone()).collect(),
        findings: findings
            .into_iter()
            .map(|(path, line, column, message)| format!("{path}:{line}:{column}: {message}"))
            .collect(),
        problems: files.problems,
    }
}

struct Loaded {
    module: ModId,
    path: PathBuf,
    relative: String,
    file: syn::File,
}

/// Reads the files of a package, following `mod` declarations.
struct Files {
    dir: PathBuf,
    loaded: Vec<Loaded>,
    seen: HashSet<PathBuf>,
    /// The files being read, innermost last, and whether each is a
    /// `mod.rs`-like file (whose modules' files are beside it).
    stack: Vec<(PathBuf, bool)>,
    problems: Vec<String>,
    /// Reading the files no root reaches: one that does not parse is left.
    unreached: bool,
}

impl Files {
    fn relative(&self, path: &Path) -> String {
        let relative = path.strip_prefix(&self.dir).unwrap_or(path);
        relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    }

    fn load_file(&mut self, world: &mut World, module: ModId, path: &Path, mod_rs: bool) -> bool {
        if !self.seen.insert(canonical(path)) {
            return false;
        }
        let relative = self.relative(path);
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                self.problems
                    .push(format!("{relative}: could not read this file: {error}"));
                return false;
            }
        };
        let file = match syn::parse_file(&text) {
            Ok(file) => file,
            Err(_) if self.unreached => return false,
            Err(error) => {
                let start = error.span().start();
                self.problems.push(format!(
                    "{relative}:{}:{}: could not parse this file, so it was not checked: {error}",
                    start.line,
                    start.column + 1
                ));
                return false;
            }
        };
        self.stack.push((path.to_path_buf(), mod_rs));
        world.collect(module, &file.items, &mut Vec::new(), self);
        self.stack.pop();
        self.loaded.push(Loaded {
            module,
            path: path.to_path_buf(),
            relative,
            file,
        });
        true
    }
}

impl Loader for Files {
    fn load(
        &mut self,
        world: &mut World,
        id: ModId,
        item: &syn::ItemMod,
        inline: &[String],
    ) -> bool {
        let Some((file, mod_rs)) = self.stack.last().cloned() else {
            return false;
        };
        if is_cfg_test(&item.attrs) {
            // Not checked, and not a file that no root reaches either.
            for (candidate, _) in module_files(&file, mod_rs, inline, item) {
                self.seen.insert(canonical(&candidate));
            }
            return false;
        }
        for (candidate, candidate_mod_rs) in module_files(&file, mod_rs, inline, item) {
            if candidate.is_file() {
                return self.load_file(world, id, &candidate, candidate_mod_rs);
            }
        }
        false
    }
}

/// Where the file of `mod name;` may be, as rustc looks for it, and whether
/// it is `mod.rs`-like.
fn module_files(
    declared_in: &Path,
    mod_rs: bool,
    inline: &[String],
    item: &syn::ItemMod,
) -> Vec<(PathBuf, bool)> {
    let dir = declared_in.parent().unwrap_or(Path::new(""));
    let mut base = if mod_rs {
        dir.to_path_buf()
    } else {
        dir.join(declared_in.file_stem().unwrap_or_default())
    };
    let path_attr = item.attrs.iter().find_map(|attr| match &attr.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    });
    if let Some(path) = path_attr {
        if inline.is_empty() {
            return vec![(dir.join(path), true)];
        }
        base.extend(inline);
        return vec![(base.join(path), true)];
    }
    base.extend(inline);
    let name = item.ident.to_string();
    vec![
        (base.join(format!("{name}.rs")), false),
        (base.join(&name).join("mod.rs"), true),
    ]
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// Every `.rs` file under `dir`, in a stable order.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The `[package]` name in `dir/Cargo.toml`, or the folder's name.
fn package_name(dir: &Path) -> String {
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some(value) = line.strip_prefix("name")
            && let Some(value) = value.trim_start().strip_prefix('=')
        {
            return value.trim().trim_matches('"').to_owned();
        }
    }
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
