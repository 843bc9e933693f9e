//! The rules of `#[offload]`, each reported at the token that breaks it:
//! what crosses to the pool's thread must be owned, the fn must be a plain
//! blocking fn with a body, and the options must fit the fn.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::visit::Visit;
use syn::{FnArg, GenericParam, Lifetime, Pat, ReturnType, Signature, Type};

use crate::args::Options;
use crate::errors::Errors;
use crate::item::{self, FnItem};

const OWN: &str = "`#[offload]` runs the body on another thread, so it must own its arguments";

pub(super) fn check(function: &FnItem, options: &Options, errors: &mut Errors) {
    let sig = &function.sig;
    // A second `#[offload]` is the mistake to report; the `async` it would
    // then find is not.
    let twice = item::find_attribute(&function.attrs, "offload");
    if let Some(second) = twice {
        errors.at(
            second,
            "`#[offload]` is given twice: an offloaded fn is already `async`; keep one",
        );
    } else if let Some(asyncness) = &sig.asyncness {
        errors.at(
            asyncness,
            "this fn is already `async`; `#[offload]` turns a blocking `fn` into an `async fn`: remove `async` (to call async code from sync code, use `#[blocking]`)",
        );
    }
    if let Some(blocking) = item::find_attribute(&function.attrs, "blocking") {
        errors.at(
            blocking,
            "`#[offload]` and `#[blocking]` do opposite things and cannot be combined: `#[offload]` makes a blocking fn async, `#[blocking]` makes an async fn blocking",
        );
    }
    if let Some(constness) = &sig.constness {
        errors.at(
            constness,
            "a `const fn` cannot be offloaded, since an `async fn` cannot be `const`: remove `const`, or keep it and offload a separate fn that calls it",
        );
    }
    if let Some(abi) = &sig.abi {
        errors.at(
            abi,
            "an `extern` fn cannot become an `async fn`: offload a plain Rust `fn` that calls it",
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(variadic, "a variadic fn cannot be offloaded");
    }
    let statics = static_lifetimes(sig);
    check_lifetimes(sig, &statics, errors);
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => check_receiver(receiver, &statics, errors),
            FnArg::Typed(typed) => check_arg(&typed.pat, &typed.ty, &statics, errors),
        }
    }
    match &function.body {
        Err(semi) => errors.at(
            semi,
            "`#[offload]` needs the fn's body; in a trait, declare `async fn` and put `#[offload]` on the fn of each impl",
        ),
        Ok(body) => check_recursion(sig, options, &body.block, errors),
    }
    if let Some((key, _)) = &options.buffer {
        let is_iterator =
            matches!(&sig.output, ReturnType::Type(_, ty) if iterator_item(ty).is_some());
        if !is_iterator {
            errors.at(
                key,
                "`buffer` only applies to a fn returning `impl Iterator<Item = T>`, which becomes a stream; remove it",
            );
        }
    }
    if let Some(keep) = &options.keep
        && keep.name == sig.ident
    {
        errors.at(
                &keep.written,
                format!(
                    "`keep = {0}` is the fn's own name, which the async version takes: choose another, like `keep = {0}_blocking`",
                    keep.name
                ),
            );
    }
}

/// A lifetime parameter lets the arguments or the result borrow, unless it
/// is bounded by `'static`. One that an argument borrows for is reported at
/// that argument (by `check_arg` / `check_receiver`), with the owned type to
/// take: one error for one mistake.
fn check_lifetimes(sig: &Signature, statics: &[Lifetime], errors: &mut Errors) {
    for param in &sig.generics.params {
        let GenericParam::Lifetime(lifetime) = param else {
            continue;
        };
        let name = &lifetime.lifetime;
        if statics.contains(name) {
            continue;
        }
        let reported_at_argument = sig.inputs.iter().any(|input| {
            let ty = match input {
                FnArg::Typed(typed) => &typed.ty,
                FnArg::Receiver(receiver) => &receiver.ty,
            };
            first_borrow(ty, statics).is_some() && mentions_lifetime(ty, name)
        });
        if reported_at_argument {
            continue;
        }
        let message = match &sig.output {
            ReturnType::Type(_, ty) if mentions_lifetime(ty, name) => format!(
                "`#[offload]` sends the result back from another thread, so it must own its data, and lifetime `{name}` lets it borrow: remove it and return an owned type, or bound it with `{name}: 'static`"
            ),
            _ => format!(
                "{OWN}, and lifetime `{name}` lets them borrow: remove it and take owned types, or bound it with `{name}: 'static`"
            ),
        };
        errors.at(name, message);
    }
}

