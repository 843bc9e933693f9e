//! The visitor over async bodies: every call of a blocking API made in
//! async code (an `async fn`, an async block or closure) and not `.await`ed
//! is a finding at that call; a sync fn the catalogue names by its path is
//! one even when what it returns is `.await`ed. It also removes the `#[allow_blocking]`
//! markers it honours, and notes those that sit where they cannot go.
//!
//! Sync code is not checked: nested sync fns, and closures handed to a call
//! that runs them on another thread (`spawn_blocking`, `bridge_runtime::io`,
//! `std::thread::spawn`, ..), including a closure bound by `let` and handed
//! over later, and the closure at the tail of a block handed over
//! (`spawn_blocking({ let p = p.clone(); move || .. })`).

use std::collections::{HashMap, HashSet};

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Item, Pat, Token};

use super::allow;
use super::catalogue::{self, Row};
use super::resolve::{
    Blocker, ModId, Place, Scope, Target, Ty, World, Written, has_attr, is_cfg_test,
};
use super::values::{self, Shape};

/// How the code being checked relates to `#[blocking]` fns inside it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// `#[nonblocking]`: a `#[blocking]` fn inside is left to `#[blocking]`,
    /// which checks its own body.
    Attribute,
    /// `nonblocking_crate!`: every async body, `#[blocking]` ones included;
    /// test-only code (`#[cfg(test)]`) is not read (in attribute mode it is
    /// let through, so that its markers are removed).
    Crate,
}

pub(super) struct Checker<'w> {
    world: &'w World,
    mode: Mode,
    module: ModId,
    /// Where a module's place is not known (a `mod` inside a fn body).
    unknown_module: ModId,
    blocks: Vec<Scope>,
    self_ty: Target,
    /// Local variables, and what they hold when the checker can tell.
    vars: HashMap<String, Shape>,
    /// Names used inside calls that run closures on another thread: a
    /// closure bound to one of them is sync code.
    moved: HashSet<String>,
    in_async: bool,
    /// Some async code was seen.
    pub(super) saw_async: bool,
    /// Depth of code let through by `#[allow_blocking]`.
    allowed: usize,
    /// Markers removed so far (to rebuild a macro's arguments).
    stripped: usize,
    pub(super) findings: Vec<syn::Error>,
    /// Markers where they cannot go.
    pub(super) misplaced: Vec<syn::Error>,
}

impl<'w> Checker<'w> {
    pub(super) fn new(world: &'w World, mode: Mode, module: ModId, unknown_module: ModId) -> Self {
        Checker {
            world,
            mode,
            module,
            unknown_module,
            blocks: Vec::new(),
            self_ty: Target::Unknown,
            vars: HashMap::new(),
            moved: HashSet::new(),
            in_async: false,
            saw_async: false,
            allowed: 0,
            stripped: 0,
            findings: Vec::new(),
            misplaced: Vec::new(),
        }
    }

    /// Starts inside these blocks, with this `Self`, let through or not
    /// (the place of a macro's input in its file).
    pub(super) fn inside(mut self, blocks: Vec<Scope>, self_ty: Target, allowed: bool) -> Self {
        self.blocks = blocks;
        self.self_ty = self_ty;
        self.allowed = usize::from(allowed);
        self
    }

