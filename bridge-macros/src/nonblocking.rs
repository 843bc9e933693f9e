//! `#[nonblocking]`: rejects the classic blocking calls inside async code.
//!
//! The checker reads syntax, not types. It resolves paths through the `use`
//! declarations it can see (in the checked item, and in the bodies inside
//! it), follows a variable from the `let` that made it (a `std::process::
//! Command`, an `mpsc` receiver, a thread's `JoinHandle`, a `std::net`
//! socket), and treats a call that is `.await`ed as async. It cannot see
//! through type aliases, re-exports, function arguments, struct fields, or
//! `use` declarations outside the item.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::visit_mut::{self, VisitMut};
use syn::{Attribute, Expr, Item, Pat, UseTree};

use crate::errors::Errors;

/// The attribute that lets one statement through.
pub(crate) const ALLOW: &str = "allow_blocking";

pub(crate) fn nonblocking(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    if let Some(first) = args.into_iter().next() {
        errors.span(
            first.span(),
            "`#[nonblocking]` takes no arguments: write `#[nonblocking]`",
        );
    }
    let mut parsed = match syn::parse2::<Item>(item.clone()) {
        Ok(parsed) => parsed,
        Err(error) => {
            // At the item, not where syn stopped: at the end of the input
            // that would be the attribute.
            errors.at(
                &item,
                format!(
                    "`#[nonblocking]` goes on an `async fn`, an `impl` block or an inline `mod`, and this does not parse as one: {error}"
                ),
            );
            return errors.with_item(item);
        }
    };
    let mut checker = Checker::new(&parsed);
    match &mut parsed {
        Item::Fn(_) | Item::Impl(_) | Item::Trait(_) => checker.visit_item_mut(&mut parsed),
        Item::Mod(module) if module.content.is_some() => checker.visit_item_mut(&mut parsed),
        Item::Mod(module) => errors.at(
            &module.ident,
            "`#[nonblocking]` checks the code it can see, and this module's code is in another file: put `#[nonblocking]` on an inline `mod { .. }`, or on the items inside the file",
        ),
        other => errors.span(
            first_token_span(other),
            "`#[nonblocking]` goes on an `async fn`, an `impl` block or an inline `mod`",
        ),
    }
    if let Item::Fn(function) = &parsed {
        if function.sig.asyncness.is_none() && !checker.saw_async {
            errors.at(
                function.sig.fn_token,
                "`#[nonblocking]` checks async code, and this fn is neither `async` nor holds an async block: put it on an `async fn`, an `impl` block or an inline `mod`",
            );
        }
    }
    for error in checker.errors {
        errors.push(error);
    }
    // The checked item, with every `#[allow_blocking]` removed.
    errors.with_item(parsed.into_token_stream())
}

/// Checks an async fn's body for `#[blocking]`, removing `#[allow_blocking]`.
pub(crate) fn check_async_body(block: &mut syn::Block, errors: &mut Errors) {
    let mut checker = Checker {
        aliases: HashMap::new(),
        blocking_fns: HashSet::new(),
        vars: HashMap::new(),
        in_async: true,
        saw_async: true,
        errors: Vec::new(),
    };
    checker.visit_block_mut(block);
    for error in checker.errors {
        errors.push(error);
    }
}

fn first_token_span<T: ToTokens>(tokens: &T) -> Span {
    tokens
        .to_token_stream()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span())
}

/// What a `let` made, when the checker can tell.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Var {
    Command,
    Receiver,
    JoinHandle,
    UdpSocket,
    TcpListener,
    Stdin,
}

struct Checker {
    /// `use` declarations seen: local name → full path.
    aliases: HashMap<String, Vec<String>>,
    /// `#[blocking]` fns defined in the checked item.
    blocking_fns: HashSet<String>,
    /// Variables whose `let` showed what they are.
    vars: HashMap<String, Var>,
    in_async: bool,
    saw_async: bool,
    errors: Vec<syn::Error>,
}

impl Checker {
    fn new(item: &Item) -> Self {
        let mut checker = Checker {
            aliases: HashMap::new(),
            blocking_fns: HashSet::new(),
            vars: HashMap::new(),
            in_async: false,
            saw_async: false,
            errors: Vec::new(),
        };
        checker.collect(item);
        checker
    }

