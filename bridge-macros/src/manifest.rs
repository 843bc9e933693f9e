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
/// told (no manifest, the runtime's own package, a name inherited from a
/// workspace): then rustc's own error stands.
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
        .or_insert_with(|| read_manifest(&dir.join("Cargo.toml")))
        .clone()
}

fn read_manifest(path: &Path) -> Option<String> {
    renamed_in(&std::fs::read_to_string(path).ok()?)
}

/// Reads a `Cargo.toml` the way the dependency tables are usually written:
/// `name = { package = "bridge-runtime", .. }`, `name.package =
/// "bridge-runtime"`, and `[dependencies.name]` followed by `package =
/// "bridge-runtime"`, in any dependency table. Returns the name as Rust
/// code spells it, unless the runtime is also a dependency under its own
/// name.
pub(crate) fn renamed_in(manifest: &str) -> Option<String> {
    const PACKAGE: &str = "bridge-runtime";
    let mut renamed = None;
    // The dependency a `[..dependencies.NAME]` table header names.
    let mut table_dependency: Option<String> = None;
    let mut in_dependencies = false;
    for line in manifest.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') {
            let header = line.trim_matches(|c| c == '[' || c == ']').trim();
            let parts: Vec<&str> = header.split('.').map(str::trim).collect();
            let at = parts.iter().position(|p| p.ends_with("dependencies"));
            in_dependencies = at.is_some_and(|i| i + 1 == parts.len());
            table_dependency = at
                .filter(|i| i + 2 == parts.len())
                .map(|i| unquote(parts[i + 1]));
            if let Some(name) = &table_dependency {
                if is_runtime_name(name) {
                    return None;
                }
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        let value = value.trim();
        let names_package = |text: &str| {
            text.split(',').any(|field| {
                field.split_once('=').is_some_and(|(k, v)| {
                    k.trim().trim_start_matches('{').trim() == "package"
                        && unquote(v.trim().trim_end_matches('}').trim()) == PACKAGE
                })
            })
        };
        if let Some(name) = &table_dependency {
            if key == "package" && unquote(value) == PACKAGE {
                renamed = Some(name.clone());
            }
            continue;
        }
        if !in_dependencies {
            continue;
        }
        let (name, field) = match key.split_once('.') {
            Some((name, field)) => (unquote(name.trim()), Some(field.trim())),
            None => (unquote(key), None),
        };
        if is_runtime_name(&name) {
            return None;
        }
        let is_rename = match field {
            Some("package") => unquote(value) == PACKAGE,
            Some(_) => false,
            None => value.starts_with('{') && names_package(value),
        };
        if is_rename {
            renamed = Some(name);
        }
    }
    renamed.map(|name| name.replace('-', "_"))
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

    #[test]
    fn a_renamed_dependency_is_found_in_each_form() {
        let inline = "[package]\nname = \"app\"\n\n[dependencies]\ntokio = \"1\"\nbridge = { package = \"bridge-runtime\", version = \"0.1\" } # renamed\n";
        assert_eq!(renamed_in(inline).as_deref(), Some("bridge"));
        let dotted = "[dev-dependencies]\nmy-bridge.package = \"bridge-runtime\"\nmy-bridge.path = \"../b\"\n";
        assert_eq!(renamed_in(dotted).as_deref(), Some("my_bridge"));
        let table = "[target.'cfg(unix)'.dependencies.br]\npackage = \"bridge-runtime\"\nversion = \"0.1\"\n";
        assert_eq!(renamed_in(table).as_deref(), Some("br"));
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
            assert_eq!(renamed_in(manifest), None, "{manifest}");
        }
    }
}
