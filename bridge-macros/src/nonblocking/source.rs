//! The source around a macro's input. Since Rust 1.88 a proc macro can ask
//! which file a token comes from (`proc_macro::Span::local_file`) and where
//! in it; the checker reads that file, parses it outside the compiler (with
//! proc-macro2's own implementation, which knows lines and columns), builds
//! the model of its modules, items and `use` declarations, and finds the
//! module, blocks and `impl` around the input.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use proc_macro2::{LineColumn, Span};
use syn::Item;
use syn::spanned::Spanned;
use syn::visit::Visit;

use super::allow::is_allow;
use super::resolve::{ModId, NoFiles, Place, Scope, Target, World};

/// The code in view around a macro's input, and the input's place in it.
#[derive(Debug)]
pub(super) struct View {
    pub(super) world: Rc<World>,
    /// The module the input sits in.
    pub(super) module: ModId,
    /// The blocks around the input inside that module, outermost first.
    pub(super) blocks: Vec<Scope>,
    /// What `Self` is there.
    pub(super) self_ty: Target,
    /// The module of the input itself, when it is an inline `mod`.
    pub(super) item_module: Option<ModId>,
    /// A module of unknown content, for code whose place is not known.
    pub(super) unknown_module: ModId,
    /// The input sits in a fn, `impl`, `trait` or `mod` marked
    /// `#[allow_blocking]` in its file (a `#[blocking]` fn's body, whose
    /// marker the attribute that runs first has removed).
    pub(super) allowed: bool,
}

/// What the input is, to check that its file has it where its tokens say.
pub(super) enum Anchor {
    /// An item of this name (a fn's, a mod's, an impl's type's).
    Item(String),
    /// The body of a fn, starting at the input's first token.
    Body,
}

impl View {
    /// The view of an input whose first token is `first`: its file, when
    /// that can be read and has the input where its tokens say; else the
    /// input alone, in a module of unknown content.
    pub(super) fn around(first: Span, anchor: &Anchor, input: &[Item]) -> View {
        View::of_file(first, anchor).unwrap_or_else(|| View::of_items(input))
    }

    /// The input alone: what is outside it is unknown.
    pub(super) fn of_items(items: &[Item]) -> View {
        let mut world = World::default();
        let module = world.add_detached_module(false);
        world.collect(module, items, &mut Vec::new(), &mut NoFiles);
        world.finish();
        let unknown_module = world.add_detached_module(false);
        View {
            world: Rc::new(world),
            module,
            blocks: Vec::new(),
            self_ty: Target::Unknown,
            item_module: None,
            unknown_module,
            allowed: false,
        }
    }

    fn of_file(first: Span, anchor: &Anchor) -> Option<View> {
        let file = first.local_file()?;
        let pos = first.start();
        if pos.line == 0 {
            return None;
        }
        let text = std::fs::read_to_string(&file).ok()?;
        with_fallback(|| {
            let parsed = parsed(&file, text)?;
            let mut finder = Finder::run(&parsed, pos);
            let (name, body) = finder.found.take()?;
            let matches = match anchor {
                Anchor::Item(expected) => *expected == name,
                Anchor::Body => body == Some(pos),
            };
            if !matches {
                return None;
            }
            let allowed = matches!(anchor, Anchor::Body) && finder.allowed;
            let (module, blocks, self_ty, item_module) = (
                finder.module,
                finder.blocks,
                finder.self_ty,
                finder.item_module,
            );
            Some(View {
                world: Rc::clone(&parsed.world),
                module,
                blocks,
                self_ty,
                item_module,
                unknown_module: parsed.unknown_module,
                allowed,
            })
        })
    }
}

/// What holds a fn directly, which decides how its siblings are named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FnPlace {
    /// A module or a block: a free fn.
    Free,
    /// An inherent impl: its siblings are reached through `Self::`.
    Impl,
    /// A trait's definition (a provided method): likewise.
    Trait,
    /// An impl of a trait, which can only define the trait's items.
    TraitImpl {
        /// The trait's name, as written (its last segment).
        trait_name: String,
        /// The implementing type's name, when it is a path.
        self_name: Option<String>,
    },
}

/// Where the fn named `ident` sits, read from its file: `None` when the
/// file cannot be read, or does not have a fn of that name where `ident`
/// says (code made by a macro, or changed by another attribute).
pub(crate) fn fn_place(ident: &proc_macro2::Ident) -> Option<FnPlace> {
    let span = ident.span();
    let file = span.local_file()?;
    let pos = span.start();
    if pos.line == 0 {
        return None;
    }
    let text = std::fs::read_to_string(&file).ok()?;
    with_fallback(|| fn_place_in(&file, text, pos, &ident.to_string()))
}

/// Where the fn `name` whose name starts at `pos` sits in `file`, whose
/// text is `text`. Must run with proc-macro2's own implementation
/// ([`with_fallback`]).
pub(super) fn fn_place_in(
    file: &Path,
    text: String,
    pos: LineColumn,
    name: &str,
) -> Option<FnPlace> {
    let parsed = parsed(file, text)?;
    let (at, found, place) = Finder::run(&parsed, pos).found_fn?;
    (at == pos && found == name).then_some(place)
}