/// The lifetime parameters bounded by `'static` (`<'a: 'static>` or
/// `where 'a: 'static`): as good as `'static`.
pub(super) fn static_lifetimes(sig: &Signature) -> Vec<Lifetime> {
    let is_static = |l: &Lifetime| l.ident == "static";
    let mut statics: Vec<Lifetime> = sig
        .generics
        .lifetimes()
        .filter(|param| param.bounds.iter().any(is_static))
        .map(|param| param.lifetime.clone())
        .collect();
    if let Some(clause) = &sig.generics.where_clause {
        for predicate in &clause.predicates {
            if let syn::WherePredicate::Lifetime(p) = predicate
                && p.bounds.iter().any(is_static)
            {
                statics.push(p.lifetime.clone());
            }
        }
    }
    statics
}

fn check_receiver(receiver: &syn::Receiver, statics: &[Lifetime], errors: &mut Errors) {
    if receiver.colon_token.is_none() {
        if let Some((_, lifetime)) = &receiver.reference {
            if lifetime.as_ref().is_some_and(|l| statics.contains(l)) {
                return;
            }
            let mutability = if receiver.mutability.is_some() {
                "mut "
            } else {
                ""
            };
            errors.at(
                receiver,
                format!(
                    "`#[offload]` runs the body on another thread, so it must own `self`; `&{mutability}self` is borrowed\n  help: take `self`, or `self: Arc<Self>` to share it"
                ),
            );
        }
    } else if let Some(borrow) = first_borrow(&receiver.ty, statics) {
        errors.at(
            borrow.tokens(),
            format!(
                "`#[offload]` runs the body on another thread, so it must own `self`; `self: {}` is borrowed\n  help: take `self`, or `self: Arc<Self>` to share it",
                tokens(&receiver.ty)
            ),
        );
    }
}

fn check_arg(pat: &Pat, ty: &Type, statics: &[Lifetime], errors: &mut Errors) {
    let Some(borrow) = first_borrow(ty, statics) else {
        return;
    };
    match borrow {
        Borrow::Reference(reference) => {
            let top_level = matches!(ty, Type::Reference(r) if std::ptr::eq(r, reference));
            let shown = if top_level {
                format!("`{}: {}` is borrowed", tokens(pat), tokens(ty))
            } else {
                format!(
                    "`{}` in `{}: {}` is borrowed",
                    tokens(reference),
                    tokens(pat),
                    tokens(ty)
                )
            };
            errors.at(
                reference,
                format!("{OWN}; {shown}\n  help: take {} instead", owned_hint(reference)),
            );
        }
        Borrow::Lifetime(lifetime) => errors.at(
            lifetime,
            format!(
                "{OWN}; `{}: {}` borrows for `{lifetime}`\n  help: take an owned type, or one that borrows for `'static`",
                tokens(pat),
                tokens(ty)
            ),
        ),
        Borrow::ImplTrait(bounds) => {
            let has_send = bounds.bounds.iter().any(|b| {
                matches!(b, syn::TypeParamBound::Trait(t) if t.path.segments.last().is_some_and(|s| s.ident == "Send"))
            });
            let add = if has_send {
                "+ 'static"
            } else {
                "+ Send + 'static"
            };
            errors.at(
                bounds,
                format!(
                    "{OWN}; `{}: {}` may borrow\n  help: add `{add}` to its bounds",
                    tokens(pat),
                    tokens(ty)
                ),
            );
        }
    }
}

/// The owned type to suggest in place of a reference.
fn owned_hint(reference: &syn::TypeReference) -> String {
    let inner = &*reference.elem;
    let named = |name: &str| matches!(inner, Type::Path(p) if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == name && s.arguments.is_empty()));
    if named("str") {
        "`String`".into()
    } else if named("Path") {
        "`PathBuf`".into()
    } else if named("OsStr") {
        "`OsString`".into()
    } else if named("CStr") {
        "`CString`".into()
    } else if let Type::Slice(slice) = inner {
        format!("`Vec<{}>`", tokens(&slice.elem))
    } else if let Type::TraitObject(object) = inner {
        let has_send = object.bounds.iter().any(|b| matches!(b, syn::TypeParamBound::Trait(t) if t.path.segments.last().is_some_and(|s| s.ident == "Send")));
        format!(
            "`Box<dyn {}{}>`",
            tokens(&object.bounds),
            if has_send { "" } else { " + Send" }
        )
    } else {
        format!(
            "`{}` (or `Arc<{}>` to share it)",
            tokens(inner),
            tokens(inner)
        )
    }
}

