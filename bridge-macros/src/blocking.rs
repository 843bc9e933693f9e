//! `#[blocking(local, keep = NAME, crate = PATH)]`.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::{Ident, Path, ReturnType, Type, TypeParamBound};

use crate::args;
use crate::errors::Errors;
use crate::item::{self, FnItem};

#[derive(Default)]
struct Options {
    local: Option<Ident>,
    keep: Option<Ident>,
    krate: Option<Path>,
}

impl Options {
    fn parse(tokens: TokenStream, errors: &mut Errors) -> Options {
        let mut options = Options::default();
        for arg in args::split("blocking", tokens, errors) {
            let key = arg.key.to_string();
            match (key.as_str(), arg.value) {
                ("local", None) => {
                    let local = arg.key.clone();
                    args::set_once(&mut options.local, &arg.key, local, errors);
                }
                ("local", Some(value)) => errors.at(
                    &value,
                    "`local` takes no value: write `#[blocking(local)]`",
                ),
                ("keep", Some(value)) => args::set_value(
                    &mut options.keep,
                    &arg.key,
                    value,
                    "the name under which the async original stays callable",
                    errors,
                ),
                ("crate", Some(value)) => args::set_value(
                    &mut options.krate,
                    &arg.key,
                    value,
                    "the path of the `bridge_runtime` crate",
                    errors,
                ),
                ("keep", None) => errors.at(
                    &arg.key,
                    "`keep` needs a value: `keep = NAME` with the name for the async original",
                ),
                ("crate", None) => errors.at(
                    &arg.key,
                    "`crate` needs a value: `crate = PATH` with the path of `bridge_runtime`",
                ),
                ("io" | "cpu", _) => errors.at(
                    &arg.key,
                    format!(
                        "`{key}` is a kind of `#[offload]`; `#[blocking]` takes `local`, `keep = NAME` and `crate = PATH`"
                    ),
                ),
                _ => errors.at(
                    &arg.key,
                    format!(
                        "unknown option `{key}`: `#[blocking]` takes `local`, `keep = NAME` and `crate = PATH`"
                    ),
                ),
            }
        }
        options
    }
}

pub(crate) fn blocking(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let options = Options::parse(args, &mut errors);
    let mut function = match item::parse_fn("blocking", item.clone()) {
        Ok(function) => function,
        Err(error) => {
            errors.push(error);
            return errors.with_item(item);
        }
    };
    check(&function, &options, &mut errors);
    if let Ok(body) = &mut function.body {
        // A `#[blocking]` body is async code too.
        crate::nonblocking::check_async_body(body, &mut errors);
    }
    match &function.body {
        Ok(body) if errors.is_empty() => expand(&options, &function, body),
        // Emitted without `#[offload]`, which would only add a knock-on error.
        _ => errors.with_item(item::without_attribute(function, "offload")),
    }
}

fn check(function: &FnItem, options: &Options, errors: &mut Errors) {
    let sig = &function.sig;
    if sig.asyncness.is_none() {
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
        && *keep == sig.ident
    {
        errors.at(
            keep,
            format!(
                "`keep = {keep}` is the fn's own name, which the blocking version takes: choose another, like `keep = {keep}_async`"
            ),
        );
    }
}

/// `impl Stream<Item = T> + ..` as `impl Iterator<Item = T> + ..`, with the
/// user's `Stream` path (still to be named in the body, so its `use` stays
/// used), or `None` if the return type is not an `impl Stream`.
fn stream_to_iterator(ty: &Type) -> Option<(Type, Path)> {
    let Type::ImplTrait(impl_trait) = ty else {
        return None;
    };
    let mut iterator = impl_trait.clone();
    let mut stream = None;
    for bound in &mut iterator.bounds {
        if let TypeParamBound::Trait(trait_bound) = bound
            && let Some(last) = trait_bound.path.segments.last()
            && last.ident == "Stream"
        {
            let arguments = last.arguments.clone();
            stream = Some(std::mem::replace(
                &mut trait_bound.path,
                syn::parse_quote!(::core::iter::Iterator #arguments),
            ));
        }
    }
    stream.map(|path| (Type::ImplTrait(iterator), path))
}

fn expand(options: &Options, function: &FnItem, body: &syn::Block) -> TokenStream {
    let FnItem {
        attrs, vis, sig, ..
    } = function;
    // Generated paths sit at the fn's name, so errors about the future (not
    // `Send`, say) are reported there rather than at the attribute.
    let span = sig.ident.span();
    let krate = options.krate.as_ref().map_or_else(
        || quote_spanned!(span=> ::bridge_runtime),
        ToTokens::to_token_stream,
    );
    let private = quote_spanned!(span=> #krate::__private);
    let what = item::qualified_name(sig);
    let local = options.local.is_some();

    let mut sync_sig = sig.clone();
    sync_sig.asyncness = None;
    let stream_path = match &sig.output {
        ReturnType::Type(arrow, ty) => stream_to_iterator(ty).map(|(iterator, path)| {
            sync_sig.output = ReturnType::Type(*arrow, Box::new(iterator));
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
        None => (
            quote_spanned!(span=> #private::typed::<#output, _>(async move #body)),
            None,
        ),
        Some(keep) => {
            let mut async_sig = sig.clone();
            async_sig.ident = keep.clone();
            let kept = quote!(#(#attrs)* #vis #async_sig #body);
            let call_args = item::rename_args(&mut sync_sig);
            let callee = if sig.receiver().is_some() {
                quote!(Self::#keep)
            } else {
                quote!(#keep)
            };
            (quote!(#callee(#(#call_args),*)), Some(kept))
        }
    };

    // At the fn's name, with call-site hygiene: rustc points a failed bound
    // there only for a span of that kind.
    let future_var = format_ident!("__bridge_future", span = span);
    let run = match (local, stream) {
        (false, false) => {
            quote_spanned!(span=> #private::blocking_without_local_needs_a_send_future(#future_var))
        }
        (true, false) => quote_spanned!(span=> #private::block_on_local(#what, #future_var)),
        (false, true) => {
            quote_spanned!(span=> #private::blocking_without_local_needs_a_send_stream(#future_var))
        }
        (true, true) => quote_spanned!(span=> #private::block_on_stream_local(#what, #future_var)),
    };

    quote! {
        #kept
        #(#attrs)*
        #vis #sync_sig {
            #stream_path
            let #future_var = #future;
            #run
        }
    }
}
