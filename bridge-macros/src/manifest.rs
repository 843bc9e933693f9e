//! The path of the runtime in generated code: `crate = PATH` if given, else
//! `::bridge_runtime`. When the crate being compiled depends on
//! `bridge-runtime` under another name, `::bridge_runtime` does not exist
//! there and rustc would only say "unresolved"; the crate's `Cargo.toml`
//! tells the name, and the error says which `crate = ..` to write.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

use crate::args::{Attribute, Options, attribute_span};
use crate::errors::Errors;

/// The runtime's path for the expansion; reports a renamed dependency that
/// `crate = ..` does not name.
pub(crate) fn runtime_path(
    attribute: Attribute,
    options: &Options,
    errors: &mut Errors,
) -> TokenStream {
    let given = options.krate.as_ref();
    let kind = options.kind.as_ref().map_or("io", |(kind, _)| kind.name());
    if let Some(path) = given {
        return path.to_token_stream();
    }
    if let Some(name) = renamed_runtime() {
        let example = match attribute {
            Attribute::Offload => format!("#[offload({kind}, crate = ::{name})]"),
            Attribute::Blocking => format!("#[blocking(crate = ::{name})]"),
        };
        errors.span(
            attribute_span(),
            format!(
                "this crate depends on `bridge-runtime` under the name `{name}` (its `Cargo.toml` renames it), so `#[{}]` cannot find it as `::bridge_runtime`: add `crate = ::{name}` to the attribute, like `{example}`",
                attribute.name(),
            ),
        );
    }
    quote!(::bridge_runtime)
}

/// The name the crate being compiled gives `bridge-runtime`, if it renames
/// it and depends on it under no other name. `None` whenever that cannot be
/// told (no manifest, the runtime's own package): then rustc's own error
/// stands.
fn renamed_runtime() -> Option<String> {
    static SEEN: Mutex<Option<HashMap<PathBuf, Option<String>>>> = Mutex::new(None);
    if std::env::var("CARGO_PKG_NAME").is_ok_and(|name| name == "bridge-runtime") {
        return None;
    }
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    let mut seen = SEEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    seen.get_or_insert_with(HashMap::new)
        .entry(dir.clone())
        .or_insert_with(|| read_manifest(&dir))
        .clone()
}

/// [`renamed_in`] for the package in `dir`, with its workspace's manifest
/// (the nearest `Cargo.toml` above it that has a `[workspace]` table) for
/// the dependencies it inherits.
fn read_manifest(dir: &Path) -> Option<String> {
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let workspace = || {
        dir.ancestors().skip(1).find_map(|above| {
            let text = std::fs::read_to_string(above.join("Cargo.toml")).ok()?;
            text.lines()
                .any(|line| line.trim() == "[workspace]")
                .then_some(text)
        })
    };
    renamed_in(&manifest, workspace)
}

/// Reads a `Cargo.toml` the way the dependency tables are usually written:
/// `name = { package = "bridge-runtime", .. }`, `name.package =
/// "bridge-runtime"`, and `[dependencies.name]` followed by `package =
/// "bridge-runtime"`, in any dependency table; a dependency inherited with
/// `workspace = true` is looked up in the same way in the
/// `[workspace.dependencies]` of the manifest `workspace` gives. Returns
/// the name as Rust code spells it, unless the runtime is also a
/// dependency under its own name.
pub(crate) fn renamed_in(
    manifest: &str,
    workspace: impl FnOnce() -> Option<String>,
) -> Option<String> {
    let own = Dependencies::of(manifest, Tables::Package);
    if own.under_its_own_name {
        return None;
    }
    let renamed = match own.renames.last() {
        Some(name) => Some(name.clone()),
        None if own.inherited.is_empty() => None,
        None => {
            if own.inherited.iter().any(|name| is_runtime_name(name)) {
                return None;
            }
            let shared = Dependencies::of(&workspace()?, Tables::Workspace);
            own.inherited
                .iter()
                .find(|name| shared.renames.contains(name))
                .cloned()
        }
    };
    renamed.map(|name| name.replace('-', "_"))
}

/// Which dependency tables of a manifest are read.
#[derive(Clone, Copy, PartialEq)]
enum Tables {
    /// A package's own: `[dependencies]`, `[dev-dependencies]`,
    /// `[target.'..'.dependencies]` and the like.
    Package,
    /// `[workspace.dependencies]`, which members inherit from.
    Workspace,
}

/// What a manifest's dependency tables say of the runtime.
#[derive(Default)]
struct Dependencies {
    /// Some table names it under its own name.
    under_its_own_name: bool,
    /// The names that rename it, in the order written.
    renames: Vec<String>,
    /// The names inherited from the workspace (`workspace = true`).
    inherited: Vec<String>,
}