enum Borrow<'a> {
    Reference(&'a syn::TypeReference),
    Lifetime(&'a Lifetime),
    ImplTrait(&'a syn::TypeImplTrait),
}

impl Borrow<'_> {
    fn tokens(&self) -> TokenStream {
        match self {
            Borrow::Reference(r) => r.to_token_stream(),
            Borrow::Lifetime(l) => l.to_token_stream(),
            Borrow::ImplTrait(i) => i.to_token_stream(),
        }
    }
}

/// The first place where `ty` borrows: a reference, a lifetime that is not
/// `'static` (nor bounded by it: `statics`), or an `impl Trait` not bounded
/// by `'static`.
fn first_borrow<'a>(ty: &'a Type, statics: &[Lifetime]) -> Option<Borrow<'a>> {
    struct Finder<'a, 's> {
        statics: &'s [Lifetime],
        found: Option<Borrow<'a>>,
    }
    impl Finder<'_, '_> {
        fn is_static(&self, lifetime: &Lifetime) -> bool {
            lifetime.ident == "static" || self.statics.contains(lifetime)
        }
    }
    impl<'a> Visit<'a> for Finder<'a, '_> {
        fn visit_type_reference(&mut self, reference: &'a syn::TypeReference) {
            let is_static = reference
                .lifetime
                .as_ref()
                .is_some_and(|l| self.is_static(l));
            if self.found.is_none() && !is_static {
                self.found = Some(Borrow::Reference(reference));
            }
            syn::visit::visit_type_reference(self, reference);
        }
        fn visit_lifetime(&mut self, lifetime: &'a Lifetime) {
            if self.found.is_none() && !self.is_static(lifetime) {
                self.found = Some(Borrow::Lifetime(lifetime));
            }
        }
        fn visit_type_impl_trait(&mut self, it: &'a syn::TypeImplTrait) {
            let is_static = it
                .bounds
                .iter()
                .any(|b| matches!(b, syn::TypeParamBound::Lifetime(l) if self.is_static(l)));
            if self.found.is_none() && !is_static {
                self.found = Some(Borrow::ImplTrait(it));
            }
            syn::visit::visit_type_impl_trait(self, it);
        }
        fn visit_type_bare_fn(&mut self, _: &'a syn::TypeBareFn) {
            // `fn(&str) -> usize` owns nothing borrowed: its lifetimes are
            // higher-ranked.
        }
        fn visit_trait_bound(&mut self, bound: &'a syn::TraitBound) {
            // `Box<dyn Fn(&str) + Send>`: a reference in a bound's arguments is higher-ranked too.
            if bound.lifetimes.is_none() {
                for segment in &bound.path.segments {
                    if let syn::PathArguments::AngleBracketed(args) = &segment.arguments {
                        syn::visit::visit_angle_bracketed_generic_arguments(self, args);
                    }
                }
            }
        }
    }
    let mut finder = Finder {
        statics,
        found: None,
    };
    finder.visit_type(ty);
    finder.found
}