    /// Gathers `use` declarations and `#[blocking]` fns of the whole item.
    fn collect(&mut self, item: &Item) {
        struct Collector<'a>(&'a mut Checker);
        impl<'ast> syn::visit::Visit<'ast> for Collector<'_> {
            fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
                add_use(&mut self.0.aliases, Vec::new(), &u.tree);
            }
            fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
                if is_blocking(&f.attrs) {
                    self.0.blocking_fns.insert(f.sig.ident.to_string());
                }
                syn::visit::visit_item_fn(self, f);
            }
            fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
                if is_blocking(&f.attrs) {
                    self.0.blocking_fns.insert(f.sig.ident.to_string());
                }
                syn::visit::visit_impl_item_fn(self, f);
            }
        }
        syn::visit::Visit::visit_item(&mut Collector(self), item);
    }

    /// An error spanning all of `tokens`.
    fn report<T: ToTokens>(&mut self, tokens: T, message: String) {
        self.errors.push(syn::Error::new_spanned(tokens, message));
    }

    /// The full path of `path`, through the `use` declarations seen.
    fn resolve(&self, path: &syn::Path) -> Vec<String> {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let Some(first) = segments.first() else {
            return segments;
        };
        match self.aliases.get(first) {
            Some(full) if path.leading_colon.is_none() => full
                .iter()
                .cloned()
                .chain(segments.into_iter().skip(1))
                .collect(),
            _ => segments,
        }
    }

    /// The body of a nested fn: async or not as it says, with variables of
    /// its own (the enclosing fn's `let`s are not in scope there).
    fn visit_fn_body(&mut self, sig: &syn::Signature, block: &mut syn::Block) {
        let vars = std::mem::take(&mut self.vars);
        self.with_async(sig.asyncness.is_some(), |this| this.visit_block_mut(block));
        self.vars = vars;
    }

    fn with_async<R>(&mut self, is_async: bool, f: impl FnOnce(&mut Self) -> R) -> R {
        let outer = self.in_async;
        self.in_async = is_async;
        if is_async {
            self.saw_async = true;
        }
        let result = f(self);
        self.in_async = outer;
        result
    }

    /// Visits `expr`, knowing whether it is directly `.await`ed.
    fn check_expr(&mut self, expr: &mut Expr, awaited: bool) {
        if self.in_async && !awaited {
            match &*expr {
                Expr::Call(call) => self.check_call(call),
                Expr::MethodCall(call) => self.check_method(call),
                _ => {}
            }
        }
        match expr {
            Expr::Call(call) if exempts_closures(&call.func) => {
                self.visit_expr_mut(&mut call.func);
                for arg in &mut call.args {
                    self.visit_sync_closure(arg);
                }
            }
            Expr::MethodCall(call) if is_exempt_name(&call.method.to_string()) => {
                self.visit_expr_mut(&mut call.receiver);
                for arg in &mut call.args {
                    self.visit_sync_closure(arg);
                }
            }
            Expr::Await(await_expr) => {
                let base = &mut *await_expr.base;
                self.check_expr(base, true);
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    /// A closure handed to a pool or thread runs off the executor: its body
    /// is sync code, where blocking is the point.
    fn visit_sync_closure(&mut self, arg: &mut Expr) {
        match arg {
            Expr::Closure(closure) if closure.asyncness.is_none() => {
                self.with_async(false, |this| this.visit_expr_mut(&mut closure.body));
            }
            other => self.visit_expr_mut(other),
        }
    }

    fn check_call(&mut self, call: &syn::ExprCall) {
        let Expr::Path(func) = &*call.func else {
            return;
        };
        let path = self.resolve(&func.path);
        let text = path.join("::");
        let last = path.last().map(String::as_str).unwrap_or_default();
        let span = &call.func;
        if let Some(message) = blocking_path(&path) {
            self.report(span, message);
        } else if last == "block_on" {
            self.report(span, block_on_message(&text));
        } else if (path.len() == 1 || (path.len() == 2 && path[0] == "Self"))
            && self.blocking_fns.contains(last)
        {
            self.report(span, blocking_fn_message(last));
        }
    }

    fn check_method(&mut self, call: &syn::ExprMethodCall) {
        let method = call.method.to_string();
        let span = &call.method;
        if method == "block_on" {
            self.report(span, block_on_message("block_on"));
            return;
        }
        if self.blocking_fns.contains(&method)
            && matches!(&*call.receiver, Expr::Path(p) if p.path.is_ident("self"))
        {
            self.report(span, blocking_fn_message(&method));
            return;
        }
        let Some(var) = self.origin(&call.receiver) else {
            return;
        };
        if let Some(message) = blocking_method(var, &method) {
            self.report(span, message);
        }
    }

    /// What the receiver of a method chain is, if the syntax shows it.
    fn origin(&self, expr: &Expr) -> Option<Var> {
        match expr {
            Expr::MethodCall(inner) => {
                let method = inner.method.to_string();
                match self.origin(&inner.receiver)? {
                    // Builder methods keep the command; `spawn` makes a child.
                    Var::Command if method == "spawn" => Some(Var::JoinHandle),
                    Var::Command
                        if [
                            "arg",
                            "args",
                            "env",
                            "envs",
                            "current_dir",
                            "stdin",
                            "stdout",
                            "stderr",
                            "env_clear",
                            "env_remove",
                        ]
                        .contains(&method.as_str()) =>
                    {
                        Some(Var::Command)
                    }
                    Var::Stdin if method == "lock" => Some(Var::Stdin),
                    var if ["unwrap", "expect"].contains(&method.as_str()) => Some(var),
                    _ => None,
                }
            }
            Expr::Try(inner) => self.origin(&inner.expr),
            Expr::Paren(inner) => self.origin(&inner.expr),
            Expr::Reference(inner) => self.origin(&inner.expr),
            Expr::Path(path) => path
                .path
                .get_ident()
                .and_then(|ident| self.vars.get(&ident.to_string()).copied()),
            Expr::Call(call) => {
                let Expr::Path(func) = &*call.func else {
                    return None;
                };
                constructor(&self.resolve(&func.path))
            }
            _ => None,
        }
    }

    /// Remembers what a `let` binds, when its initializer shows it.
    fn track_let(&mut self, local: &syn::Local) {
        let Some(init) = &local.init else { return };
        let expr = &*init.expr;
        // `let (tx, rx) = mpsc::channel();`
        if let (Pat::Tuple(tuple), Expr::Call(call)) = (&local.pat, expr) {
            if let Expr::Path(func) = &*call.func {
                let path = self.resolve(&func.path);
                let is_channel = path.len() >= 2
                    && path[path.len() - 2] == "mpsc"
                    && matches!(path[path.len() - 1].as_str(), "channel" | "sync_channel")
                    && path.first().is_some_and(|s| s == "std" || s == "mpsc");
                if is_channel {
                    if let Some(name) = tuple.elems.iter().nth(1).and_then(pat_ident) {
                        self.vars.insert(name, Var::Receiver);
                    }
                }
            }
            return;
        }
        if let (Some(name), Some(var)) = (pat_ident(&local.pat), self.origin(expr)) {
            self.vars.insert(name, var);
        }
    }
}

fn pat_ident(pat: &Pat) -> Option<String> {
    match pat {
        Pat::Ident(ident) => Some(ident.ident.to_string()),
        Pat::Type(typed) => pat_ident(&typed.pat),
        _ => None,
    }
}

fn is_blocking(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "blocking")
    })
}

