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