impl Dependencies {
    fn of(manifest: &str, tables: Tables) -> Self {
        const PACKAGE: &str = "bridge-runtime";
        let mut found = Dependencies::default();
        // The dependency a `[..dependencies.NAME]` table header names.
        let mut table_dependency: Option<String> = None;
        let mut in_dependencies = false;
        for line in manifest.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.starts_with('[') {
                let header = line.trim_matches(|c| c == '[' || c == ']').trim();
                let parts: Vec<&str> = header.split('.').map(str::trim).collect();
                let at = parts.iter().position(|p| p.ends_with("dependencies"));
                let wanted = at.is_some_and(|i| match tables {
                    Tables::Package => parts[0] != "workspace",
                    Tables::Workspace => i == 1 && parts[0] == "workspace",
                });
                in_dependencies = wanted && at.is_some_and(|i| i + 1 == parts.len());
                table_dependency = at
                    .filter(|i| wanted && i + 2 == parts.len())
                    .map(|i| unquote(parts[i + 1]));
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            let has_field = |text: &str, field: &str, wanted: &str| {
                text.split(',').any(|pair| {
                    pair.split_once('=').is_some_and(|(k, v)| {
                        k.trim().trim_start_matches('{').trim() == field
                            && unquote(v.trim().trim_end_matches('}').trim()) == wanted
                    })
                })
            };
            let (name, field, value) = match &table_dependency {
                Some(name) => (name.clone(), Some(key), value),
                None if in_dependencies => match key.split_once('.') {
                    Some((name, field)) => (unquote(name), Some(field.trim()), value),
                    None => (unquote(key), None, value),
                },
                None => continue,
            };
            let (renames, inherits) = match field {
                Some("package") => (unquote(value) == PACKAGE, false),
                Some("workspace") => (false, value == "true"),
                Some(_) => (false, false),
                None if value.starts_with('{') => (
                    has_field(value, "package", PACKAGE),
                    has_field(value, "workspace", "true"),
                ),
                None => (false, false),
            };
            if inherits {
                found.inherited.push(name);
            } else if is_runtime_name(&name) {
                found.under_its_own_name |= tables == Tables::Package;
            } else if renames {
                found.renames.push(name);
            }
        }
        found
    }
}

fn is_runtime_name(name: &str) -> bool {
    name == "bridge-runtime" || name == "bridge_runtime"
}

fn unquote(text: &str) -> String {
    text.trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::renamed_in;

    /// No workspace manifest.
    fn none() -> Option<String> {
        None
    }

    #[test]
    fn a_renamed_dependency_is_found_in_each_form() {
        let inline = "[package]\nname = \"app\"\n\n[dependencies]\ntokio = \"1\"\nbridge = { package = \"bridge-runtime\", version = \"0.1\" } # renamed\n";
        assert_eq!(renamed_in(inline, none).as_deref(), Some("bridge"));
        let dotted = "[dev-dependencies]\nmy-bridge.package = \"bridge-runtime\"\nmy-bridge.path = \"../b\"\n";
        assert_eq!(renamed_in(dotted, none).as_deref(), Some("my_bridge"));
        let table = "[target.'cfg(unix)'.dependencies.br]\npackage = \"bridge-runtime\"\nversion = \"0.1\"\n";
        assert_eq!(renamed_in(table, none).as_deref(), Some("br"));
    }

    #[test]
    fn no_rename_is_reported_when_there_is_none() {
        for manifest in [
            "[dependencies]\nbridge-runtime = \"0.1\"\n",
            "[dependencies]\nbridge-runtime = { path = \"../bridge-runtime\" }\n",
            "[dependencies.bridge-runtime]\nversion = \"0.1\"\n",
            "[dependencies]\nbridge_runtime = { package = \"bridge-runtime\", version = \"0.1\" }\n",
            // Renamed for the tests only, and under its own name for the crate.
            "[dependencies]\nbridge-runtime = \"0.1\"\n[dev-dependencies]\nb = { package = \"bridge-runtime\", version = \"0.1\" }\n",
            // Another package's `package` key, and a `package` outside dependencies.
            "[package]\nname = \"x\"\n[dependencies]\nother = { package = \"bridge-runtime-extra\" }\n",
            "",
        ] {
            assert_eq!(renamed_in(manifest, none), None, "{manifest}");
        }
    }

    #[test]
    fn a_rename_inherited_from_the_workspace_is_found() {
        let workspace = || {
            Some(
                "[workspace]\nmembers = [\"app\"]\n[workspace.dependencies]\nbridge = { package = \"bridge-runtime\", path = \"x\" }\ntokio = \"1\"\n"
                    .to_owned(),
            )
        };
        for member in [
            "[dependencies]\nbridge = { workspace = true }\n",
            "[dependencies]\nbridge.workspace = true\n",
            "[dependencies.bridge]\nworkspace = true\n",
        ] {
            assert_eq!(
                renamed_in(member, workspace).as_deref(),
                Some("bridge"),
                "{member}"
            );
        }
        // Inherited under its own name, or a name the workspace does not
        // rename: nothing to report.
        let plain = || {
            Some(
                "[workspace]\n[workspace.dependencies]\nbridge-runtime = { path = \"x\" }\n"
                    .to_owned(),
            )
        };
        assert_eq!(
            renamed_in(
                "[dependencies]\nbridge-runtime = { workspace = true }\n",
                plain
            ),
            None
        );
        assert_eq!(
            renamed_in("[dependencies]\ntokio = { workspace = true }\n", workspace),
            None
        );
        // The workspace root's own dependencies are not the members'.
        let root_package = || {
            Some("[workspace]\n[dependencies]\nbridge = { package = \"bridge-runtime\" }\n[workspace.dependencies]\nbridge = { path = \"x\" }\n".to_owned())
        };
        assert_eq!(
            renamed_in(
                "[dependencies]\nbridge = { workspace = true }\n",
                root_package
            ),
            None
        );
    }
}