/// A call of the fn from its own body: once offloaded, its name is the
/// `async` fn, so the call would return a future instead of recursing.
/// Reported at each such call (`name(..)`, `Self::name(..)`,
/// `self.name(..)`), with the way to recurse. A body that binds the name
/// itself anywhere (a `let`, closure, `match`, `if let` or `for` binding, a
/// nested fn, a `use`) calls that with `name(..)`: those calls are let
/// through, wherever they are, since the scopes are not followed; a miss
/// is better than an error on correct code.
fn check_recursion(sig: &Signature, options: &Options, body: &syn::Block, errors: &mut Errors) {
    struct Finder<'a> {
        name: &'a syn::Ident,
        /// Each call as written, and whether it is a bare `name(..)`.
        calls: Vec<(TokenStream, bool)>,
    }
    impl Visit<'_> for Finder<'_> {
        fn visit_expr_call(&mut self, call: &syn::ExprCall) {
            if let syn::Expr::Path(path) = &*call.func {
                let segments: Vec<&syn::PathSegment> = path.path.segments.iter().collect();
                let is_own = path.qself.is_none()
                    && path.path.leading_colon.is_none()
                    && match segments.as_slice() {
                        [name] => name.ident == *self.name,
                        [this, name] => this.ident == "Self" && name.ident == *self.name,
                        _ => false,
                    };
                if is_own {
                    self.calls
                        .push((path.to_token_stream(), segments.len() == 1));
                }
            }
            syn::visit::visit_expr_call(self, call);
        }
        fn visit_expr_method_call(&mut self, call: &syn::ExprMethodCall) {
            let on_self = matches!(&*call.receiver, syn::Expr::Path(p) if p.path.is_ident("self"));
            if on_self && call.method == *self.name {
                self.calls.push((call.method.to_token_stream(), false));
            }
            syn::visit::visit_expr_method_call(self, call);
        }
    }
    let name = &sig.ident;
    let mut finder = Finder {
        name,
        calls: Vec::new(),
    };
    finder.visit_block(body);
    let shadowed = binds_name(sig, body, name);
    // `Self::name(..)` and `self.name(..)` are not the local binding.
    let calls = finder
        .calls
        .into_iter()
        .filter(|(_, bare)| !(shadowed && *bare))
        .map(|(call, _)| call);
    for call in calls {
        // The way the call is written (`name`, `Self::name`, `self.name`),
        // with the kept name in place of the fn's.
        let written = tokens(&call);
        // A `keep` that is the fn's own name is an error of its own.
        let keep = options.keep.as_ref().filter(|keep| keep.name != *name);
        let message = match keep {
            Some(keep) => format!(
                "`{name}` calls itself, but `#[offload]` makes `{name}` an `async fn`, so this call would return a future instead of recursing: call the blocking original here, `{}`",
                written.replacen(&name.to_string(), &keep.name.to_string(), 1)
            ),
            None => format!(
                "`{name}` calls itself, but `#[offload]` makes `{name}` an `async fn`, so this call would return a future instead of recursing: keep the blocking fn with `keep = {name}_blocking` and call `{name}_blocking` here"
            ),
        };
        errors.at(call, message);
    }
}

/// Whether the fn's parameters or `body` bind `name` anywhere: a
/// pattern's binding (parameters, `let`, closure parameters, `match`, `if
/// let`, `while let`, `for`), a nested fn, or a `use` that brings in or
/// renames to `name`.
fn binds_name(sig: &Signature, body: &syn::Block, name: &syn::Ident) -> bool {
    struct Finder<'a> {
        name: &'a syn::Ident,
        found: bool,
    }
    impl Visit<'_> for Finder<'_> {
        fn visit_pat_ident(&mut self, ident: &syn::PatIdent) {
            self.found |= ident.ident == *self.name;
            syn::visit::visit_pat_ident(self, ident);
        }
        fn visit_item_fn(&mut self, item: &syn::ItemFn) {
            self.found |= item.sig.ident == *self.name;
            syn::visit::visit_item_fn(self, item);
        }
        fn visit_use_name(&mut self, use_name: &syn::UseName) {
            self.found |= use_name.ident == *self.name;
        }
        fn visit_use_rename(&mut self, rename: &syn::UseRename) {
            self.found |= rename.rename == *self.name;
        }
    }
    let mut finder = Finder { name, found: false };
    for input in &sig.inputs {
        finder.visit_fn_arg(input);
    }
    finder.visit_block(body);
    finder.found
}

pub(super) fn tokens<T: ToTokens>(t: &T) -> String {
    let text = t.to_token_stream().to_string();
    // `& Path` → `&Path`, `Vec < u8 >` → `Vec<u8>`: the way people write types.
    text.replace("& ", "&")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" [", "[")
        .replace("[ ", "[")
        .replace(" ]", "]")
        .replace("' ", "'")
}

/// The `<Item = T>` of a return type `impl Iterator<Item = T> + ..`.
pub(super) fn iterator_item(ty: &Type) -> Option<&syn::PathArguments> {
    let Type::ImplTrait(impl_trait) = ty else {
        return None;
    };
    impl_trait.bounds.iter().find_map(|bound| match bound {
        syn::TypeParamBound::Trait(t) => t
            .path
            .segments
            .last()
            .filter(|s| s.ident == "Iterator")
            .map(|s| &s.arguments),
        _ => None,
    })
}

fn mentions_lifetime(ty: &Type, lifetime: &Lifetime) -> bool {
    struct Finder<'a>(&'a Lifetime, bool);
    impl Visit<'_> for Finder<'_> {
        fn visit_lifetime(&mut self, l: &Lifetime) {
            self.1 |= l.ident == self.0.ident;
        }
    }
    let mut finder = Finder(lifetime, false);
    finder.visit_type(ty);
    finder.1
}