    fn place(&self) -> Place<'_> {
        Place {
            module: self.module,
            blocks: &self.blocks,
            self_ty: &self.self_ty,
        }
    }

    fn report<T: ToTokens>(&mut self, tokens: T, message: String) {
        self.findings.push(syn::Error::new_spanned(tokens, message));
    }

    /// Checks a body that is async code (a `#[blocking]` fn's).
    pub(super) fn check_async_block(&mut self, block: &mut syn::Block) {
        if let Target::Type(t) = self.self_ty {
            self.vars.insert("self".to_owned(), Shape::Local(t));
        }
        self.with_async(true, |this| this.visit_block_mut(block));
    }

    /// Checks the items of a module (`module` is already this one).
    pub(super) fn check_items(&mut self, items: &mut [Item]) {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for item in items {
            let nth = match item {
                Item::Mod(m) => {
                    let count = seen.entry(m.ident.to_string()).or_default();
                    *count += 1;
                    *count - 1
                }
                _ => 0,
            };
            self.check_item(item, nth, None);
        }
    }

    /// Checks one item; `nth` tells `#[cfg]` variants of a `mod` apart, and
    /// `module_of_item` gives a `mod`'s module when it is already known.
    pub(super) fn check_item(
        &mut self,
        item: &mut Item,
        nth: usize,
        module_of_item: Option<ModId>,
    ) {
        let test_only = item_attrs_ref(item).is_some_and(|attrs| is_cfg_test(attrs));
        if self.mode == Mode::Crate && test_only {
            return;
        }
        let allowed = allow::item_attrs(item).is_some_and(|attrs| self.strip(attrs)) || test_only;
        self.allowed += usize::from(allowed);
        match item {
            Item::Fn(f) => {
                if self.mode == Mode::Crate || !has_attr(&f.attrs, "blocking") {
                    self.visit_signature_mut(&mut f.sig);
                    self.visit_fn(&f.sig, &mut f.block);
                }
            }
            Item::Mod(m) => {
                if let Some((_, items)) = &mut m.content {
                    let module = match module_of_item {
                        Some(module) => module,
                        None if self.blocks.is_empty() => self
                            .world
                            .child_module(self.module, &m.ident.to_string(), nth)
                            .unwrap_or(self.unknown_module),
                        None => self.unknown_module,
                    };
                    let saved = (
                        std::mem::replace(&mut self.module, module),
                        std::mem::take(&mut self.blocks),
                        std::mem::replace(&mut self.self_ty, Target::Unknown),
                        std::mem::take(&mut self.vars),
                    );
                    self.check_items(items);
                    (self.module, self.blocks, self.self_ty, self.vars) = saved;
                }
            }
            Item::Impl(imp) => {
                let target = self.world.impl_target(self.place(), &imp.self_ty);
                let outer = std::mem::replace(&mut self.self_ty, target);
                for item in &mut imp.items {
                    self.check_impl_item(item);
                }
                self.self_ty = outer;
            }
            Item::Trait(t) => {
                let outer = std::mem::replace(&mut self.self_ty, Target::Unknown);
                for item in &mut t.items {
                    self.check_trait_item(item);
                }
                self.self_ty = outer;
            }
            // No async code: a `const`, a `static`, a `use`, a type.
            other => self.with_async(false, |this| visit_mut::visit_item_mut(this, other)),
        }
        self.allowed -= usize::from(allowed);
    }

    fn check_impl_item(&mut self, item: &mut syn::ImplItem) {
        match item {
            syn::ImplItem::Fn(f) => {
                let test_only = is_cfg_test(&f.attrs);
                if self.mode == Mode::Crate && test_only {
                    return;
                }
                let allowed = self.strip(&mut f.attrs) || test_only;
                self.allowed += usize::from(allowed);
                if self.mode == Mode::Crate || !has_attr(&f.attrs, "blocking") {
                    self.visit_signature_mut(&mut f.sig);
                    self.visit_fn(&f.sig, &mut f.block);
                }
                self.allowed -= usize::from(allowed);
            }
            other => visit_mut::visit_impl_item_mut(self, other),
        }
    }

    fn check_trait_item(&mut self, item: &mut syn::TraitItem) {
        match item {
            syn::TraitItem::Fn(f) => {
                let test_only = is_cfg_test(&f.attrs);
                if self.mode == Mode::Crate && test_only {
                    return;
                }
                let allowed = self.strip(&mut f.attrs) || test_only;
                self.allowed += usize::from(allowed);
                self.visit_signature_mut(&mut f.sig);
                if let Some(block) = &mut f.default {
                    self.visit_fn(&f.sig, block);
                }
                self.allowed -= usize::from(allowed);
            }
            other => visit_mut::visit_trait_item_mut(self, other),
        }
    }

    fn strip(&mut self, attrs: &mut Vec<syn::Attribute>) -> bool {
        let stripped = allow::strip(attrs);
        self.stripped += usize::from(stripped);
        stripped
    }

    /// A fn's body: async or not as its signature says, with its parameters
    /// as the only variables in scope.
    fn visit_fn(&mut self, sig: &syn::Signature, block: &mut syn::Block) {
        let outer = std::mem::take(&mut self.vars);
        for input in &sig.inputs {
            match input {
                syn::FnArg::Receiver(_) => {
                    let shape = match self.self_ty {
                        Target::Type(t) => Shape::Local(t),
                        _ => Shape::Unknown,
                    };
                    self.vars.insert("self".to_owned(), shape);
                }
                syn::FnArg::Typed(typed) => {
                    let shape = values::of_type(self.world, self.place(), &Ty::of(&typed.ty));
                    self.bind(&typed.pat, shape);
                }
            }
        }
        self.with_async(sig.asyncness.is_some(), |this| this.visit_block_mut(block));
        self.vars = outer;
    }

    fn with_async<R>(&mut self, is_async: bool, f: impl FnOnce(&mut Self) -> R) -> R {
        let outer = self.in_async;
        self.in_async = is_async;
        self.saw_async |= is_async;
        let result = f(self);
        self.in_async = outer;
        result
    }

    /// Binds the names of `pat` to `shape` (or to what its type annotation
    /// says); a name bound to something unknown hides an outer one.
    fn bind(&mut self, pat: &Pat, shape: Shape) {
        match pat {
            Pat::Ident(ident) => {
                if let Some((_, sub)) = &ident.subpat {
                    self.bind(sub, Shape::Unknown);
                    self.vars.insert(ident.ident.to_string(), Shape::Unknown);
                } else {
                    self.vars.insert(ident.ident.to_string(), shape);
                }
            }
            Pat::Type(typed) => {
                let annotated = values::of_type(self.world, self.place(), &Ty::of(&typed.ty));
                let shape = if annotated == Shape::Unknown {
                    shape
                } else {
                    annotated
                };
                self.bind(&typed.pat, shape);
            }
            Pat::Tuple(tuple) if !tuple.elems.iter().any(|p| matches!(p, Pat::Rest(_))) => {
                for (i, element) in tuple.elems.iter().enumerate() {
                    self.bind(element, shape.element(i));
                }
            }
            Pat::Reference(reference) => self.bind(&reference.pat, shape),
            Pat::Paren(paren) => self.bind(&paren.pat, shape),
            other => {
                let mut names = Vec::new();
                pat_names(other, &mut names);
                for name in names {
                    self.vars.insert(name, Shape::Unknown);
                }
            }
        }
    }

    /// Visits `expr`, knowing whether it is directly `.await`ed.
    fn check_expr(&mut self, expr: &mut Expr, awaited: bool) {
        // `#[allow_blocking] total += f();`: the marker of a statement sits
        // on its leftmost operand, as syn and rustc parse it, and covers
        // the whole of it.
        if let Some(attrs) = allow::expr_attrs(allow::leftmost(expr))
            && self.strip(attrs)
        {
            self.allowed += 1;
            self.check_expr(expr, awaited);
            self.allowed -= 1;
            return;
        }
        let checking = self.in_async && !awaited && self.allowed == 0;
        match expr {
            Expr::Call(call) => {
                let reported = if checking {
                    self.check_call(call)
                } else if awaited && self.in_async && self.allowed == 0 {
                    self.check_awaited_call(call)
                } else {
                    false
                };
                match callee_name(&call.func).as_deref() {
                    Some(allow::ALLOW) => {
                        self.allowed += 1;
                        visit_mut::visit_expr_call_mut(self, call);
                        self.allowed -= 1;
                    }
                    // An awaited call that takes a sync closure runs it
                    // off the executor (`asyncify(move || ..).await`),
                    // else it would need no future; and a fn whose result
                    // is handed on (to `join!`, `timeout`, `spawn`, a
                    // variable awaited later) may well do the same: where
                    // it cannot tell, the check stays silent. Only std's
                    // fns known to run their closure here are looked into.
                    Some(name)
                        if reported
                            || awaited
                            || catalogue::THREAD_MOVERS.contains(&name)
                            || !self.runs_its_closures_here(&call.func) =>
                    {
                        self.visit_expr_mut(&mut call.func);
                        for arg in &mut call.args {
                            self.visit_sync_closure(arg);
                        }
                    }
                    _ => visit_mut::visit_expr_call_mut(self, call),
                }
            }
            Expr::MethodCall(call) => {
                let reported = checking && self.check_method(call);
                let name = call.method.to_string();
                if reported || awaited || catalogue::THREAD_MOVERS.contains(&name.as_str()) {
                    self.check_expr(&mut call.receiver, false);
                    for arg in &mut call.args {
                        self.visit_sync_closure(arg);
                    }
                } else {
                    visit_mut::visit_expr_method_call_mut(self, call);
                }
            }
            Expr::Await(await_expr) => self.check_expr(&mut await_expr.base, true),
            Expr::Let(let_expr) => {
                self.check_expr(&mut let_expr.expr, false);
                self.visit_pat_mut(&mut let_expr.pat);
                self.bind(&let_expr.pat, Shape::Unknown);
            }
            Expr::ForLoop(for_loop) => {
                self.check_expr(&mut for_loop.expr, false);
                if checking
                    && let Shape::Kind(kind) = self.origin(&for_loop.expr)
                    && let Some(row) = catalogue::index().iterated.get(&kind)
                {
                    self.report(&for_loop.expr, catalogue::message(row, "for", "for"));
                }
                let element = self.origin(&for_loop.expr).each();
                let outer = self.vars.clone();
                self.bind(&for_loop.pat, element);
                self.visit_block_mut(&mut for_loop.body);
                self.vars = outer;
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    /// A closure handed to a call that runs it on another thread: its body
    /// is sync code, where blocking is the point.
    /// A block whose tail is a closure (`{ let p = p.clone(); move || .. }`)
    /// is handed over as that closure: its statements run here, its tail
    /// where the closure goes.
    fn visit_sync_closure(&mut self, arg: &mut Expr) {
        match arg {
            Expr::Closure(closure) if closure.asyncness.is_none() => {
                if let Some(attrs) = allow::expr_attrs(arg) {
                    self.strip(attrs);
                }
                if let Expr::Closure(closure) = arg {
                    self.visit_closure(closure, Some(false));
                }
            }
            Expr::Block(block) if block.label.is_none() && is_sync_closure(arg) => {
                if let Expr::Block(block) = arg {
                    self.visit_block_with(&mut block.block, true);
                }
            }
            Expr::Paren(paren) => self.visit_sync_closure(&mut paren.expr),
            other => self.check_expr(other, false),
        }
    }

    /// A block's statements in its scope; with `sync_tail`, its tail is a
    /// closure handed to another thread.
    fn visit_block_with(&mut self, block: &mut syn::Block, sync_tail: bool) {
        self.blocks.push(Scope::of_block(&block.stmts));
        let outer_vars = self.vars.clone();
        let outer_moved = self.moved.clone();
        let moved = moved_names(&block.stmts, &|func| self.runs_its_closures_here(func));
        self.moved.extend(moved);
        let last = block.stmts.len().saturating_sub(1);
        for (i, stmt) in block.stmts.iter_mut().enumerate() {
            let test = test_only(stmt);
            if self.mode == Mode::Crate && test {
                continue;
            }
            self.allowed += usize::from(test);
            match stmt {
                syn::Stmt::Expr(expr, None) if sync_tail && i == last => {
                    self.visit_sync_closure(expr);
                }
                syn::Stmt::Local(local) => {
                    let allowed = self.strip(&mut local.attrs);
                    self.allowed += usize::from(allowed);
                    let mut shape = Shape::Unknown;
                    if let Some(init) = &mut local.init {
                        let moved_closure = is_sync_closure(&init.expr)
                            && pat_name(&local.pat).is_some_and(|name| self.moved.contains(&name));
                        if moved_closure {
                            self.visit_sync_closure(&mut init.expr);
                        } else {
                            self.check_expr(&mut init.expr, false);
                        }
                        if let Some((_, diverge)) = &mut init.diverge {
                            self.check_expr(diverge, false);
                        }
                        shape = self.origin(&init.expr);
                    }
                    self.visit_pat_mut(&mut local.pat);
                    self.bind(&local.pat, shape);
                    self.allowed -= usize::from(allowed);
                }
                syn::Stmt::Expr(expr, _) => self.check_expr(expr, false),
                syn::Stmt::Item(item) => self.check_item(item, 0, None),
                syn::Stmt::Macro(mac) => {
                    let allowed = self.strip(&mut mac.attrs);
                    self.allowed += usize::from(allowed);
                    self.check_macro(&mut mac.mac);
                    self.allowed -= usize::from(allowed);
                }
            }
            self.allowed -= usize::from(test);
        }
        self.vars = outer_vars;
        self.moved = outer_moved;
        self.blocks.pop();
    }

    /// A closure's body, with its parameters in scope; `run_async` says
    /// whether the body is async code (`None`: as the code around it).
    fn visit_closure(&mut self, closure: &mut syn::ExprClosure, run_async: Option<bool>) {
        let outer = self.vars.clone();
        for input in &mut closure.inputs {
            self.visit_pat_mut(input);
            self.bind(input, Shape::Unknown);
        }
        let is_async = match run_async {
            _ if closure.asyncness.is_some() => true,
            Some(is_async) => is_async,
            None => self.in_async,
        };
        // A closure that a closure returns (`.map(|p| move || ..)`) is
        // not run where it is made, but wherever it goes.
        self.with_async(is_async, |this| this.visit_sync_closure(&mut closure.body));
        self.vars = outer;
    }

    /// Whether the fn `func` is one of std's that run a closure they are
    /// given on the calling thread before they return.
    fn runs_its_closures_here(&self, func: &Expr) -> bool {
        let Expr::Path(func) = func else {
            return true;
        };
        match self.world.resolve(self.place(), &Written::of(&func.path)) {
            Target::Extern(full) => catalogue::INLINE_RUNNERS.contains(&full.join("::").as_str()),
            _ => false,
        }
    }

    /// The path `call` calls, and what it resolves to; `None` where it
    /// calls something else: a closure or fn pointer in a variable, an
    /// expression, a `<T as Trait>::` path.
    fn called(&self, call: &syn::ExprCall) -> Option<(Written, Target)> {
        let Expr::Path(func) = &*call.func else {
            return None;
        };
        if func.qself.is_some() {
            return None;
        }
        let written = Written::of(&func.path);
        if let [only] = written.segments.as_slice()
            && self.vars.contains_key(only)
        {
            return None;
        }
        let target = self.world.resolve(self.place(), &written);
        Some((written, target))
    }

    fn check_call(&mut self, call: &syn::ExprCall) -> bool {
        let Some((written, target)) = self.called(call) else {
            return false;
        };
        let Some(last) = written.segments.last().cloned() else {
            return false;
        };
        let shown = match &target {
            Target::Extern(full) => full.join("::"),
            _ => written.segments.join("::"),
        };
        // Any `block_on`, unless it is a fn of the code in view (which says
        // itself whether it blocks), or a path into this crate that the
        // code in view does not reach (`crate::..` from a file whose place
        // in its crate is not known): whose fn that is cannot be told.
        let into_this_crate = !written.leading_colon
            && written
                .segments
                .first()
                .is_some_and(|first| ["crate", "self", "super", "Self"].contains(&first.as_str()));
        let own = matches!(target, Target::Fn(_) | Target::AssocFn(..))
            || (target == Target::Unknown && into_this_crate);
        if !own && catalogue::BLOCK_ON_NAMES.contains(&last.as_str()) {
            let row = catalogue::index().named.get("block_on").copied();
            if let Some(row) = row {
                self.report(&call.func, catalogue::message(&row, &shown, &last));
                return true;
            }
        }
        let message = match &target {
            Target::Extern(full) => catalogue::index()
                .paths
                .get(&full.join("::"))
                .map(|row| catalogue::message(row, &shown, &last))
                .or_else(|| self.given_message(call, &shown))
                .or_else(|| self.by_path_message(full, call)),
            Target::Fn(Some(blocker)) => Some(blocker_message(blocker, &last)),
            Target::AssocFn(t, name) => match self.world.types[*t].methods.get(name) {
                Some(Some(blocker)) => Some(blocker_message(blocker, name)),
                _ => None,
            },
            _ => None,
        };
        match message {
            Some(message) => {
                self.report(&call.func, message);
                true
            }
            None => false,
        }
    }

    /// Reports an `.await`ed call of a fn the catalogue names by its path:
    /// those are sync fns of std and other crates, which block before
    /// anything is awaited (`futures::executor::block_on(..).await` awaits
    /// what `block_on` returns). `true` if it was reported.
    fn check_awaited_call(&mut self, call: &syn::ExprCall) -> bool {
        let Some((_, Target::Extern(full))) = self.called(call) else {
            return false;
        };
        let (Some(last), shown) = (full.last(), full.join("::")) else {
            return false;
        };
        match catalogue::index().paths.get(&shown) {
            Some(row) => {
                let message = catalogue::message(row, &shown, last);
                self.report(&call.func, message);
                true
            }
            None => false,
        }
    }

    /// The message for a fn (`shown` in full) given a value it reads or
    /// writes: `std::io::read_to_string(std::io::stdin())`.
    fn given_message(&self, call: &syn::ExprCall, shown: &str) -> Option<String> {
        let index = catalogue::index();
        call.args.iter().find_map(|arg| match self.origin(arg) {
            Shape::Kind(kind) => index
                .given
                .get(&(shown.to_owned(), kind))
                .map(|row| catalogue::message(row, shown, shown)),
            _ => None,
        })
    }

    /// The message for a method called by its path: `Command::output(&mut c)`
    /// (the type's path says what the value is), or
    /// `std::io::Read::read_to_end(&mut file, ..)` (the first argument does).
    fn by_path_message(&self, full: &[String], call: &syn::ExprCall) -> Option<String> {
        let index = catalogue::index();
        let (method, owner) = full.split_last()?;
        let owner = owner.join("::");
        let kind = match index.types.get(&owner) {
            Some(kind) => *kind,
            None if index.io_traits.contains(&owner) => match self.origin(call.args.first()?) {
                Shape::Kind(kind) => kind,
                _ => return None,
            },
            None => return None,
        };
        let row = index.methods.get(&(kind, method.clone()))?;
        Some(catalogue::message(row, method, method))
    }

    /// Reports `call` if it blocks; `true` if it was reported.
    fn check_method(&mut self, call: &syn::ExprMethodCall) -> bool {
        let index = catalogue::index();
        let name = call.method.to_string();
        let receiver = self.origin(&call.receiver);
        // A method of a type of the code in view says itself whether it
        // blocks, whatever its name (a `Planner::block_on` of one's own);
        // and where a trait or `impl` in view declares a method of that
        // name, a receiver of unknown type (a generic, a `dyn`, a returned
        // value) may be one of those: not reported by its name alone.
        let own = match &receiver {
            Shape::Local(t) => self.world.types[*t].methods.contains_key(&name),
            Shape::Unknown => self.world.own_methods.contains(&name),
            _ => false,
        };
        let message = if let Some(row) = index.named.get(&name).filter(|_| !own) {
            Some(catalogue::message(row, &name, &name))
        } else {
            match receiver {
                Shape::Kind(kind) => index
                    .methods
                    .get(&(kind, name.clone()))
                    .map(|row: &Row| catalogue::message(row, &name, &name)),
                Shape::Local(t) => match self.world.types[t].methods.get(&name) {
                    Some(Some(blocker)) => Some(blocker_message(blocker, &name)),
                    _ => None,
                },
                _ => None,
            }
        };
        // A trait's method (`to_socket_addrs`) is not the one of a type in
        // view, which takes precedence as an inherent method does.
        let message = message.or_else(|| {
            if own {
                return None;
            }
            let (trait_path, row) = index.trait_methods.get(&name)?;
            self.world
                .trait_in_scope(self.place(), trait_path)
                .then(|| catalogue::message(row, &name, &name))
        });
        match message {
            Some(message) => {
                self.report(&call.method, message);
                true
            }
            None => false,
        }
    }

    /// What the value of `expr` is, if the syntax shows it.
    fn origin(&self, expr: &Expr) -> Shape {
        match expr {
            Expr::Path(path) if path.qself.is_none() => {
                if let Some(ident) = path.path.get_ident()
                    && let Some(shape) = self.vars.get(&ident.to_string())
                {
                    return shape.clone();
                }
                match self.world.resolve(self.place(), &Written::of(&path.path)) {
                    Target::Static(ty, module) => values::of_static(self.world, &ty, module),
                    _ => Shape::Unknown,
                }
            }
            Expr::Field(field) => match (self.origin(&field.base), &field.member) {
                (Shape::Local(t), member) => {
                    let name = match member {
                        syn::Member::Named(ident) => ident.to_string(),
                        syn::Member::Unnamed(index) => index.index.to_string(),
                    };
                    values::of_field(self.world, t, &name)
                }
                (shape @ Shape::Tuple(_), syn::Member::Unnamed(index)) => {
                    shape.element(index.index as usize)
                }
                _ => Shape::Unknown,
            },
            Expr::MethodCall(call) => self
                .origin(&call.receiver)
                .after_method(&call.method.to_string()),
            Expr::Call(call) => {
                let Expr::Path(func) = &*call.func else {
                    return Shape::Unknown;
                };
                let Target::Extern(full) =
                    self.world.resolve(self.place(), &Written::of(&func.path))
                else {
                    return Shape::Unknown;
                };
                let full = full.join("::");
                let index = catalogue::index();
                if let Some(made) = index.makers.get(&full) {
                    Shape::of_made(*made)
                } else if index.wrapping_calls.contains(&full) {
                    let inner = call
                        .args
                        .first()
                        .map_or(Shape::Unknown, |arg| self.origin(arg));
                    // `Mutex::new(rx)`: the type is the path without `new`.
                    let made = full.rsplit_once("::").map_or("", |(ty, _)| ty);
                    if index.locks.contains(made) {
                        inner.guarded()
                    } else {
                        inner
                    }
                } else {
                    Shape::Unknown
                }
            }
            Expr::Try(inner) => self.origin(&inner.expr),
            Expr::Paren(inner) => self.origin(&inner.expr),
            Expr::Group(inner) => self.origin(&inner.expr),
            Expr::Reference(inner) => self.origin(&inner.expr),
            Expr::Await(inner) => self.origin(&inner.base),
            Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Deref(_)) => {
                self.origin(&unary.expr)
            }
            Expr::Tuple(tuple) => {
                Shape::Tuple(tuple.elems.iter().map(|e| self.origin(e)).collect())
            }
            _ => Shape::Unknown,
        }
    }

    /// A macro call: the arguments of the common std macros are expressions,
    /// checked as such.
    fn check_macro(&mut self, mac: &mut syn::Macro) {
        let Some(name) = mac.path.segments.last().map(|s| s.ident.to_string()) else {
            return;
        };
        let before = self.stripped;
        if catalogue::FIRST_EXPR_MACROS.contains(&name.as_str()) {
            let first = |input: ParseStream<'_>| {
                let expr: Expr = input.parse()?;
                let _: TokenStream = input.parse()?;
                Ok(expr)
            };
            if let Ok(mut expr) = first.parse2(mac.tokens.clone()) {
                self.check_expr(&mut expr, false);
            }
            return;
        }
        if !catalogue::EXPR_MACROS.contains(&name.as_str()) {
            return;
        }
        let repeat = |input: ParseStream<'_>| {
            let value: Expr = input.parse()?;
            let semi: Token![;] = input.parse()?;
            let count: Expr = input.parse()?;
            Ok((value, semi, count))
        };
        if name == "vec"
            && let Ok((mut value, semi, mut count)) = repeat.parse2(mac.tokens.clone())
        {
            self.check_expr(&mut value, false);
            self.check_expr(&mut count, false);
            if self.stripped != before {
                mac.tokens = quote::quote!(#value #semi #count);
            }
            return;
        }
        if let Ok(mut args) =
            Punctuated::<Expr, Token![,]>::parse_terminated.parse2(mac.tokens.clone())
        {
            if let Some(into) = args.first() {
                self.check_formatted(mac, &name, into);
            }
            for arg in &mut args {
                self.check_expr(arg, false);
            }
            if self.stripped != before {
                mac.tokens = args.into_token_stream();
            }
        }
    }
}

