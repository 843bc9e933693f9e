//! Whose path is it? The modules, items and `use` declarations in view (the
//! file a macro expands in, or a whole package), and the resolution of a
//! path through them, as rustc does it: the blocks around the code, then
//! its module's items and imports, then its glob imports, then the prelude
//! and the crates.
//!
//! Where the code in view cannot tell what a path means (a module whose
//! file was not read, a glob import of unknown content, two candidates),
//! the answer is [`Target::Unknown`], and the checker stays silent.
//!
//! Everything here is plain data, without spans, so that a model built from
//! files parsed outside the compiler can serve a macro's own input.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use syn::{Attribute, Item, UseTree};

use super::catalogue;

pub(super) type ModId = usize;
pub(super) type TypeId = usize;

/// A path as written, without generics.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Written {
    pub(super) leading_colon: bool,
    pub(super) segments: Vec<String>,
}

impl Written {
    pub(super) fn of(path: &syn::Path) -> Written {
        Written {
            leading_colon: path.leading_colon.is_some(),
            segments: path.segments.iter().map(|s| s.ident.to_string()).collect(),
        }
    }

    fn joined(&self) -> String {
        self.segments.join("::")
    }
}

/// A type as written, reduced to what following a value needs.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Ty {
    /// A path with the type arguments of its last segment.
    Path(Written, Vec<Ty>),
    Ref(Box<Ty>),
    Tuple(Vec<Ty>),
    Other,
}

impl Ty {
    pub(super) fn of(ty: &syn::Type) -> Ty {
        match ty {
            syn::Type::Path(path) if path.qself.is_none() => {
                let args = match path.path.segments.last().map(|s| &s.arguments) {
                    Some(syn::PathArguments::AngleBracketed(args)) => args
                        .args
                        .iter()
                        .filter_map(|arg| match arg {
                            syn::GenericArgument::Type(ty) => Some(Ty::of(ty)),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                Ty::Path(Written::of(&path.path), args)
            }
            syn::Type::Reference(reference) => Ty::Ref(Box::new(Ty::of(&reference.elem))),
            syn::Type::Tuple(tuple) => Ty::Tuple(tuple.elems.iter().map(Ty::of).collect()),
            syn::Type::Paren(paren) => Ty::of(&paren.elem),
            syn::Type::Group(group) => Ty::of(&group.elem),
            _ => Ty::Other,
        }
    }
}

/// Why calling a fn of the code in view blocks.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Blocker {
    /// A `#[blocking]` fn: it blocks until its future is done. `kept`
    /// names its async original, when `keep = NAME` keeps one.
    Blocking { kept: Option<String> },
    /// The sync original that `#[offload(.., keep = NAME)]` keeps; the fn
    /// named `offloaded` is its async version.
    Kept { offloaded: String },
}

/// What a name is bound to.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Def {
    Module(ModId),
    Fn(Option<Blocker>),
    Type(TypeId),
    /// A `static` or `const`, with its type.
    Static(Ty),
    /// `type X = path;`, followed like a `use`.
    Alias(Written),
    Use(Written),
    Other,
}

/// The names a module or a block declares.
#[derive(Clone, Debug, Default)]
pub(super) struct Scope {
    pub(super) names: HashMap<String, Vec<Def>>,
    pub(super) globs: Vec<Written>,
    /// `use path as _;`: traits brought in without a name.
    pub(super) unnamed: Vec<Written>,
    /// A macro is called among the items (`make_fns!();`): it may declare
    /// any name, which would hide what a glob import brings in.
    pub(super) macros: bool,
}

impl Scope {
    fn define(&mut self, name: String, def: Def) {
        self.names.entry(name).or_default().push(def);
    }