fn strip_allow(attrs: &mut Vec<Attribute>) -> bool {
    let before = attrs.len();
    attrs.retain(|a| !a.path().is_ident(ALLOW));
    attrs.len() != before
}

fn add_use(aliases: &mut HashMap<String, Vec<String>>, prefix: Vec<String>, tree: &UseTree) {
    match tree {
        UseTree::Path(path) => {
            let mut prefix = prefix;
            prefix.push(path.ident.to_string());
            add_use(aliases, prefix, &path.tree);
        }
        UseTree::Name(name) => {
            let ident = name.ident.to_string();
            let mut full = prefix;
            if ident == "self" {
                if let Some(last) = full.last().cloned() {
                    aliases.insert(last, full);
                }
            } else {
                full.push(ident.clone());
                aliases.insert(ident, full);
            }
        }
        UseTree::Rename(rename) => {
            let mut full = prefix;
            if rename.ident != "self" {
                full.push(rename.ident.to_string());
            }
            aliases.insert(rename.rename.to_string(), full);
        }
        UseTree::Group(group) => {
            for tree in &group.items {
                add_use(aliases, prefix.clone(), tree);
            }
        }
        UseTree::Glob(_) => {}
    }
}

/// Callees whose closure arguments run on another thread.
fn exempts_closures(func: &Expr) -> bool {
    let Expr::Path(path) = func else { return false };
    path.path
        .segments
        .last()
        .is_some_and(|s| is_exempt_name(&s.ident.to_string()))
}