impl Checker<'_> {
    /// Reports `write!(into, ..)` or `writeln!(into, ..)`, std's, into a
    /// value whose writes block (`into` a `std::fs::File`): the macro calls
    /// its `write_fmt`.
    fn check_formatted(&mut self, mac: &syn::Macro, name: &str, into: &Expr) {
        if !self.in_async || self.allowed > 0 {
            return;
        }
        let Shape::Kind(kind) = self.origin(into) else {
            return;
        };
        let Some(row) = catalogue::index()
            .formatted
            .get(&(kind, name.to_owned()))
            .copied()
        else {
            return;
        };
        // std's macro: not declared in view nor imported from elsewhere
        // (a `macro_rules! writeln` or a `use other::writeln` is not).
        let std_macro = match self.world.resolve(self.place(), &Written::of(&mac.path)) {
            Target::Extern(full) => match full.as_slice() {
                [only] => only == name,
                [krate, last] => ["std", "core"].contains(&krate.as_str()) && last == name,
                _ => false,
            },
            _ => false,
        };
        if std_macro {
            self.report(&mac.path, catalogue::message(&row, name, name));
        }
    }
}

fn blocker_message(blocker: &Blocker, name: &str) -> String {
    match blocker {
        Blocker::Blocking { kept: None } => format!(
            "`{name}` is a `#[blocking]` fn, which blocks until its future is done: you are already in async code, so `.await` its async version (`#[blocking(keep = {name}_async)]` keeps it)"
        ),
        Blocker::Blocking { kept: Some(kept) } => format!(
            "`{name}` is a `#[blocking]` fn, which blocks until its future is done: you are already in async code, so `.await` its async version, `{kept}(..)`"
        ),
        Blocker::Kept { offloaded } => format!(
            "`{name}` is the blocking original that `#[offload(.., keep = {name})]` keeps, and runs its body on the executor's thread: `.await` `{offloaded}(..)` instead"
        ),
    }
}