/// A file read around a macro's input, kept for the next input of the same
/// file: parsing is most of the cost, and a file holds many inputs.
struct Parsed {
    text: String,
    file: syn::File,
    world: Rc<World>,
    root: ModId,
    unknown_module: ModId,
    /// Where each item starts and ends, by address, once computed.
    ranges: RefCell<HashMap<usize, (LineColumn, LineColumn)>>,
}

thread_local! {
    static PARSED: RefCell<HashMap<PathBuf, Rc<Parsed>>> = RefCell::new(HashMap::new());
}

/// At most this many files are kept.
const KEEP_FILES: usize = 64;

/// The parsed `path`, kept if its text is the same. Must run with
/// proc-macro2's own implementation ([`with_fallback`]).
fn parsed(path: &Path, text: String) -> Option<Rc<Parsed>> {
    let kept = PARSED.with(|cache| cache.borrow().get(path).cloned());
    if let Some(kept) = kept {
        if kept.text == text {
            return Some(kept);
        }
        // A file changed (an editor's macro server lives long): start over,
        // so that the positions of old texts are not kept forever.
        forget_parsed();
    }
    if PARSED.with(|cache| cache.borrow().len()) >= KEEP_FILES {
        forget_parsed();
    }
    let file = syn::parse_file(&text).ok()?;
    let mut world = World::default();
    let root = if is_crate_root(path) {
        world.add_module(None, true)
    } else {
        world.add_detached_module(true)
    };
    world.collect(root, &file.items, &mut Vec::new(), &mut NoFiles);
    world.finish();
    let unknown_module = world.add_detached_module(false);
    let parsed = Rc::new(Parsed {
        text,
        file,
        world: Rc::new(world),
        root,
        unknown_module,
        ranges: RefCell::new(HashMap::new()),
    });
    PARSED.with(|cache| {
        cache
            .borrow_mut()
            .insert(path.to_path_buf(), Rc::clone(&parsed))
    });
    Some(parsed)
}

/// Drops every kept file, and the positions proc-macro2 keeps for them.
/// Must run with proc-macro2's own implementation ([`with_fallback`]).
pub(super) fn forget_parsed() {
    PARSED.with(|cache| cache.borrow_mut().clear());
    if proc_macro::is_available() {
        proc_macro2::extra::invalidate_current_thread_spans();
    }
}

/// Runs `f` with proc-macro2's own implementation of tokens, which knows the
/// line and column of what it parses (outside a compiler it is the only
/// one). Nothing `f` parses may reach the compiler's tokens.
pub(super) fn with_fallback<R>(f: impl FnOnce() -> R) -> R {
    if !proc_macro::is_available() {
        return f();
    }
    struct Back;
    impl Drop for Back {
        fn drop(&mut self) {
            proc_macro2::fallback::unforce();
        }
    }
    proc_macro2::fallback::force();
    let _back = Back;
    f()
}

/// Is `file` the root of the crate being compiled (so that `crate::` paths
/// start at its top)? It is if it is the source file rustc was given, or
/// the package's `src/lib.rs` or `src/main.rs`.
fn is_crate_root(file: &Path) -> bool {
    let Ok(file) = file.canonicalize() else {
        return false;
    };
    let same = |candidate: &Path| candidate.canonicalize().is_ok_and(|c| c == file);
    std::env::args_os().skip(1).any(|arg| {
        let arg = Path::new(&arg);
        arg.extension().is_some_and(|e| e == "rs") && same(arg)
    }) || std::env::var_os("CARGO_MANIFEST_DIR").is_some_and(|dir| {
        ["src/lib.rs", "src/main.rs"]
            .iter()
            .any(|root| same(&Path::new(&dir).join(root)))
    })
}

/// A name for an item, to match the input with its place in the file.
pub(super) fn item_name(item: &Item) -> String {
    match item {
        Item::Fn(f) => f.sig.ident.to_string(),
        Item::Mod(m) => m.ident.to_string(),
        Item::Trait(t) => t.ident.to_string(),
        Item::Impl(i) => match &*i.self_ty {
            syn::Type::Path(path) => last_segment(&path.path).unwrap_or_default(),
            _ => String::new(),
        },
        Item::Struct(s) => s.ident.to_string(),
        Item::Enum(e) => e.ident.to_string(),
        _ => String::new(),
    }
}

/// The name in the last segment of `path`.
fn last_segment(path: &syn::Path) -> Option<String> {
    path.segments.last().map(|s| s.ident.to_string())
}

/// Walks down the modules, `impl`s and blocks that hold a position.
struct Finder<'p> {
    parsed: &'p Parsed,
    pos: LineColumn,
    module: ModId,
    blocks: Vec<Scope>,
    self_ty: Target,
    item_module: Option<ModId>,
    counts: HashMap<(ModId, String), usize>,
    /// The innermost item holding the position: its name, and where its
    /// body starts (for a fn).
    found: Option<(String, Option<LineColumn>)>,
    /// A fn, `impl`, `trait` or `mod` holding the position is marked
    /// `#[allow_blocking]`.
    allowed: bool,
    /// The innermost fn holding the position: where its name starts, the
    /// name, and what holds the fn.
    found_fn: Option<(LineColumn, String, FnPlace)>,
}

