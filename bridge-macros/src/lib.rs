//! Attribute macros of bridge. Depend on `bridge-runtime`, which re-exports
//! them with their documentation; this crate alone is not usable.
#![forbid(unsafe_code)]

mod args;
mod errors;
mod item;
mod offload;

use proc_macro::TokenStream;

/// Turns a blocking `fn` into an `async fn` whose body runs on a thread pool.
/// Documented in `bridge-runtime`.
#[proc_macro_attribute]
pub fn offload(args: TokenStream, item: TokenStream) -> TokenStream {
    offload::offload(args.into(), item.into()).into()
}
