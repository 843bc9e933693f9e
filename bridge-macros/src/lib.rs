//! Attribute macros of bridge. Depend on `bridge-runtime`, which re-exports
//! them with their documentation; this crate alone is not usable.
#![forbid(unsafe_code)]

mod args;
mod blocking;
mod errors;
mod item;
mod manifest;
mod nonblocking;
mod offload;
#[cfg(test)]
mod robustness;

use proc_macro::TokenStream;

/// Turns a blocking `fn` into an `async fn` whose body runs on a thread pool.
/// Documented in `bridge-runtime`.
#[proc_macro_attribute]
pub fn offload(args: TokenStream, item: TokenStream) -> TokenStream {
    offload::offload(args.into(), item.into()).into()
}

/// Turns an `async fn` into a blocking `fn` that is safe to call from any
/// context. Documented in `bridge-runtime`.
#[proc_macro_attribute]
pub fn blocking(args: TokenStream, item: TokenStream) -> TokenStream {
    blocking::blocking(args.into(), item.into()).into()
}

/// Rejects blocking calls inside async code at compile time. Documented in
/// `bridge-runtime`.
#[proc_macro_attribute]
pub fn nonblocking(args: TokenStream, item: TokenStream) -> TokenStream {
    nonblocking::nonblocking(args.into(), item.into()).into()
}

/// Checks every async body of a package at compile time of a test.
/// Documented in `bridge-runtime`.
#[proc_macro]
pub fn nonblocking_crate(input: TokenStream) -> TokenStream {
    nonblocking::nonblocking_crate(input.into()).into()
}

/// Lets a fn, an `impl`, a `trait` or a `mod` through the blocking checks;
/// alone, it changes nothing. Documented in `bridge-runtime`.
#[proc_macro_attribute]
pub fn allow_blocking(args: TokenStream, item: TokenStream) -> TokenStream {
    nonblocking::allow_blocking(args.into(), item.into()).into()
}