/// The last segment of a called path.
fn callee_name(func: &Expr) -> Option<String> {
    match func {
        Expr::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn item_attrs_ref(item: &Item) -> Option<&Vec<syn::Attribute>> {
    Some(match item {
        Item::Fn(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        Item::Const(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        _ => return None,
    })
}

/// Every name a pattern binds.
fn pat_names(pat: &Pat, names: &mut Vec<String>) {
    struct Names<'a>(&'a mut Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for Names<'_> {
        fn visit_pat_ident(&mut self, ident: &'ast syn::PatIdent) {
            self.0.push(ident.ident.to_string());
            syn::visit::visit_pat_ident(self, ident);
        }
    }
    syn::visit::Visit::visit_pat(&mut Names(names), pat);
}

/// The names a closure bound by `let` is handed over by, as a closure
/// written in place would be: the names used inside calls that run
/// closures on another thread (as an argument, or inside a closure
/// argument), and the names given as arguments to a fn that `runs_here`
/// does not know to run its closures on the spot, or to any call that is
/// `.await`ed.
fn moved_names(stmts: &[syn::Stmt], runs_here: &dyn Fn(&Expr) -> bool) -> HashSet<String> {
    struct Moved<'r> {
        depth: usize,
        names: HashSet<String>,
        runs_here: &'r dyn Fn(&Expr) -> bool,
    }
    impl Moved<'_> {
        fn given(&mut self, args: &Punctuated<Expr, Token![,]>) {
            self.names.extend(args.iter().filter_map(given_name));
        }
    }
    impl<'ast> syn::visit::Visit<'ast> for Moved<'_> {
        fn visit_item(&mut self, _: &'ast Item) {}
        fn visit_expr_await(&mut self, awaited: &'ast syn::ExprAwait) {
            match strip_parens(&awaited.base) {
                Expr::Call(call) => self.given(&call.args),
                Expr::MethodCall(call) => self.given(&call.args),
                _ => {}
            }
            syn::visit::visit_expr_await(self, awaited);
        }
        fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
            let moves = callee_name(&call.func)
                .is_some_and(|name| catalogue::THREAD_MOVERS.contains(&name.as_str()));
            if !(self.runs_here)(&call.func) {
                self.given(&call.args);
            }
            self.depth += usize::from(moves);
            syn::visit::visit_expr_call(self, call);
            self.depth -= usize::from(moves);
        }
        fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
            self.visit_expr(&call.receiver);
            let name = call.method.to_string();
            let moves = catalogue::THREAD_MOVERS.contains(&name.as_str())
                || catalogue::index().named.contains_key(&name);
            self.depth += usize::from(moves);
            for arg in &call.args {
                self.visit_expr(arg);
            }
            self.depth -= usize::from(moves);
        }
        fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
            if self.depth > 0
                && let Some(ident) = path.path.get_ident()
            {
                self.names.insert(ident.to_string());
            }
        }
    }
    let mut moved = Moved {
        depth: 0,
        names: HashSet::new(),
        runs_here,
    };
    for stmt in stmts {
        syn::visit::Visit::visit_stmt(&mut moved, stmt);
    }
    moved.names
}