impl<'p> Finder<'p> {
    /// Walks the items of `parsed` down to `pos`.
    fn run(parsed: &'p Parsed, pos: LineColumn) -> Finder<'p> {
        let mut finder = Finder {
            parsed,
            pos,
            module: parsed.root,
            blocks: Vec::new(),
            self_ty: Target::Unknown,
            item_module: None,
            counts: HashMap::new(),
            found: None,
            allowed: false,
            found_fn: None,
        };
        for item in &parsed.file.items {
            finder.visit_item(item);
        }
        finder
    }

    /// Does `item` hold the position? Its range is computed once per file.
    fn holds<T: Spanned>(&self, item: &T) -> bool {
        let key = std::ptr::from_ref(item).cast::<u8>() as usize;
        let range = *self
            .parsed
            .ranges
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| {
                let span = item.span();
                (span.start(), span.end())
            });
        range.0 <= self.pos && self.pos <= range.1
    }

    /// Strictly inside a pair of braces.
    fn inside(&self, braces: &syn::token::Brace) -> bool {
        braces.span.open().start() < self.pos && self.pos < braces.span.close().end()
    }

    fn mark(&mut self, attrs: &[syn::Attribute]) {
        self.allowed |= attrs.iter().any(is_allow);
    }

    fn fn_body(&mut self, sig: &syn::Signature, place: FnPlace, block: &syn::Block) {
        let name = sig.ident.to_string();
        self.found_fn = Some((sig.ident.span().start(), name.clone(), place));
        self.found = Some((name, Some(block.brace_token.span.open().start())));
        if self.inside(&block.brace_token) {
            self.visit_block(block);
        }
    }
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_item(&mut self, item: &'ast Item) {
        let holds = self.holds(item);
        match item {
            Item::Mod(m) => {
                let child = if self.blocks.is_empty() {
                    let count = self
                        .counts
                        .entry((self.module, m.ident.to_string()))
                        .or_default();
                    *count += 1;
                    let nth = *count - 1;
                    self.parsed
                        .world
                        .child_module(self.module, &m.ident.to_string(), nth)
                } else {
                    None
                }
                .unwrap_or(self.parsed.unknown_module);
                if !holds {
                    return;
                }
                self.mark(&m.attrs);
                match &m.content {
                    Some((brace, items)) if self.inside(brace) => {
                        self.module = child;
                        self.blocks.clear();
                        self.self_ty = Target::Unknown;
                        for item in items {
                            self.visit_item(item);
                        }
                    }
                    _ => {
                        self.found = Some((m.ident.to_string(), None));
                        self.item_module = Some(child);
                    }
                }
            }
            _ if !holds => {}
            Item::Fn(f) => {
                self.mark(&f.attrs);
                self.fn_body(&f.sig, FnPlace::Free, &f.block);
            }
            Item::Impl(imp) => {
                self.mark(&imp.attrs);
                self.found = Some((item_name(item), None));
                if self.inside(&imp.brace_token) {
                    let place = Place {
                        module: self.module,
                        blocks: &self.blocks,
                        self_ty: &Target::Unknown,
                    };
                    self.self_ty = self.parsed.world.impl_target(place, &imp.self_ty);
                    let fn_place = match &imp.trait_ {
                        None => FnPlace::Impl,
                        Some((_, path, _)) => FnPlace::TraitImpl {
                            trait_name: last_segment(path).unwrap_or_default(),
                            self_name: match &*imp.self_ty {
                                syn::Type::Path(ty) => last_segment(&ty.path),
                                _ => None,
                            },
                        },
                    };
                    for inner in &imp.items {
                        if let syn::ImplItem::Fn(f) = inner
                            && self.holds(inner)
                        {
                            self.mark(&f.attrs);
                            self.fn_body(&f.sig, fn_place.clone(), &f.block);
                        }
                    }
                }
            }
            Item::Trait(t) => {
                self.mark(&t.attrs);
                self.found = Some((t.ident.to_string(), None));
                if self.inside(&t.brace_token) {
                    self.self_ty = Target::Unknown;
                    for inner in &t.items {
                        if let syn::TraitItem::Fn(f) = inner
                            && let Some(block) = &f.default
                            && self.holds(inner)
                        {
                            self.mark(&f.attrs);
                            self.fn_body(&f.sig, FnPlace::Trait, block);
                        }
                    }
                }
            }
            other => {
                self.found = Some((item_name(other), None));
                syn::visit::visit_item(self, other);
            }
        }
    }

    fn visit_block(&mut self, block: &'ast syn::Block) {
        if !self.inside(&block.brace_token) {
            return;
        }
        self.blocks.push(Scope::of_block(&block.stmts));
        for stmt in &block.stmts {
            syn::visit::visit_stmt(self, stmt);
        }
    }
}