fn is_exempt_name(name: &str) -> bool {
    matches!(
        name,
        "io" | "cpu"
            | "run"
            | "run_iter"
            | "offload_iter"
            | "spawn_blocking"
            | "block_in_place"
            | "call"
            | "call_blocking"
            | "spawn"
            | "spawn_named"
            | "scope"
            | "install"
    )
}

const STD_FS: &[&str] = &[
    "read",
    "read_to_string",
    "write",
    "read_dir",
    "metadata",
    "symlink_metadata",
    "copy",
    "rename",
    "remove_file",
    "remove_dir",
    "remove_dir_all",
    "create_dir",
    "create_dir_all",
    "canonicalize",
    "hard_link",
    "read_link",
    "set_permissions",
    "exists",
];

/// Is `path` a std path (written in full, or unresolved with its module
/// name, like `thread::sleep`)?
fn std_path<'a>(path: &'a [String], module: &[&str]) -> Option<&'a [String]> {
    let rest = match path.first().map(String::as_str) {
        Some("std") => &path[1..],
        _ => path,
    };
    (rest.len() > module.len() && rest.iter().zip(module).all(|(a, b)| a == b))
        .then(|| &rest[module.len()..])
}

/// The message for a blocking free function or constructor call.
fn blocking_path(path: &[String]) -> Option<String> {
    let full = path.join("::");
    if let Some([name]) = std_path(path, &["thread"]) {
        if name == "sleep" {
            return Some(format!(
                "`{full}` blocks the executor's thread, and every task waiting for it: use `tokio::time::sleep(..).await`"
            ));
        }
    }
    if let Some(rest) = std_path(path, &["fs"]) {
        let blocking = match rest {
            [name] => STD_FS.contains(&name.as_str()),
            [ty, name] => ty == "File" && matches!(name.as_str(), "open" | "create" | "create_new"),
            _ => false,
        };
        if blocking {
            return Some(format!(
                "`{full}` blocks the executor's thread on the disk: use `tokio::fs` (`.await` it), or move the work into an `#[offload(io)]` fn"
            ));
        }
    }
    if let Some([ty, name]) = std_path(path, &["net"]) {
        if ty == "TcpStream" && (name == "connect" || name == "connect_timeout") {
            return Some(format!(
                "`{full}` blocks the executor's thread on the network: use `tokio::net::TcpStream::connect(..).await`"
            ));
        }
    }
    let is_runtime_new = matches!(path, [.., ty, new] if ty == "Runtime" && new == "new")
        && path
            .first()
            .is_some_and(|s| s == "tokio" || s == "Runtime" || s == "runtime");
    if is_runtime_new {
        return Some(format!(
            "`{full}` starts a second runtime inside async code, which blocks (or panics) to run it: you are already in async code, so `.await` the work, or `tokio::spawn` it"
        ));
    }
    None
}

/// What a constructor call makes, for `let` tracking.
fn constructor(path: &[String]) -> Option<Var> {
    match std_path(path, &["process"]) {
        Some([ty, new]) if ty == "Command" && new == "new" => return Some(Var::Command),
        _ => {}
    }
    if let Some([ty, ctor]) = std_path(path, &["net"]) {
        match (ty.as_str(), ctor.as_str()) {
            ("UdpSocket", "bind") => return Some(Var::UdpSocket),
            ("TcpListener", "bind") => return Some(Var::TcpListener),
            _ => {}
        }
    }
    if let Some([name]) = std_path(path, &["thread"]) {
        if name == "spawn" {
            return Some(Var::JoinHandle);
        }
    }
    if let Some([name]) = std_path(path, &["io"]) {
        if name == "stdin" {
            return Some(Var::Stdin);
        }
    }
    None
}

fn blocking_method(var: Var, method: &str) -> Option<String> {
    let message = match (var, method) {
        (Var::Command, "output" | "status") => format!(
            "`Command::{method}` waits for the child process on the executor's thread: use `tokio::process::Command` and `.{method}().await`"
        ),
        (Var::JoinHandle, "wait" | "wait_with_output") => format!(
            "`Child::{method}` waits for the child process on the executor's thread: use `tokio::process::Command` and `.{method}().await`"
        ),
        (Var::JoinHandle, "join") => "`JoinHandle::join` waits for a thread on the executor's thread: start it with `tokio::task::spawn_blocking` and `.await` the handle".to_owned(),
        (Var::Receiver, "recv" | "recv_timeout") => format!(
            "`Receiver::{method}` of `std::sync::mpsc` waits on the executor's thread: use `tokio::sync::mpsc` and `.recv().await`"
        ),
        (Var::UdpSocket, "send" | "send_to" | "recv" | "recv_from" | "peek" | "peek_from") => format!(
            "`std::net::UdpSocket::{method}` blocks the executor's thread on the network: use `tokio::net::UdpSocket` and `.{method}(..).await`"
        ),
        (Var::TcpListener, "accept" | "incoming") => format!(
            "`std::net::TcpListener::{method}` blocks the executor's thread waiting for a connection: use `tokio::net::TcpListener` and `.accept().await`"
        ),
        (Var::Stdin, "read_line" | "read_to_string" | "read_to_end" | "read" | "lines") => format!(
            "reading `std::io::stdin` (`.{method}`) blocks the executor's thread until the user types: use `tokio::io::stdin()`, or read it in an `#[offload(io)]` fn"
        ),
        _ => return None,
    };
    Some(message)
}