impl VisitMut for Checker<'_> {
    fn visit_item_mut(&mut self, item: &mut Item) {
        self.check_item(item, 0, None);
    }

    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        self.visit_block_with(block, false);
    }

    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        self.check_expr(expr, false);
    }

    fn visit_expr_async_mut(&mut self, block: &mut syn::ExprAsync) {
        self.with_async(true, |this| this.visit_block_mut(&mut block.block));
    }

    fn visit_expr_closure_mut(&mut self, closure: &mut syn::ExprClosure) {
        self.visit_closure(closure, None);
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        self.check_macro(mac);
    }

    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        let allowed = self.strip(&mut arm.attrs);
        self.allowed += usize::from(allowed);
        let outer = self.vars.clone();
        self.visit_pat_mut(&mut arm.pat);
        self.bind(&arm.pat, Shape::Unknown);
        if let Some((_, guard)) = &mut arm.guard {
            self.check_expr(guard, false);
        }
        self.check_expr(&mut arm.body, false);
        self.vars = outer;
        self.allowed -= usize::from(allowed);
    }

    fn visit_impl_item_mut(&mut self, item: &mut syn::ImplItem) {
        self.check_impl_item(item);
    }

    fn visit_trait_item_mut(&mut self, item: &mut syn::TraitItem) {
        self.check_trait_item(item);
    }

    fn visit_attribute_mut(&mut self, attr: &mut syn::Attribute) {
        // Every place that honours the marker removes it before getting
        // here: one that is still there cannot go where it is.
        if allow::is_allow(attr) {
            self.misplaced
                .push(syn::Error::new_spanned(&*attr, allow::WHERE));
            attr.meta = syn::parse_quote!(cfg(all()));
        }
    }
}

