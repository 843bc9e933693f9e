//! `#[nonblocking]`, `nonblocking_crate!` and `#[allow_blocking]`: the
//! classic blocking calls inside async code, found at compile time.
//!
//! The checker reads syntax, not types. Its parts:
//! - [`catalogue`]: the blocking APIs and their replacements, as data;
//! - [`resolve`]: whose path it is, through the `use` declarations, items
//!   and modules in view;
//! - [`values`]: what a variable, field or static holds, when the syntax
//!   shows it;
//! - [`visitor`]: the walk over async bodies that reports each call;
//! - [`allow`]: the `#[allow_blocking]` marker;
//! - [`source`]: the file around a macro's input;
//! - [`crate_scan`]: every file of a package, for `nonblocking_crate!`.

mod allow;
mod catalogue;
mod crate_scan;
mod resolve;
mod source;
mod values;
mod visitor;

#[cfg(test)]
mod tests;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::Item;

use crate::errors::Errors;
use source::{Anchor, View};
use visitor::{Checker, Mode};

pub(crate) use allow::attribute as allow_blocking;
pub(crate) use crate_scan::nonblocking_crate;
pub(crate) use source::{FnPlace, fn_place};

/// `#[nonblocking]` on an `async fn`, an `impl`, a `trait` or an inline
/// `mod`: the item back, without its `#[allow_blocking]` markers, and an
/// error at each blocking call in its async code.
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
    match &parsed {
        Item::Fn(_) | Item::Impl(_) | Item::Trait(_) => {}
        Item::Mod(module) if module.content.is_some() => {}
        Item::Mod(module) => {
            errors.at(
                &module.ident,
                "`#[nonblocking]` checks the code it can see, and this module's code is in another file: put `#[nonblocking]` on the items inside the file, or check the whole crate with `bridge_runtime::nonblocking_crate!()`",
            );
            return errors.with_item(item);
        }
        other => {
            errors.span(
                first_token(other),
                "`#[nonblocking]` goes on an `async fn`, an `impl` block or an inline `mod`",
            );
            return errors.with_item(item);
        }
    }
    if let Some(attrs) = allow::item_attrs(&mut parsed)
        && let Some(marker) = attrs.iter().find(|a| allow::is_allow(a))
    {
        errors.at(
            marker,
            "`#[allow_blocking]` lets all of this item through, and `#[nonblocking]` checks all of it: keep one of the two",
        );
        allow::strip(attrs);
    }

    let anchor = Anchor::Item(source::item_name(&parsed));
    let view = View::around(first_token(&parsed), &anchor, std::slice::from_ref(&parsed));
    let mut checker = Checker::new(
        &view.world,
        Mode::Attribute,
        view.module,
        view.unknown_module,
    )
    .inside(view.blocks.clone(), view.self_ty.clone(), false);
    checker.check_item(&mut parsed, 0, view.item_module);

    if let Item::Fn(function) = &parsed
        && function.sig.asyncness.is_none()
        && !checker.saw_async
    {
        errors.at(
            function.sig.fn_token,
            "`#[nonblocking]` checks async code, and this fn is neither `async` nor holds an async block: put it on an `async fn`, an `impl` block or an inline `mod`",
        );
    }
    for error in checker.findings {
        errors.push(error);
    }
    for error in checker.misplaced {
        errors.push(error);
    }
    errors.with_item(parsed.into_token_stream())
}

/// Checks the body of a `#[blocking]` fn, which is async code too, and
/// removes its `#[allow_blocking]` markers.
pub(crate) fn check_async_body(block: &mut syn::Block, errors: &mut Errors) {
    let first = block.brace_token.span.open();
    let view = View::around(first, &Anchor::Body, &[]);
    let mut checker = Checker::new(
        &view.world,
        Mode::Attribute,
        view.module,
        view.unknown_module,
    )
    .inside(view.blocks.clone(), view.self_ty.clone(), view.allowed);
    checker.check_async_block(block);
    for error in checker.findings {
        errors.push(error);
    }
    for error in checker.misplaced {
        errors.push(error);
    }
}

/// The span of the first token of `tokens`.
pub(crate) fn first_token<T: ToTokens>(tokens: &T) -> Span {
    tokens
        .to_token_stream()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span())
}
