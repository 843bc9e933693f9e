//! Collecting every independent mistake of one item before reporting.

use proc_macro2::TokenStream;
use std::fmt::Display;

/// The errors found so far; reported together.
#[derive(Default)]
pub(crate) struct Errors {
    list: Vec<syn::Error>,
}

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        self.list.push(error);
    }

    /// An error spanning `tokens` (its first and last token).
    pub(crate) fn at<T: quote::ToTokens, M: Display>(&mut self, tokens: T, message: M) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    pub(crate) fn span<M: Display>(&mut self, span: proc_macro2::Span, message: M) {
        self.push(syn::Error::new(span, message));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// One `compile_error!` per mistake.
    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.list.iter().map(syn::Error::to_compile_error).collect()
    }

    /// The original item, unchanged, followed by the errors: the rest of the
    /// crate keeps compiling and an IDE keeps working.
    pub(crate) fn with_item(&self, item: TokenStream) -> TokenStream {
        let mut out = item;
        out.extend(self.to_compile_errors());
        out
    }
}