/// Whether a statement is compiled only in tests (`#[cfg(test)]`).
fn test_only(stmt: &mut syn::Stmt) -> bool {
    match stmt {
        syn::Stmt::Local(local) => is_cfg_test(&local.attrs),
        syn::Stmt::Item(item) => item_attrs_ref(item).is_some_and(|attrs| is_cfg_test(attrs)),
        syn::Stmt::Macro(mac) => is_cfg_test(&mac.attrs),
        syn::Stmt::Expr(expr, _) => allow::expr_attrs(expr).is_some_and(|attrs| is_cfg_test(attrs)),
    }
}

/// The variable an argument gives (`work`, `&work`).
fn given_name(arg: &Expr) -> Option<String> {
    match arg {
        Expr::Path(path) if path.qself.is_none() => path.path.get_ident().map(ToString::to_string),
        Expr::Reference(reference) => given_name(&reference.expr),
        Expr::Paren(paren) => given_name(&paren.expr),
        _ => None,
    }
}

fn strip_parens(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(paren) => strip_parens(&paren.expr),
        Expr::Group(group) => strip_parens(&group.expr),
        other => other,
    }
}

/// A sync closure, or a block (in parentheses or not) whose tail is one.
fn is_sync_closure(expr: &Expr) -> bool {
    match expr {
        Expr::Closure(closure) => closure.asyncness.is_none(),
        Expr::Block(block) if block.label.is_none() => matches!(
            block.block.stmts.last(),
            Some(syn::Stmt::Expr(tail, None)) if is_sync_closure(tail)
        ),
        Expr::Paren(paren) => is_sync_closure(&paren.expr),
        _ => false,
    }
}

fn pat_name(pat: &Pat) -> Option<String> {
    match pat {
        Pat::Ident(ident) => Some(ident.ident.to_string()),
        Pat::Type(typed) => pat_name(&typed.pat),
        _ => None,
    }
}
