//! The arguments of `#[offload(..)]` and `#[blocking(..)]`, read by one
//! parser: `word` or `key = value`, split leniently so that every mistake
//! is reported at its own token, then stored through one setter per key
//! that rejects repeats. Each attribute says which keys it takes.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::{Expr, Ident, LitStr, Path};

use crate::errors::Errors;

/// Which attribute the arguments belong to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attribute {
    Offload,
    Blocking,
}

impl Attribute {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Attribute::Offload => "offload",
            Attribute::Blocking => "blocking",
        }
    }

    /// Every option it takes, as a user writes them.
    fn takes(self) -> &'static str {
        match self {
            Attribute::Offload => {
                "`io` or `cpu`, then `pool = NAME`, `keep = NAME`, `buffer = N` and `crate = PATH`"
            }
            Attribute::Blocking => "`local`, `keep = NAME` and `crate = PATH`",
        }
    }
}

/// `#[offload(io)]` or `#[offload(cpu)]`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Io,
    Cpu,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Io => "io",
            Kind::Cpu => "cpu",
        }
    }
}

/// `keep = name` or `keep = Self::name`.
pub(crate) struct Keep {
    pub(crate) name: Ident,
    /// Reached through `Self::`: written so, or the fn sits in an impl or
    /// a trait (see [`crate::item::place_keep`]).
    pub(crate) via_self: bool,
    /// The value as written, for errors about it.
    pub(crate) written: TokenStream,
}

/// The options of either attribute; each attribute fills only its own.
#[derive(Default)]
pub(crate) struct Options {
    pub(crate) kind: Option<(Kind, Ident)>,
    pub(crate) local: Option<Ident>,
    pub(crate) pool: Option<Path>,
    pub(crate) keep: Option<Keep>,
    pub(crate) krate: Option<Path>,
    /// The `buffer` key and its value, any constant `usize` expression.
    pub(crate) buffer: Option<(Ident, Expr)>,
}

/// Reads the arguments of `attribute`, reporting each mistake at its token.
pub(crate) fn parse(attribute: Attribute, tokens: TokenStream, errors: &mut Errors) -> Options {
    let mut options = Options::default();
    // Bare words that are neither a kind nor `local`; whether each is a
    // misspelled kind or an unknown option depends on the rest.
    let mut unknown_words: Vec<Ident> = Vec::new();
    // A kind was written, even wrongly (`io = 1`): no "needs a kind" on top.
    let mut kind_written = false;
    for Arg { key, value } in split(attribute, tokens, errors) {
        let name = key.to_string();
        match (attribute, name.as_str(), value) {
            (Attribute::Offload, "io" | "cpu", None) => {
                kind_written = true;
                let kind = if name == "io" { Kind::Io } else { Kind::Cpu };
                match &options.kind {
                    Some((first, _)) if *first == kind => {
                        errors.at(&key, format!("`{name}` is given twice; keep one"));
                    }
                    Some((first, _)) => errors.at(
                        &key,
                        format!(
                            "`#[offload]` takes one kind and `{}` is already given: choose `io` or `cpu`",
                            first.name()
                        ),
                    ),
                    None => options.kind = Some((kind, key)),
                }
            }
            (Attribute::Offload, "io" | "cpu", Some(value)) => {
                kind_written = true;
                errors.at(
                    &value,
                    format!("`{name}` is a kind and takes no value: write `#[offload({name})]`"),
                );
            }
            (Attribute::Blocking, "local", None) => {
                let local = key.clone();
                set_once(&mut options.local, &key, local, errors);
            }
            (Attribute::Blocking, "local", Some(value)) => errors.at(
                &value,
                "`local` takes no value: write `#[blocking(local)]`",
            ),
            (Attribute::Blocking, "io" | "cpu", _) => errors.at(
                &key,
                format!(
                    "`{name}` is a kind of `#[offload]`; `#[blocking]` takes {}",
                    attribute.takes()
                ),
            ),
            (Attribute::Offload, "local", _) => errors.at(
                &key,
                "`local` is an option of `#[blocking]`: an offloaded body always runs on another thread, so what crosses must be `Send`",
            ),
            (Attribute::Offload, "pool", Some(value)) => set_value(
                &mut options.pool,
                &key,
                value,
                "the name of a `static IoPool` or `static CpuPool`",
                errors,
            ),
            (_, "keep", Some(value)) => {
                if let Some(keep) = keep_value(attribute, &key, value, errors) {
                    set_once(&mut options.keep, &key, keep, errors);
                }
            }
            (_, "crate", Some(value)) => set_value(
                &mut options.krate,
                &key,
                value,
                "the path of the `bridge_runtime` crate",
                errors,
            ),
            (Attribute::Offload, "buffer", Some(value)) => {
                if let Some(expr) = buffer_value(&value, errors) {
                    let stored = (key.clone(), expr);
                    set_once(&mut options.buffer, &key, stored, errors);
                }
            }
            (Attribute::Offload, "pool" | "buffer", None) | (_, "keep" | "crate", None) => {
                errors.at(&key, needs_value(attribute, &name));
            }
            (_, _, None) => unknown_words.push(key),
            (_, _, Some(_)) => errors.at(
                &key,
                format!(
                    "unknown option `{name}`: `#[{}]` takes {}",
                    attribute.name(),
                    attribute.takes()
                ),
            ),
        }
    }
    // For `#[offload]`, an unknown bare word is taken for a misspelled kind
    // only when no kind is given; next to a kind it is an unknown option.
    for (index, word) in unknown_words.iter().enumerate() {
        if attribute == Attribute::Offload && index == 0 && !kind_written {
            kind_written = true;
            errors.at(
                word,
                format!(
                    "unknown kind `{word}`: write `io` for blocking I/O or `cpu` for CPU-heavy work"
                ),
            );
        } else {
            errors.at(
                word,
                format!(
                    "unknown option `{word}`: `#[{}]` takes {}",
                    attribute.name(),
                    attribute.takes()
                ),
            );
        }
    }
    if attribute == Attribute::Offload && !kind_written {
        errors.span(
            attribute_span(),
            "`#[offload]` needs a kind: `#[offload(io)]` for blocking I/O, `#[offload(cpu)]` for CPU-heavy work",
        );
    }
    options
}

