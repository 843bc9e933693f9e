//! `#[allow_blocking]`: the marker that lets intended blocking through.
//!
//! Inside a `#[nonblocking]` item it goes on any statement or expression,
//! a match arm, a fn, a method, an `impl`, a `trait` or a `mod`, in any of
//! its spellings (`#[allow_blocking]`, `#[bridge_runtime::allow_blocking]`),
//! and is removed before the code is compiled. In plain code (for
//! `nonblocking_crate!`), `#[bridge_runtime::allow_blocking]` is a no-op
//! attribute for fns, impls, traits and modules, and
//! `bridge_runtime::allow_blocking(|| ..)` marks one expression.

use proc_macro2::TokenStream;
use syn::{Attribute, Expr, Item};

use super::resolve::attr_name;
use crate::errors::Errors;

/// The marker's name, in every spelling.
pub(super) const ALLOW: &str = "allow_blocking";

/// Where the marker can go, said wherever it cannot.
pub(super) const WHERE: &str = "`#[allow_blocking]` lets intended blocking through, and goes on a statement, an expression, a match arm, a fn, an `impl`, a `trait` or a `mod`; here it lets nothing through: remove it";

pub(super) fn is_allow(attr: &Attribute) -> bool {
    attr_name(attr).is_some_and(|name| name == ALLOW)
}

/// Removes every marker from `attrs`; `true` if there was one.
pub(super) fn strip(attrs: &mut Vec<Attribute>) -> bool {
    let before = attrs.len();
    attrs.retain(|a| !is_allow(a));
    attrs.len() != before
}

/// The attributes of an expression, where the marker may sit.
pub(super) fn expr_attrs(expr: &mut Expr) -> Option<&mut Vec<Attribute>> {
    Some(match expr {
        Expr::Array(e) => &mut e.attrs,
        Expr::Assign(e) => &mut e.attrs,
        Expr::Async(e) => &mut e.attrs,
        Expr::Await(e) => &mut e.attrs,
        Expr::Binary(e) => &mut e.attrs,
        Expr::Block(e) => &mut e.attrs,
        Expr::Break(e) => &mut e.attrs,
        Expr::Call(e) => &mut e.attrs,
        Expr::Cast(e) => &mut e.attrs,
        Expr::Closure(e) => &mut e.attrs,
        Expr::Const(e) => &mut e.attrs,
        Expr::Continue(e) => &mut e.attrs,
        Expr::Field(e) => &mut e.attrs,
        Expr::ForLoop(e) => &mut e.attrs,
        Expr::Group(e) => &mut e.attrs,
        Expr::If(e) => &mut e.attrs,
        Expr::Index(e) => &mut e.attrs,
        Expr::Infer(e) => &mut e.attrs,
        Expr::Let(e) => &mut e.attrs,
        Expr::Lit(e) => &mut e.attrs,
        Expr::Loop(e) => &mut e.attrs,
        Expr::Macro(e) => &mut e.attrs,
        Expr::Match(e) => &mut e.attrs,
        Expr::MethodCall(e) => &mut e.attrs,
        Expr::Paren(e) => &mut e.attrs,
        Expr::Path(e) => &mut e.attrs,
        Expr::Range(e) => &mut e.attrs,
        Expr::RawAddr(e) => &mut e.attrs,
        Expr::Reference(e) => &mut e.attrs,
        Expr::Repeat(e) => &mut e.attrs,
        Expr::Return(e) => &mut e.attrs,
        Expr::Struct(e) => &mut e.attrs,
        Expr::Try(e) => &mut e.attrs,
        Expr::TryBlock(e) => &mut e.attrs,
        Expr::Tuple(e) => &mut e.attrs,
        Expr::Unary(e) => &mut e.attrs,
        Expr::Unsafe(e) => &mut e.attrs,
        Expr::While(e) => &mut e.attrs,
        Expr::Yield(e) => &mut e.attrs,
        _ => return None,
    })
}

/// The operand of `expr` that holds the attributes written before it:
/// the leftmost one of an assignment, a binary operation or a cast.
pub(super) fn leftmost(expr: &mut Expr) -> &mut Expr {
    match expr {
        Expr::Assign(e) => leftmost(&mut e.left),
        Expr::Binary(e) => leftmost(&mut e.left),
        Expr::Cast(e) => leftmost(&mut e.expr),
        other => other,
    }
}

/// The attributes of an item that can carry the marker: one that holds code.
pub(super) fn item_attrs(item: &mut Item) -> Option<&mut Vec<Attribute>> {
    Some(match item {
        Item::Fn(i) => &mut i.attrs,
        Item::Impl(i) => &mut i.attrs,
        Item::Mod(i) => &mut i.attrs,
        Item::Trait(i) => &mut i.attrs,
        _ => return None,
    })
}

/// `#[bridge_runtime::allow_blocking]` in plain code: the item unchanged.
/// The crate check reads the marker; here it only says where it cannot go.
pub(crate) fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    if let Some(first) = args.into_iter().next() {
        errors.span(
            first.span(),
            "`#[allow_blocking]` takes no arguments: write `#[allow_blocking]`, and say why in a comment",
        );
    }
    match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(_) | Item::Impl(_) | Item::Mod(_) | Item::Trait(_) | Item::Verbatim(_))
        | Err(_) => {}
        Ok(other) => errors.span(
            crate::nonblocking::first_token(&other),
            "`#[allow_blocking]` lets intended blocking through, so it goes on a fn, an `impl`, a `trait` or a `mod`; for one expression, write `bridge_runtime::allow_blocking(|| ..)`",
        ),
    }
    errors.with_item(item)
}
