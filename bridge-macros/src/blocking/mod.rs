//! `#[blocking(local, keep = NAME, crate = PATH)]`: the arguments (read by
//! [`crate::args`]), the rules ([`check`]) and the expansion ([`expand`]),
//! in that order.

mod check;
mod expand;

use proc_macro2::TokenStream;

use crate::args::{self, Attribute};
use crate::errors::Errors;
use crate::item;

pub(crate) fn blocking(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let mut options = args::parse(Attribute::Blocking, args, &mut errors);
    let mut function = match item::parse_fn("blocking", item.clone()) {
        Ok(function) => function,
        Err(error) => {
            errors.push(error);
            return errors.with_item(item);
        }
    };
    check::check(&function, &options, &mut errors);
    if let Ok(body) = &mut function.body {
        // A `#[blocking]` body is async code too.
        crate::nonblocking::check_async_body(&mut body.block, &mut errors);
    }
    let krate = crate::manifest::runtime_path(Attribute::Blocking, &options, &mut errors);
    // `keep` in an impl of a trait is reported alone: the fn is still made
    // blocking (without it), as the trait asks.
    let expand = errors.is_empty();
    item::place_keep(&mut options, &function.sig, &mut errors);
    match &function.body {
        Ok(body) if expand => {
            let mut expanded = expand::expand(&options, &krate, &function, body);
            expanded.extend(errors.to_compile_errors());
            expanded
        }
        // Emitted without the attributes that would only add knock-on
        // errors: `#[offload]`, and a second `#[blocking]`.
        _ => errors.with_item(item::without_attributes(function, &["offload", "blocking"])),
    }
}
