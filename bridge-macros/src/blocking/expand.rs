//! The expansion of a checked `#[blocking]` fn: a plain `fn` that runs the
//! body's future to completion (or turns its stream into an iterator), and
//! the async original under the `keep` name if asked.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::{Path, ReturnType, Type, TypeParamBound};

use crate::args::Options;
use crate::item::{self, Body, FnItem};

pub(super) fn expand(
    options: &Options,
    krate: &TokenStream,
    function: &FnItem,
    body: &Body,
) -> TokenStream {
    let FnItem { vis, sig, .. } = function;
    let attrs = &match options.keep {
        None => function.attrs.clone(),
        Some(_) => item::attrs_for_twins(&function.attrs),
    };
    // Generated paths sit at the fn's name, so errors about the future (not
    // `Send`, say) are reported there rather than at the attribute.
    let span = sig.ident.span();
    let krate = match &options.krate {
        Some(_) => krate.clone(),
        None => quote_spanned!(span=> ::bridge_runtime),
    };
    let private = quote_spanned!(span=> #krate::__private);
    let what = item::qualified_name(sig);
    let local = options.local.is_some();

    let mut sync_sig = sig.clone();
    sync_sig.asyncness = None;
    let mut stream_item = None;
    let stream_path = match &sig.output {
        ReturnType::Type(arrow, ty) => stream_to_iterator(ty).map(|(iterator, path, item)| {
            sync_sig.output = ReturnType::Type(*arrow, Box::new(iterator));
            stream_item = item;
            path
        }),
        ReturnType::Default => None,
    };
    let stream = stream_path.is_some();
    // Names the user's `Stream` trait, which the signature no longer does.
    let stream_path =
        stream_path.map(|path| quote!(let _ = ::core::marker::PhantomData::<&dyn #path>;));

    // The output type, to guide inference of `?` in the body.
    let output = match &sig.output {
        ReturnType::Type(_, ty) if !item::contains_impl_trait(ty) => ty.to_token_stream(),
        ReturnType::Type(..) => quote!(_),
        ReturnType::Default => quote!(()),
    };

    let (future, kept) = match &options.keep {
        None => {
            let stmts = &body.block.stmts;
            let block = quote_spanned!(body.block.brace_token.span.join()=> { #(#stmts)* });
            (
                quote_spanned!(span=> #private::typed::<#output, _>(async move #block)),
                None,
            )
        }
        Some(keep) => {
            let (kept, call) = item::keep_twin(keep, attrs, vis, sig, body, &mut sync_sig);
            (call, Some(kept))
        }
    };

    // At the fn's name, with call-site hygiene: rustc points a failed bound
    // there only for a span of that kind.
    let future_var = format_ident!("__bridge_future", span = span);
    let run = match (local, stream) {
        (false, false) => quote_spanned!(span=>
            #private::blocking_needs_a_send_future_or_write_blocking_local(#what, #future_var)
        ),
        (true, false) => quote_spanned!(span=> #private::block_on_local(#what, #future_var)),
        (false, true) => {
            // The items' own check, when their type can be named, comes
            // first: its message says what to do (`local`), and rustc then
            // leaves out the same failure found through the stream.
            // At the fn's name like the stream's check, which rustc then
            // recognizes as the same failure.
            let items = stream_item
                .filter(|ty| !item::contains_impl_trait(ty))
                .map(|ty| {
                    let ty = item::respan_deep(ty.into_token_stream(), span);
                    quote_spanned!(span=> #private::blocking_stream_items_must_be_send::<#ty>();)
                });
            quote_spanned!(span=>
                #items
                #private::blocking_without_local_needs_a_send_stream(#what, #future_var)
            )
        }
        (true, true) => quote_spanned!(span=> #private::block_on_stream_local(#what, #future_var)),
    };
    let inner = &body.inner;

    let block = item::in_body_braces(
        body,
        quote! {
            #(#inner)*
            #stream_path
            let #future_var = #future;
            #run
        },
    );
    quote! {
        #kept
        #(#attrs)*
        #vis #sync_sig #block
    }
}

/// `impl Stream<Item = T> + ..` as `impl Iterator<Item = T> + ..`, with the
/// user's `Stream` path (still to be named in the body, so its `use` stays
/// used) and its `Item` type, or `None` if the return type is not an `impl
/// Stream`.
fn stream_to_iterator(ty: &Type) -> Option<(Type, Path, Option<Type>)> {
    let Type::ImplTrait(impl_trait) = ty else {
        return None;
    };
    let mut iterator = impl_trait.clone();
    let mut stream = None;
    let mut item = None;
    for bound in &mut iterator.bounds {
        if let TypeParamBound::Trait(trait_bound) = bound
            && let Some(last) = trait_bound.path.segments.last()
            && last.ident == "Stream"
        {
            let arguments = last.arguments.clone();
            if let syn::PathArguments::AngleBracketed(args) = &arguments {
                for arg in &args.args {
                    if let syn::GenericArgument::AssocType(assoc) = arg
                        && assoc.ident == "Item"
                    {
                        item = Some(assoc.ty.clone());
                    }
                }
            }
            stream = Some(std::mem::replace(
                &mut trait_bound.path,
                syn::parse_quote!(::core::iter::Iterator #arguments),
            ));
        }
    }
    stream.map(|path| (Type::ImplTrait(iterator), path, item))
}
