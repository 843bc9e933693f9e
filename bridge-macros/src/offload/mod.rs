//! `#[offload(io | cpu, pool = P, keep = NAME, buffer = N, crate = PATH)]`:
//! the arguments (read by [`crate::args`]), the rules ([`check`]) and the
//! expansion ([`expand`]), in that order.

mod check;
mod expand;

use proc_macro2::TokenStream;

use crate::args::{self, Attribute};
use crate::errors::Errors;
use crate::item;

pub(crate) fn offload(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let mut options = args::parse(Attribute::Offload, args, &mut errors);
    let function = match item::parse_fn("offload", item.clone()) {
        Ok(function) => function,
        Err(error) => {
            errors.push(error);
            return errors.with_item(item);
        }
    };
    check::check(&function, &options, &mut errors);
    let krate = crate::manifest::runtime_path(Attribute::Offload, &options, &mut errors);
    // `keep` in an impl of a trait is reported alone: the fn is still
    // offloaded (without it), as the trait asks.
    let expand = errors.is_empty();
    item::place_keep(&mut options, &function.sig, &mut errors);
    match (&options.kind, &function.body) {
        (Some((kind, _)), Ok(body)) if expand => {
            let mut expanded = expand::expand(*kind, &options, &krate, &function, body);
            expanded.extend(errors.to_compile_errors());
            expanded
        }
        // Emitted without the attributes that would only add knock-on
        // errors: `#[blocking]`, and a second `#[offload]`.
        _ => errors.with_item(item::without_attributes(function, &["blocking", "offload"])),
    }
}