    /// The names declared by the items among a block's statements. Types and
    /// modules declared in a block are not followed into.
    pub(super) fn of_block(stmts: &[syn::Stmt]) -> Scope {
        let mut scope = Scope::default();
        for stmt in stmts {
            if let syn::Stmt::Item(item) = stmt {
                match item {
                    Item::Struct(s) => scope.define(s.ident.to_string(), Def::Other),
                    Item::Enum(e) => scope.define(e.ident.to_string(), Def::Other),
                    Item::Mod(m) => scope.define(m.ident.to_string(), Def::Other),
                    other => simple_defs(&mut scope, other),
                }
            }
        }
        scope
    }
}

/// The definitions of an item that need no module or type of their own.
fn simple_defs(scope: &mut Scope, item: &Item) {
    match item {
        Item::Use(u) => add_use(scope, Vec::new(), false, &u.tree),
        Item::Fn(f) => {
            scope.define(f.sig.ident.to_string(), Def::Fn(blocker(&f.attrs)));
            if let Some((twin, def)) = kept_twin(&f.attrs, &f.sig.ident) {
                scope.define(twin, def);
            }
        }
        Item::Static(s) => scope.define(s.ident.to_string(), Def::Static(Ty::of(&s.ty))),
        Item::Const(c) => scope.define(c.ident.to_string(), Def::Static(Ty::of(&c.ty))),
        Item::Type(t) => {
            let def = match &*t.ty {
                syn::Type::Path(p) if p.qself.is_none() => Def::Alias(Written::of(&p.path)),
                _ => Def::Other,
            };
            scope.define(t.ident.to_string(), def);
        }
        Item::Trait(t) => scope.define(t.ident.to_string(), Def::Other),
        Item::Union(u) => scope.define(u.ident.to_string(), Def::Other),
        Item::TraitAlias(t) => scope.define(t.ident.to_string(), Def::Other),
        Item::Macro(m) => match &m.ident {
            // `macro_rules! name`: a macro of one's own, not std's.
            Some(name) => scope.define(name.to_string(), Def::Other),
            None => scope.macros = true,
        },
        Item::ExternCrate(e) => {
            let name = e
                .rename
                .as_ref()
                .map_or_else(|| e.ident.to_string(), |(_, rename)| rename.to_string());
            scope.define(
                name,
                Def::Use(Written {
                    leading_colon: e.ident != "self",
                    segments: vec![if e.ident == "self" {
                        "crate".to_owned()
                    } else {
                        e.ident.to_string()
                    }],
                }),
            );
        }
        Item::ForeignMod(foreign) => {
            for item in &foreign.items {
                match item {
                    syn::ForeignItem::Fn(f) => scope.define(f.sig.ident.to_string(), Def::Other),
                    syn::ForeignItem::Static(s) => {
                        scope.define(s.ident.to_string(), Def::Static(Ty::of(&s.ty)));
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

fn add_use(scope: &mut Scope, prefix: Vec<String>, leading_colon: bool, tree: &UseTree) {
    let written = |segments: Vec<String>| Written {
        leading_colon,
        segments,
    };
    match tree {
        UseTree::Path(path) => {
            let mut prefix = prefix;
            prefix.push(path.ident.to_string());
            add_use(scope, prefix, leading_colon, &path.tree);
        }
        UseTree::Name(name) => {
            let mut full = prefix;
            if name.ident == "self" {
                // `use std::fs::{self}` binds `fs`.
                if let Some(last) = full.last().cloned() {
                    scope.define(last, Def::Use(written(full)));
                }
            } else {
                full.push(name.ident.to_string());
                scope.define(name.ident.to_string(), Def::Use(written(full)));
            }
        }
        UseTree::Rename(rename) => {
            let mut full = prefix;
            if rename.ident != "self" {
                full.push(rename.ident.to_string());
            }
            if rename.rename == "_" {
                scope.unnamed.push(written(full));
            } else {
                scope.define(rename.rename.to_string(), Def::Use(written(full)));
            }
        }
        UseTree::Glob(_) => scope.globs.push(written(prefix)),
        UseTree::Group(group) => {
            for tree in &group.items {
                add_use(scope, prefix.clone(), leading_colon, tree);
            }
        }
    }
}

/// The last segment of an attribute's path: `blocking` for
/// `#[bridge_runtime::blocking(keep = x)]`.
pub(super) fn attr_name(attr: &Attribute) -> Option<String> {
    attr.path().segments.last().map(|s| s.ident.to_string())
}

pub(super) fn has_attr(attrs: &[Attribute], name: &str) -> bool {
    attrs
        .iter()
        .any(|a| attr_name(a).is_some_and(|n| n == name))
}

/// `#[cfg(test)]`, or another `cfg` that holds only in tests (`all(test,
/// unix)`): test-only code.
pub(super) fn is_cfg_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && a.parse_args::<syn::Meta>().is_ok_and(|p| only_in_tests(&p))
    })
}

/// Whether the `cfg` predicate `p` can hold only when `test` does.
fn only_in_tests(p: &syn::Meta) -> bool {
    match p {
        syn::Meta::Path(path) => path.is_ident("test"),
        syn::Meta::List(list) => {
            let Ok(inner) = list.parse_args_with(
                syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
            ) else {
                return false;
            };
            if list.path.is_ident("all") {
                inner.iter().any(only_in_tests)
            } else if list.path.is_ident("any") {
                !inner.is_empty() && inner.iter().all(only_in_tests)
            } else {
                false
            }
        }
        syn::Meta::NameValue(_) => false,
    }
}

fn blocker(attrs: &[Attribute]) -> Option<Blocker> {
    has_attr(attrs, "blocking").then(|| Blocker::Blocking {
        kept: attrs.iter().find_map(|attr| {
            (attr_name(attr).as_deref() == Some("blocking"))
                .then(|| keep_value(attr))
                .flatten()
        }),
    })
}

/// `NAME` in `#[attr(.., keep = NAME)]`.
fn keep_value(attr: &Attribute) -> Option<String> {
    let list = attr.meta.require_list().ok()?;
    let tokens: Vec<proc_macro2::TokenTree> = list.tokens.clone().into_iter().collect();
    tokens.windows(3).find_map(|window| match window {
        [
            proc_macro2::TokenTree::Ident(key),
            proc_macro2::TokenTree::Punct(eq),
            proc_macro2::TokenTree::Ident(value),
        ] if key == "keep" && eq.as_char() == '=' => Some(value.to_string()),
        _ => None,
    })
}

/// The name of the kept twin of `#[offload(.., keep = NAME)]` (a sync fn
/// that blocks) or `#[blocking(keep = NAME)]` (the async original).
fn kept_twin(attrs: &[Attribute], ident: &syn::Ident) -> Option<(String, Def)> {
    attrs.iter().find_map(|attr| {
        let blocking = match attr_name(attr).as_deref() {
            Some("offload") => true,
            Some("blocking") => false,
            _ => return None,
        };
        let def = Def::Fn(blocking.then(|| Blocker::Kept {
            offloaded: ident.to_string(),
        }));
        keep_value(attr).map(|twin| (twin, def))
    })
}

/// A module: its scope, and where it sits.
#[derive(Debug)]
pub(super) struct Module {
    pub(super) parent: Option<ModId>,
    /// The root of its crate, where `crate::` starts, if known.
    pub(super) root: Option<ModId>,
    pub(super) scope: Scope,
    /// Its content is in view (not so for `mod x;` whose file is not read,
    /// or for the unseen file around a macro's input).
    pub(super) known: bool,
}

/// A struct, enum or union of the code in view, with the methods its
/// `impl` blocks declare.
#[derive(Debug)]
pub(super) struct TypeDef {
    /// Where its fields' types are resolved.
    pub(super) module: ModId,
    pub(super) fields: HashMap<String, Ty>,
    pub(super) methods: HashMap<String, Option<Blocker>>,
}

#[derive(Debug)]
struct PendingImpl {
    module: ModId,
    self_ty: Written,
    methods: Vec<(String, Option<Blocker>)>,
}

/// Reads the file of a `mod name;` declaration, if it can.
pub(super) trait Loader {
    /// Fills module `id`, declared by `item` inside the inline modules
    /// `inline` of the file being read; `false` if its file is not read.
    fn load(
        &mut self,
        world: &mut World,
        id: ModId,
        item: &syn::ItemMod,
        inline: &[String],
    ) -> bool;
}

/// A loader that reads no file.
pub(super) struct NoFiles;

impl Loader for NoFiles {
    fn load(&mut self, _: &mut World, _: ModId, _: &syn::ItemMod, _: &[String]) -> bool {
        false
    }
}

/// The code in view.
#[derive(Debug, Default)]
pub(super) struct World {
    pub(super) modules: Vec<Module>,
    pub(super) types: Vec<TypeDef>,
    /// The type of each `impl` block: (module, self type as written).
    impls: HashMap<(ModId, String), TypeId>,
    /// Other crates in view, by name (a package's library, for its binaries).
    pub(super) crates: HashMap<String, ModId>,
    /// The names of the methods that the traits and `impl` blocks in view
    /// declare, whatever their type.
    pub(super) own_methods: HashSet<String>,
    pending: Vec<PendingImpl>,
    /// The glob lookups under way (globs, name): a glob path that needs
    /// the same lookup again is a cycle, not a deeper search.
    globbing: RefCell<Vec<(usize, String)>>,
}

/// What a path means.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Target {
    /// A path outside the code in view, in full: `std::fs::read`.
    Extern(Vec<String>),
    Module(ModId),
    Type(TypeId),
    Fn(Option<Blocker>),
    /// `Type::name` for a type of the code in view.
    AssocFn(TypeId, String),
    /// A `static` or `const` and the module its type is resolved in.
    Static(Ty, ModId),
    Other,
    Unknown,
}

/// Where a path is resolved: a module, the blocks around the code inside
/// it (outermost first), and what `Self` is there.
#[derive(Clone, Copy, Debug)]
pub(super) struct Place<'a> {
    pub(super) module: ModId,
    pub(super) blocks: &'a [Scope],
    pub(super) self_ty: &'a Target,
}

pub(super) static UNKNOWN: Target = Target::Unknown;

/// The outcome of looking a name up in glob imports.
enum Globbed {
    Found(Target),
    /// A glob of unknown content might bring it in.
    Unsure,
    Absent,
}

const MAX_DEPTH: usize = 24;

impl World {
    /// A new module; `root: None` with no parent makes it a crate root.
    pub(super) fn add_module(&mut self, parent: Option<ModId>, known: bool) -> ModId {
        let id = self.modules.len();
        let root = match parent {
            Some(parent) => self.modules[parent].root,
            None => Some(id),
        };
        self.modules.push(Module {
            parent,
            root,
            scope: Scope::default(),
            known,
        });
        id
    }

    /// A module at the top of a file whose place in its crate is unknown:
    /// `crate::` and `super::` from it lead nowhere known.
    pub(super) fn add_detached_module(&mut self, known: bool) -> ModId {
        let id = self.add_module(None, known);
        self.modules[id].root = None;
        id
    }

    /// A module of the code in view, by its name in `parent` (the `nth` of
    /// that name, for `#[cfg]` variants).
    pub(super) fn child_module(&self, parent: ModId, name: &str, nth: usize) -> Option<ModId> {
        self.modules[parent]
            .scope
            .names
            .get(name)?
            .iter()
            .filter_map(|def| match def {
                Def::Module(m) => Some(*m),
                _ => None,
            })
            .nth(nth)
    }

    /// Declares the items of module `m`; `inline` names the inline modules
    /// around them within their file.
    pub(super) fn collect(
        &mut self,
        m: ModId,
        items: &[Item],
        inline: &mut Vec<String>,
        loader: &mut dyn Loader,
    ) {
        for item in items {
            match item {
                Item::Mod(module) => {
                    let child = self.add_module(Some(m), module.content.is_some());
                    self.modules[m]
                        .scope
                        .define(module.ident.to_string(), Def::Module(child));
                    if let Some((_, items)) = &module.content {
                        inline.push(module.ident.to_string());
                        self.collect(child, items, inline, loader);
                        inline.pop();
                    } else if loader.load(self, child, module, inline) {
                        self.modules[child].known = true;
                    }
                }
                Item::Struct(s) => {
                    let fields = s
                        .fields
                        .iter()
                        .enumerate()
                        .map(|(i, field)| {
                            let name = field
                                .ident
                                .as_ref()
                                .map_or_else(|| i.to_string(), ToString::to_string);
                            (name, Ty::of(&field.ty))
                        })
                        .collect();
                    let t = self.add_type(m, fields);
                    self.modules[m]
                        .scope
                        .define(s.ident.to_string(), Def::Type(t));
                }
                Item::Enum(e) => {
                    let t = self.add_type(m, HashMap::new());
                    self.modules[m]
                        .scope
                        .define(e.ident.to_string(), Def::Type(t));
                }
                Item::Impl(imp) => {
                    self.own_methods
                        .extend(imp.items.iter().filter_map(|item| match item {
                            syn::ImplItem::Fn(f) => Some(f.sig.ident.to_string()),
                            _ => None,
                        }));
                    let syn::Type::Path(path) = &*imp.self_ty else {
                        continue;
                    };
                    let methods = imp
                        .items
                        .iter()
                        .flat_map(|item| match item {
                            syn::ImplItem::Fn(f) => {
                                let mut found = vec![(f.sig.ident.to_string(), blocker(&f.attrs))];
                                if let Some((twin, Def::Fn(blocker))) =
                                    kept_twin(&f.attrs, &f.sig.ident)
                                {
                                    found.push((twin, blocker));
                                }
                                found
                            }
                            _ => Vec::new(),
                        })
                        .collect();
                    self.pending.push(PendingImpl {
                        module: m,
                        self_ty: Written::of(&path.path),
                        methods,
                    });
                }
                Item::Trait(t) => {
                    self.own_methods
                        .extend(t.items.iter().filter_map(|item| match item {
                            syn::TraitItem::Fn(f) => Some(f.sig.ident.to_string()),
                            _ => None,
                        }));
                    simple_defs(&mut self.modules[m].scope, item);
                }
                other => simple_defs(&mut self.modules[m].scope, other),
            }
        }
    }

    fn add_type(&mut self, module: ModId, fields: HashMap<String, Ty>) -> TypeId {
        self.types.push(TypeDef {
            module,
            fields,
            methods: HashMap::new(),
        });
        self.types.len() - 1
    }

    /// Gives each `impl` block's methods to its type, once every module is
    /// in. An `impl` of a type out of view gets a type of its own, so that
    /// `self.method()` and `Self::method()` inside it are still followed.
    pub(super) fn finish(&mut self) {
        // A name that one `impl` of a type declares blocking and another one
        // not (`impl Client<Sync>` and `impl Client<Async>`, or `#[cfg]`
        // variants): which one a call means is not known, so not blocking.
        let mut also_unblocked: Vec<(TypeId, String)> = Vec::new();
        for pending in std::mem::take(&mut self.pending) {
            let place = Place {
                module: pending.module,
                blocks: &[],
                self_ty: &UNKNOWN,
            };
            let key = (pending.module, pending.self_ty.joined());
            let t = match self.resolve(place, &pending.self_ty) {
                Target::Type(t) => t,
                _ => match self.impls.get(&key) {
                    Some(t) => *t,
                    None => self.add_type(pending.module, HashMap::new()),
                },
            };
            self.impls.insert(key, t);
            for (name, blocker) in pending.methods {
                if blocker.is_none() {
                    also_unblocked.push((t, name.clone()));
                }
                let slot = self.types[t].methods.entry(name).or_insert(None);
                if blocker.is_some() {
                    *slot = blocker;
                }
            }
        }
        for (t, name) in also_unblocked {
            if let Some(slot) = self.types[t].methods.get_mut(&name) {
                *slot = None;
            }
        }
    }

    /// What `Self` is inside `impl ... for self_ty` written at `place`.
    pub(super) fn impl_target(&self, place: Place<'_>, self_ty: &syn::Type) -> Target {
        let syn::Type::Path(path) = self_ty else {
            return Target::Unknown;
        };
        let written = Written::of(&path.path);
        if place.blocks.is_empty()
            && let Some(t) = self.impls.get(&(place.module, written.joined()))
        {
            return Target::Type(*t);
        }
        match self.resolve(place, &written) {
            target @ (Target::Type(_) | Target::Extern(_)) => target,
            _ => Target::Unknown,
        }
    }

    /// What `path` means at `place`.
    pub(super) fn resolve(&self, place: Place<'_>, path: &Written) -> Target {
        self.resolve_at(place, path, 0)
    }

    fn resolve_at(&self, place: Place<'_>, path: &Written, depth: usize) -> Target {
        if depth > MAX_DEPTH {
            return Target::Unknown;
        }
        let Some((first, rest)) = path.segments.split_first() else {
            return Target::Unknown;
        };
        let mut target = if path.leading_colon {
            self.extern_crate(first)
        } else {
            match first.as_str() {
                "crate" => self.modules[place.module]
                    .root
                    .map_or(Target::Unknown, Target::Module),
                "self" => Target::Module(place.module),
                "super" => self.modules[place.module]
                    .parent
                    .map_or(Target::Unknown, Target::Module),
                "Self" => place.self_ty.clone(),
                _ => self.lookup(place, first, depth),
            }
        };
        for segment in rest {
            target = match target {
                Target::Extern(mut full) => {
                    full.push(segment.clone());
                    Target::Extern(full)
                }
                Target::Module(m) if segment == "super" => self.modules[m]
                    .parent
                    .map_or(Target::Unknown, Target::Module),
                Target::Module(m) => self.lookup_in_module(m, segment, depth),
                Target::Type(t) => Target::AssocFn(t, segment.clone()),
                _ => Target::Unknown,
            };
        }
        target
    }

    fn extern_crate(&self, name: &str) -> Target {
        match self.crates.get(name) {
            Some(m) => Target::Module(*m),
            None => Target::Extern(vec![name.to_owned()]),
        }
    }

    /// A name where code is: the blocks around it, innermost first, then
    /// its module, its glob imports, the prelude and the crates.
    fn lookup(&self, place: Place<'_>, name: &str, depth: usize) -> Target {
        // A glob of a block that may bring `name` in (a module the tables do
        // not know) hides whatever an outer scope calls `name`: past it,
        // nothing found is sure.
        let mut unsure = false;
        for end in (0..place.blocks.len()).rev() {
            let here = Place {
                blocks: &place.blocks[..=end],
                ..place
            };
            let block = &place.blocks[end];
            if let Some(defs) = block.names.get(name) {
                return if unsure {
                    Target::Unknown
                } else {
                    self.targets(here, defs, depth)
                };
            }
            match self.globbed(here, &block.globs, name, depth) {
                Globbed::Found(_) if unsure => return Target::Unknown,
                Globbed::Found(target) => return target,
                Globbed::Unsure => unsure = true,
                Globbed::Absent => {}
            }
        }
        let hidden = unsure;
        let module = &self.modules[place.module];
        let at_module = Place {
            module: place.module,
            blocks: &[],
            self_ty: &UNKNOWN,
        };
        if let Some(defs) = module.scope.names.get(name) {
            return if hidden {
                Target::Unknown
            } else {
                self.targets(at_module, defs, depth)
            };
        }
        // A name a macro of the module may make hides globs and the prelude.
        let hidden = hidden || module.scope.macros;
        unsure |= !module.known || module.scope.macros;
        match self.globbed(at_module, &module.scope.globs, name, depth) {
            Globbed::Found(_) if hidden => return Target::Unknown,
            Globbed::Found(target) => return target,
            Globbed::Unsure => unsure = true,
            Globbed::Absent => {}
        }
        if let Some((_, full)) = catalogue::PRELUDE.iter().find(|(short, _)| *short == name) {
            if hidden {
                return Target::Unknown;
            }
            return Target::Extern(full.split("::").map(str::to_owned).collect());
        }
        // Not declared in view: a crate. Where names may be missing from
        // view, only the crates the catalogue knows are taken to be crates.
        if unsure && !catalogue::index().crates.contains(name) && !self.crates.contains_key(name) {
            return Target::Unknown;
        }
        self.extern_crate(name)
    }

    /// `name` as an item of module `m` (the second segment of `m::name`).
    fn lookup_in_module(&self, m: ModId, name: &str, depth: usize) -> Target {
        let module = &self.modules[m];
        let place = Place {
            module: m,
            blocks: &[],
            self_ty: &UNKNOWN,
        };
        if let Some(defs) = module.scope.names.get(name) {
            return self.targets(place, defs, depth + 1);
        }
        match self.globbed(place, &module.scope.globs, name, depth + 1) {
            Globbed::Found(target) if !module.scope.macros => target,
            _ => Target::Unknown,
        }
    }

    /// The one meaning of a name's definitions, or `Unknown` if they differ
    /// (`#[cfg]` variants, or a module and a fn of the same name).
    fn targets(&self, place: Place<'_>, defs: &[Def], depth: usize) -> Target {
        let mut found: Option<Target> = None;
        for def in defs {
            let target = match def {
                Def::Module(m) => Target::Module(*m),
                Def::Fn(blocker) => Target::Fn(blocker.clone()),
                Def::Type(t) => Target::Type(*t),
                Def::Static(ty) => Target::Static(ty.clone(), place.module),
                Def::Use(path) | Def::Alias(path) => self.resolve_at(place, path, depth + 1),
                Def::Other => Target::Other,
            };
            match &found {
                Some(previous) if *previous != target => return Target::Unknown,
                _ => found = Some(target),
            }
        }
        found.unwrap_or(Target::Unknown)
    }

    fn globbed(&self, place: Place<'_>, globs: &[Written], name: &str, depth: usize) -> Globbed {
        if globs.is_empty() {
            return Globbed::Absent;
        }
        if depth > MAX_DEPTH {
            return Globbed::Unsure;
        }
        let key = (globs.as_ptr() as usize, name.to_owned());
        if self.globbing.borrow().contains(&key) {
            return Globbed::Absent;
        }
        self.globbing.borrow_mut().push(key);
        let result = self.globbed_uncached(place, globs, name, depth);
        self.globbing.borrow_mut().pop();
        result
    }

    fn globbed_uncached(
        &self,
        place: Place<'_>,
        globs: &[Written],
        name: &str,
        depth: usize,
    ) -> Globbed {
        let mut found: Option<Target> = None;
        let mut unsure = false;
        for glob in globs {
            let candidate = match self.resolve_at(place, glob, depth + 1) {
                Target::Module(m) if self.modules[m].known => {
                    let inner = Place {
                        module: m,
                        blocks: &[],
                        self_ty: &UNKNOWN,
                    };
                    match self.modules[m].scope.names.get(name) {
                        Some(defs) => Some(self.targets(inner, defs, depth + 1)),
                        None if self.modules[m].scope.macros => {
                            unsure = true;
                            None
                        }
                        None => {
                            match self.globbed(inner, &self.modules[m].scope.globs, name, depth + 1)
                            {
                                Globbed::Found(target) => Some(target),
                                Globbed::Unsure => {
                                    unsure = true;
                                    None
                                }
                                Globbed::Absent => None,
                            }
                        }
                    }
                }
                Target::Extern(mut full) => {
                    full.push(name.to_owned());
                    if catalogue::index().known.contains(&full.join("::")) {
                        Some(Target::Extern(full))
                    } else {
                        unsure = true;
                        None
                    }
                }
                _ => {
                    unsure = true;
                    None
                }
            };
            if let Some(candidate) = candidate {
                match &found {
                    Some(previous) if *previous != candidate => return Globbed::Unsure,
                    _ => found = Some(candidate),
                }
            }
        }
        match found {
            Some(target) => Globbed::Found(target),
            None if unsure => Globbed::Unsure,
            None => Globbed::Absent,
        }
    }

    /// Is the trait at `path` (in full) visibly in scope at `place`: imported
    /// by name, as `_`, or through a glob of its module?
    pub(super) fn trait_in_scope(&self, place: Place<'_>, path: &str) -> bool {
        let wanted: Vec<String> = path.split("::").map(str::to_owned).collect();
        for end in (0..place.blocks.len()).rev() {
            let here = Place {
                blocks: &place.blocks[..=end],
                ..place
            };
            if self.scope_has_trait(here, &place.blocks[end], &wanted, 0) {
                return true;
            }
        }
        let at_module = Place {
            module: place.module,
            blocks: &[],
            self_ty: &UNKNOWN,
        };
        self.scope_has_trait(at_module, &self.modules[place.module].scope, &wanted, 0)
    }

    fn scope_has_trait(
        &self,
        place: Place<'_>,
        scope: &Scope,
        wanted: &[String],
        depth: usize,
    ) -> bool {
        if depth > 4 {
            return false;
        }
        let is_wanted = |path: &Written| {
            matches!(
                self.resolve_at(place, path, depth + 1),
                Target::Extern(full) if full == wanted
            )
        };
        // Imported under any name, or as `_`.
        let imported = scope.names.values().flatten().filter_map(|def| match def {
            Def::Use(path) => Some(path),
            _ => None,
        });
        if imported.chain(&scope.unnamed).any(is_wanted) {
            return true;
        }
        scope
            .globs
            .iter()
            .any(|glob| match self.resolve_at(place, glob, depth + 1) {
                Target::Extern(mut full) => {
                    full.extend(wanted.last().cloned());
                    full == wanted
                }
                Target::Module(m) if self.modules[m].known => {
                    let inner = Place {
                        module: m,
                        blocks: &[],
                        self_ty: &UNKNOWN,
                    };
                    self.scope_has_trait(inner, &self.modules[m].scope, wanted, depth + 1)
                }
                _ => false,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world(source: &str) -> (World, ModId) {
        let file: syn::File = syn::parse_str(source).expect("parses");
        let mut world = World::default();
        let root = world.add_module(None, true);
        world.collect(root, &file.items, &mut Vec::new(), &mut NoFiles);
        world.finish();
        (world, root)
    }

    fn resolve(world: &World, module: ModId, path: &str) -> Target {
        let path: syn::Path = syn::parse_str(path).expect("a path");
        let place = Place {
            module,
            blocks: &[],
            self_ty: &UNKNOWN,
        };
        world.resolve(place, &Written::of(&path))
    }

    fn ext(path: &str) -> Target {
        Target::Extern(path.split("::").map(str::to_owned).collect())
    }

    #[test]
    fn uses_renames_and_groups() {
        let (world, root) = world(
            "use std::thread::{self, sleep as nap}; use tokio::fs; use std::net::*; use tokio::prelude::*;",
        );
        assert_eq!(resolve(&world, root, "nap"), ext("std::thread::sleep"));
        assert_eq!(
            resolve(&world, root, "thread::sleep"),
            ext("std::thread::sleep")
        );
        assert_eq!(resolve(&world, root, "fs::read"), ext("tokio::fs::read"));
        // A std glob brings in what the catalogue knows is there.
        assert_eq!(
            resolve(&world, root, "TcpStream::connect"),
            ext("std::net::TcpStream::connect")
        );
        // An unknown glob may bring in anything but the known crates.
        assert_eq!(resolve(&world, root, "sleep"), Target::Unknown);
        assert_eq!(resolve(&world, root, "std::fs::read"), ext("std::fs::read"));
    }

    #[test]
    fn own_modules_and_types_are_not_std() {
        let (world, root) = world(
            "mod fs { pub fn read() {} } mod thread { pub use super::fs::read as sleep; } struct Runtime; impl Runtime { fn new() {} }",
        );
        assert!(matches!(
            resolve(&world, root, "fs::read"),
            Target::Fn(None)
        ));
        assert!(matches!(
            resolve(&world, root, "thread::sleep"),
            Target::Fn(None)
        ));
        assert!(matches!(
            resolve(&world, root, "Runtime::new"),
            Target::AssocFn(_, _)
        ));
    }

    #[test]
    fn crate_self_and_super_paths_reach_blocking_fns() {
        let (world, root) = world(
            "mod client { #[blocking] pub async fn fetch() {} #[offload(io, keep = read_sync)] pub fn read() {} pub mod inner {} }",
        );
        let inner = world.child_module(
            world.child_module(root, "client", 0).unwrap_or(0),
            "inner",
            0,
        );
        let inner = inner.unwrap_or(0);
        assert_eq!(
            resolve(&world, inner, "super::fetch"),
            Target::Fn(Some(Blocker::Blocking { kept: None }))
        );
        assert_eq!(
            resolve(&world, inner, "crate::client::fetch"),
            Target::Fn(Some(Blocker::Blocking { kept: None }))
        );
        assert_eq!(
            resolve(&world, inner, "super::super::client::read"),
            Target::Fn(None)
        );
        assert_eq!(
            resolve(&world, inner, "self::super::read_sync"),
            Target::Fn(Some(Blocker::Kept {
                offloaded: "read".into()
            }))
        );
    }

    #[test]
    fn a_macro_among_the_items_may_make_what_a_glob_brings_in() {
        let (world, root) = world(
            "use std::thread::*; make_sleep!(); mod plain { use std::thread::*; } mod made { make!(); }",
        );
        assert_eq!(resolve(&world, root, "sleep"), Target::Unknown);
        assert_eq!(
            resolve(&world, root, "std::thread::sleep"),
            ext("std::thread::sleep")
        );
        assert_eq!(
            resolve(&world, root, "plain::sleep"),
            ext("std::thread::sleep")
        );
        let plain = world.child_module(root, "plain", 0).unwrap_or(root);
        assert_eq!(resolve(&world, plain, "sleep"), ext("std::thread::sleep"));
    }

    #[test]
    fn two_meanings_are_unknown() {
        let (world, root) = world("#[cfg(a)] use std::fs; #[cfg(not(a))] use tokio::fs;");
        assert_eq!(resolve(&world, root, "fs::read"), Target::Unknown);
    }

    #[test]
    fn traits_in_scope() {
        let (world, root) = world(
            "mod a { use std::net::ToSocketAddrs as _; } mod b { use std::net::*; } mod c { use async_std::net::ToSocketAddrs; }",
        );
        let place = |m| Place {
            module: m,
            blocks: &[],
            self_ty: &UNKNOWN,
        };
        let at = |name| world.child_module(root, name, 0).unwrap_or(root);
        assert!(world.trait_in_scope(place(at("a")), "std::net::ToSocketAddrs"));
        assert!(world.trait_in_scope(place(at("b")), "std::net::ToSocketAddrs"));
        assert!(!world.trait_in_scope(place(at("c")), "std::net::ToSocketAddrs"));
        assert!(!world.trait_in_scope(place(root), "std::net::ToSocketAddrs"));
    }
}
