//! Attribute arguments: `kind, key = value, …`, split leniently so that every
//! mistake is reported at its own token, then read through one setter per
//! key that rejects repeats.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::{Ident, LitStr};

use crate::errors::Errors;

/// One comma-separated argument: `key` or `key = value`.
pub(crate) struct Arg {
    pub(crate) key: Ident,
    pub(crate) value: Option<TokenStream>,
}

/// Splits the arguments at top-level commas. Malformed pieces are reported
/// and skipped, so the well-formed ones are still read.
pub(crate) fn split(attribute: &str, tokens: TokenStream, errors: &mut Errors) -> Vec<Arg> {
    let mut pieces: Vec<Vec<TokenTree>> = vec![Vec::new()];
    for token in tokens {
        match &token {
            TokenTree::Punct(p) if p.as_char() == ',' => pieces.push(Vec::new()),
            _ => {
                if let Some(last) = pieces.last_mut() {
                    last.push(token);
                }
            }
        }
    }
    let mut args = Vec::new();
    for piece in pieces {
        let mut tokens = piece.into_iter();
        let Some(first) = tokens.next() else { continue };
        let TokenTree::Ident(key) = first else {
            errors.span(
                first.span(),
                format!("expected an option name here, such as {}", hint(attribute)),
            );
            continue;
        };
        match tokens.next() {
            None => args.push(Arg { key, value: None }),
            Some(TokenTree::Punct(eq)) if eq.as_char() == '=' => {
                let value: TokenStream = tokens.collect();
                if value.is_empty() {
                    errors.span(eq.span(), format!("`{key} =` needs a value after `=`"));
                } else {
                    args.push(Arg {
                        key,
                        value: Some(value),
                    });
                }
            }
            Some(other) => errors.span(
                other.span(),
                format!("expected `=` or `,` after `{key}`, found `{other}`"),
            ),
        }
    }
    args
}

fn hint(attribute: &str) -> &'static str {
    match attribute {
        "offload" => "`io`, `cpu`, `pool = NAME`, `keep = NAME`, `buffer = N` or `crate = PATH`",
        _ => "`local`, `keep = NAME` or `crate = PATH`",
    }
}

/// Stores a value once; a second `key = ..` is an error at its key.
pub(crate) fn set_once<T>(slot: &mut Option<T>, key: &Ident, value: T, errors: &mut Errors) {
    if slot.is_some() {
        errors.at(key, format!("`{key}` is given twice; keep one"));
    } else {
        *slot = Some(value);
    }
}

/// The value of `key = value` as a `T`: a path (`pool = DB`, `crate =
/// my::bridge`) or a name (`keep = read_blocking`). A string or anything
/// else is reported at the value, saying what goes there.
pub(crate) fn value<T: syn::parse::Parse>(
    key: &Ident,
    value: TokenStream,
    what: &str,
    errors: &mut Errors,
) -> Option<T> {
    if let Ok(lit) = syn::parse2::<LitStr>(value.clone()) {
        errors.at(
            &lit,
            format!(
                "`{key}` takes {what}, not a string: write `{key} = {}`",
                lit.value()
            ),
        );
        return None;
    }
    match syn::parse2::<T>(value.clone()) {
        Ok(parsed) => Some(parsed),
        Err(_) => {
            errors.at(
                &value,
                format!("`{key}` takes {what}, like `{key} = {}`", example(key)),
            );
            None
        }
    }
}

/// Parses `key = value` as a `T` into `slot`, reporting a wrong form or a
/// second occurrence.
pub(crate) fn set_value<T: syn::parse::Parse>(
    slot: &mut Option<T>,
    key: &Ident,
    value: TokenStream,
    what: &str,
    errors: &mut Errors,
) {
    if let Some(parsed) = self::value(key, value, what, errors) {
        set_once(slot, key, parsed, errors);
    }
}

fn example(key: &Ident) -> &'static str {
    match key.to_string().as_str() {
        "pool" => "DB",
        "keep" => "read_sync",
        "crate" => "my_bridge",
        "buffer" => "64",
        _ => "..",
    }
}

/// `Span::call_site()`, named for what it points at: the attribute itself.
pub(crate) fn attribute_span() -> Span {
    Span::call_site()
}
