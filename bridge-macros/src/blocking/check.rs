//! The rules of `#[blocking]`, each reported at the token that breaks it.

use crate::args::Options;
use crate::errors::Errors;
use crate::item::{self, FnItem};

pub(super) fn check(function: &FnItem, options: &Options, errors: &mut Errors) {
    let sig = &function.sig;
    // A second `#[blocking]` is the mistake to report; the missing `async`
    // it would then complain about is not.
    if let Some(second) = item::find_attribute(&function.attrs, "blocking") {
        errors.at(
            second,
            "`#[blocking]` is given twice: a `#[blocking]` fn is already blocking; keep one",
        );
    } else if sig.asyncness.is_none() {
        errors.at(
            sig.fn_token,
            "`#[blocking]` turns an `async fn` into a blocking `fn`, and this fn is not `async`: write `async fn` (to call a blocking fn from async code, use `#[offload(io)]`)",
        );
    }
    if let Some(offload) = item::find_attribute(&function.attrs, "offload") {
        errors.at(
            offload,
            "`#[blocking]` and `#[offload]` do opposite things and cannot be combined: `#[blocking]` makes an async fn blocking, `#[offload]` makes a blocking fn async",
        );
    }
    if let Err(semi) = &function.body {
        errors.at(
            semi,
            "`#[blocking]` needs the fn's body; in a trait, declare the blocking `fn` and put `#[blocking]` on the `async fn` of each impl",
        );
    }
    if let Some(keep) = &options.keep
        && keep.name == sig.ident
    {
        errors.at(
                &keep.written,
                format!(
                    "`keep = {0}` is the fn's own name, which the blocking version takes: choose another, like `keep = {0}_async`",
                    keep.name
                ),
            );
    }
}