fn block_on_message(what: &str) -> String {
    format!(
        "`{what}` blocks this thread until its future is done, and inside a runtime it deadlocks or panics: you are already in async code, so `.await` the future"
    )
}

fn blocking_fn_message(name: &str) -> String {
    format!(
        "`{name}` is a `#[blocking]` fn, which blocks until its future is done: you are already in async code, so `.await` its async version (`#[blocking(keep = {name}_async)]` keeps it)"
    )
}

impl VisitMut for Checker {
    fn visit_item_fn_mut(&mut self, f: &mut syn::ItemFn) {
        if is_blocking(&f.attrs) {
            return; // `#[blocking]` checks its own body.
        }
        self.visit_fn_body(&f.sig, &mut f.block);
    }

    fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
        if is_blocking(&f.attrs) {
            return; // `#[blocking]` checks its own body.
        }
        self.visit_fn_body(&f.sig, &mut f.block);
    }

    fn visit_trait_item_fn_mut(&mut self, f: &mut syn::TraitItemFn) {
        if let Some(block) = &mut f.default {
            self.visit_fn_body(&f.sig, block);
        }
    }

    fn visit_item_use_mut(&mut self, u: &mut syn::ItemUse) {
        add_use(&mut self.aliases, Vec::new(), &u.tree);
    }

    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        // A statement marked `#[allow_blocking]` is let through unchecked,
        // and the marker removed.
        for stmt in &mut block.stmts {
            match stmt {
                syn::Stmt::Local(local) => {
                    if !strip_allow(&mut local.attrs) {
                        self.visit_local_mut(local);
                    }
                    self.track_let(local);
                }
                syn::Stmt::Expr(expr, _) => {
                    if !expr_attrs(expr).is_some_and(strip_allow) {
                        self.check_expr(expr, false);
                    }
                }
                syn::Stmt::Item(item) => self.visit_item_mut(item),
                syn::Stmt::Macro(mac) => {
                    if !strip_allow(&mut mac.attrs) {
                        self.visit_stmt_macro_mut(mac);
                    }
                }
            }
        }
    }

    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        self.check_expr(expr, false);
    }

    fn visit_expr_async_mut(&mut self, block: &mut syn::ExprAsync) {
        self.with_async(true, |this| this.visit_block_mut(&mut block.block));
    }

    fn visit_expr_closure_mut(&mut self, closure: &mut syn::ExprClosure) {
        if closure.asyncness.is_some() {
            self.with_async(true, |this| this.visit_expr_mut(&mut closure.body));
        } else {
            visit_mut::visit_expr_closure_mut(self, closure);
        }
    }
}

/// The attributes of an expression statement, where `#[allow_blocking]` goes.
fn expr_attrs(expr: &mut Expr) -> Option<&mut Vec<Attribute>> {
    Some(match expr {
        Expr::Call(e) => &mut e.attrs,
        Expr::MethodCall(e) => &mut e.attrs,
        Expr::Await(e) => &mut e.attrs,
        Expr::Assign(e) => &mut e.attrs,
        Expr::Block(e) => &mut e.attrs,
        Expr::Try(e) => &mut e.attrs,
        Expr::Macro(e) => &mut e.attrs,
        Expr::Path(e) => &mut e.attrs,
        Expr::If(e) => &mut e.attrs,
        Expr::Match(e) => &mut e.attrs,
        Expr::ForLoop(e) => &mut e.attrs,
        Expr::While(e) => &mut e.attrs,
        Expr::Loop(e) => &mut e.attrs,
        Expr::Unsafe(e) => &mut e.attrs,
        Expr::Return(e) => &mut e.attrs,
        Expr::Let(e) => &mut e.attrs,
        _ => return None,
    })
}