/// One comma-separated argument: `key` or `key = value`.
struct Arg {
    key: Ident,
    value: Option<TokenStream>,
}

/// Splits the arguments at top-level commas. Malformed pieces are reported
/// and skipped, so the well-formed ones are still read.
fn split(attribute: Attribute, tokens: TokenStream, errors: &mut Errors) -> Vec<Arg> {
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
                format!(
                    "expected an option name here: `#[{}]` takes {}",
                    attribute.name(),
                    attribute.takes()
                ),
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

fn needs_value(attribute: Attribute, key: &str) -> String {
    match (attribute, key) {
        (_, "pool") => {
            "`pool` needs a value: `pool = NAME`, with the name of a `static` pool".into()
        }
        (Attribute::Offload, "keep") => {
            "`keep` needs a value: `keep = NAME`, with the name for the blocking original".into()
        }
        (_, "keep") => {
            "`keep` needs a value: `keep = NAME`, with the name for the async original".into()
        }
        (_, "buffer") => {
            "`buffer` needs a value: `buffer = N`, with the number of items that may wait".into()
        }
        _ => "`crate` needs a value: `crate = PATH`, with the path of `bridge_runtime`".into(),
    }
}

/// Stores a value once; a second `key = ..` is an error at its key.
fn set_once<T>(slot: &mut Option<T>, key: &Ident, value: T, errors: &mut Errors) {
    if slot.is_some() {
        errors.at(key, format!("`{key}` is given twice; keep one"));
    } else {
        *slot = Some(value);
    }
}

/// The value of `key = value` as a `T`: a path (`pool = DB`, `crate =
/// my::bridge`). A string or anything else is reported at the value,
/// saying what goes there.
fn value<T: syn::parse::Parse>(
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
fn set_value<T: syn::parse::Parse>(
    slot: &mut Option<T>,
    key: &Ident,
    tokens: TokenStream,
    what: &str,
    errors: &mut Errors,
) {
    if let Some(parsed) = value(key, tokens, what, errors) {
        set_once(slot, key, parsed, errors);
    }
}

/// `keep = name`, or `keep = Self::name` for an associated fn whose
/// signature does not show it is one.
fn keep_value(
    attribute: Attribute,
    key: &Ident,
    tokens: TokenStream,
    errors: &mut Errors,
) -> Option<Keep> {
    let what = match attribute {
        Attribute::Offload => "the name under which the blocking original stays callable",
        Attribute::Blocking => "the name under which the async original stays callable",
    };
    let path: Path = value(key, tokens.clone(), what, errors)?;
    let segments: Vec<&syn::PathSegment> = path.segments.iter().collect();
    let plain = |segment: &syn::PathSegment| segment.arguments.is_none();
    match segments.as_slice() {
        [name] if path.leading_colon.is_none() && plain(name) => Some(Keep {
            name: name.ident.clone(),
            via_self: false,
            written: tokens,
        }),
        [this, name]
            if path.leading_colon.is_none()
                && this.ident == "Self"
                && plain(this)
                && plain(name) =>
        {
            Some(Keep {
                name: name.ident.clone(),
                via_self: true,
                written: tokens,
            })
        }
        _ => {
            errors.at(
                &tokens,
                format!(
                    "`keep` takes {what}: a name, like `keep = {}`, or `keep = Self::{}` in an impl",
                    example(key),
                    example(key)
                ),
            );
            None
        }
    }
}

/// `buffer = N`: any constant `usize` expression. A literal is checked
/// here (at least 1, an integer); anything else by rustc, at the value.
fn buffer_value(tokens: &TokenStream, errors: &mut Errors) -> Option<Expr> {
    const WHAT: &str = "`buffer` takes the number of items that may wait between the iterator and the stream, at least 1, like `buffer = 64`";
    let Ok(expr) = syn::parse2::<Expr>(tokens.clone()) else {
        errors.at(tokens, WHAT);
        return None;
    };
    if let Expr::Lit(syn::ExprLit { lit, .. }) = &expr {
        let ok = match lit {
            syn::Lit::Int(int) => int.base10_parse::<u128>().is_ok_and(|n| n > 0),
            _ => false,
        };
        if !ok {
            errors.at(lit, WHAT);
            return None;
        }
    }
    Some(expr)
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
