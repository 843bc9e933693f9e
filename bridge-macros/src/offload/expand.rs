//! The expansion of a checked `#[offload]` fn: an `async fn` (or a fn
//! returning a stream) whose body runs on a pool, with a `Send + 'static`
//! check at each type that crosses, and the blocking original under the
//! `keep` name if asked.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{FnArg, Ident, Pat, Path, ReturnType, Signature, Token, Type};

use super::check::iterator_item;
use crate::args::{Kind, Options};
use crate::item::{self, Body, FnItem};

pub(super) fn expand(
    kind: Kind,
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
    let private = quote!(#krate::__private);
    let pool = match (&options.pool, kind) {
        (Some(pool), Kind::Io) => quote_spanned!(pool.span()=> #private::io_pool(&#pool)),
        (Some(pool), Kind::Cpu) => quote_spanned!(pool.span()=> #private::cpu_pool(&#pool)),
        (None, Kind::Io) => quote!(#krate::IoPool::global()),
        (None, Kind::Cpu) => quote!(#krate::CpuPool::global()),
    };
    let what = item::qualified_name(sig);
    let inner = &body.inner;

    let mut generated = sig.clone();
    let (closure_body, kept) = match &options.keep {
        None => (rebind_args(&mut generated, &body.block), None),
        Some(keep) => {
            // The body stays in the kept fn, which the closure calls.
            let (kept, call) = item::keep_twin(keep, attrs, vis, sig, body, &mut generated);
            (
                quote_spanned!(body.block.brace_token.span.join()=> { #call }),
                Some(kept),
            )
        }
    };

    if let ReturnType::Type(arrow, ty) = &sig.output
        && let Some(item_args) = iterator_item(ty)
    {
        let runner = match kind {
            Kind::Io => quote!(#private::io_iter),
            Kind::Cpu => quote!(#private::cpu_iter),
        };
        let buffer = match &options.buffer {
            None => quote!(#krate::DEFAULT_BUFFER),
            Some((_, expr)) => buffer_size(expr, sig),
        };
        generated.output = ReturnType::Type(
            *arrow,
            Box::new(syn::parse_quote!(
                impl #private::Stream #item_args + ::core::marker::Send + 'static
            )),
        );
        let mut asserts = type_param_check(&mut generated, sig, &private);
        asserts.extend(send_asserts(&generated, &private));
        // The runner's `Item: Send + 'static` bound is the check of the
        // items: at the iterator's type, like a result's.
        let at = item_type(item_args).map_or_else(|| item::first_span(ty), item::first_span);
        let call = spanned_call(
            &runner,
            quote!(#pool, #what, #buffer, move || #closure_body),
            at,
            false,
        );
        let block = item::in_body_braces(body, quote!(#(#inner)* #asserts #call));
        return quote! {
            #kept
            #(#attrs)*
            #vis #generated #block
        };
    }

    let runner = match kind {
        Kind::Io => quote!(#private::io),
        Kind::Cpu => quote!(#private::cpu),
    };
    // `async` where `fn` was, so errors about the future underline the fn.
    generated.asyncness = Some(Token![async](sig.fn_token.span));
    let closure = match &sig.output {
        // The return type guides inference (`?`, `.into()`) in the body.
        ReturnType::Type(_, ty) if options.keep.is_none() && !item::contains_impl_trait(ty) => {
            quote!(move || -> #ty #closure_body)
        }
        _ => quote!(move || #closure_body),
    };
    let mut asserts = type_param_check(&mut generated, sig, &private);
    asserts.extend(send_asserts(&generated, &private));
    // The runner's `R: Send + 'static` bound is the check of the result. The
    // call lends it the span of the return type's first token, so it is
    // reported there, once. (Naming the type in a turbofish would underline
    // it whole, but rustc then reports the bound twice.)
    let call = match &sig.output {
        ReturnType::Type(_, ty) => spanned_call(
            &runner,
            quote!(#pool, #what, #closure),
            item::first_span(ty),
            true,
        ),
        ReturnType::Default => quote!(#runner(#pool, #what, #closure).await),
    };
    let block = item::in_body_braces(body, quote!(#(#inner)* #asserts #call));
    quote! {
        #kept
        #(#attrs)*
        #vis #generated #block
    }
}

/// `runner(args)` (and `.await` if `awaited`), every token of the call at
/// `span`, so the runner's bounds are reported there.
fn spanned_call(runner: &TokenStream, args: TokenStream, span: Span, awaited: bool) -> TokenStream {
    let mut call = respan_shallow(runner.clone(), span);
    let mut args = Group::new(Delimiter::Parenthesis, args);
    args.set_span(span);
    call.extend([TokenTree::Group(args)]);
    if awaited {
        call.extend(respan_shallow(quote!(.await), span));
    }
    call
}

/// `buffer = N` where a `usize` goes. A literal was checked already; any
/// other expression is checked at compile time to be at least 1, at the
/// value. In a free fn, with an expression that names none of the fn's
/// generic parameters, by a `const` item, which every build evaluates,
/// `cargo check` too. Otherwise the expression may name generic
/// parameters (`buffer = B` with `<const B: usize>`, or a const parameter
/// of the impl, which the macro does not see), which a `const` item cannot:
/// then by an inline `const` block in the body, evaluated for each use of
/// the fn when it is compiled to code (by `cargo build`, not `cargo check`).
fn buffer_size(expr: &syn::Expr, sig: &Signature) -> TokenStream {
    if matches!(expr, syn::Expr::Lit(_)) {
        return expr.to_token_stream();
    }
    let span = item::first_span(expr);
    let message = "`buffer` is the number of items that may wait between the iterator and the stream, and must be at least 1";
    let free = matches!(
        crate::nonblocking::fn_place(&sig.ident),
        Some(crate::nonblocking::FnPlace::Free)
    );
    let params: Vec<&Ident> = sig
        .generics
        .params
        .iter()
        .filter_map(|param| match param {
            syn::GenericParam::Type(t) => Some(&t.ident),
            syn::GenericParam::Const(c) => Some(&c.ident),
            syn::GenericParam::Lifetime(_) => None,
        })
        .collect();
    let check = if free && !expr_mentions(expr, &params) {
        quote_spanned! {span=>
            const _: () = ::core::assert!((#expr) > 0, #message);
        }
    } else {
        quote_spanned! {span=>
            const {
                ::core::assert!((#expr) > 0, #message);
            }
        }
    };
    quote_spanned! {span=>
        {
            #check
            #expr
        }
    }
}

/// Every argument crosses to the pool's thread, the ones the body never
/// names (`_permit`, `_`) too, and is dropped there when the body ends, as
/// a plain fn's parameters are: after the body's locals, the last
/// parameter first. So the `async fn` gives each argument a plain name
/// that user code cannot see, and the closure binds the user's pattern to
/// it before the statements, which follow in a block of their own. An
/// argument whose pattern may leave part of it unbound (`_`, `(a, _)`) is
/// first moved into the closure whole, and what is left of it is dropped
/// in its place. A `self` receiver is moved in as well. Returns the
/// closure's body.
fn rebind_args(sig: &mut Signature, block: &syn::Block) -> TokenStream {
    let mut bindings = TokenStream::new();
    for (index, input) in sig.inputs.iter_mut().enumerate() {
        let typed = match input {
            FnArg::Receiver(receiver) => {
                // `self` cannot be bound again; naming it (in a `move`
                // closure) is what moves it in. Captured values are dropped
                // after the closure's locals, so `self`, the first
                // parameter, is dropped last, as in a fn.
                let cfgs = item::cfg_attrs(&receiver.attrs);
                receiver.mutability = None;
                let this = &receiver.self_token;
                bindings.extend(quote!(#(#cfgs)* let _ = &#this;));
                continue;
            }
            FnArg::Typed(typed) => typed,
        };
        // The argument's lint attributes go with its pattern, where its
        // bindings are; the signature keeps what decides whether it exists.
        let cfgs = item::cfg_attrs(&typed.attrs);
        let attrs = std::mem::replace(&mut typed.attrs, cfgs.clone());
        let whole = match &*typed.pat {
            Pat::Ident(ident) if ident.subpat.is_none() => Ident::new(
                &ident.ident.to_string(),
                ident.ident.span().resolved_at(Span::mixed_site()),
            ),
            _ => item::arg_name(index),
        };
        let pattern = std::mem::replace(&mut *typed.pat, syn::parse_quote!(#whole));
        match &pattern {
            Pat::Ident(ident) if ident.by_ref.is_none() && ident.subpat.is_none() => {
                bindings.extend(quote!(#(#attrs)* let #pattern = #whole;));
            }
            Pat::Wild(_) => bindings.extend(quote!(#(#cfgs)* let #whole = #whole;)),
            _ => {
                let moved = if binds_mut_ref(&pattern) {
                    quote!(mut #whole)
                } else {
                    quote!(#whole)
                };
                bindings.extend(quote! {
                    #(#cfgs)* let #moved = #whole;
                    #(#attrs)* let #pattern = #whole;
                });
            }
        }
    }
    let stmts = &block.stmts;
    let span = block.brace_token.span.join();
    let mut statements = Group::new(Delimiter::Brace, quote!(#(#stmts)*));
    statements.set_span(span);
    let mut group = Group::new(Delimiter::Brace, quote!(#bindings #statements));
    group.set_span(span);
    TokenTree::Group(group).into_token_stream()
}

fn binds_mut_ref(pat: &Pat) -> bool {
    struct Finder(bool);
    impl Visit<'_> for Finder {
        fn visit_pat_ident(&mut self, ident: &syn::PatIdent) {
            self.0 |= ident.by_ref.is_some() && ident.mutability.is_some();
            syn::visit::visit_pat_ident(self, ident);
        }
    }
    let mut finder = Finder(false);
    finder.visit_pat(pat);
    finder.0
}

/// Checks, each at the type it is about, that what crosses to the pool's
/// thread is `Send + 'static`: every argument, every type parameter, and
/// (through the runner's bound) the result. Without them rustc reports the
/// failed bound at the attribute. An argument removed by `cfg` is not
/// checked. They sit in the generated fn's body, where its generics are in
/// scope, bounded `Send + 'static` by [`type_param_check`]: an argument
/// type that mentions a type parameter (`Rc<Vec<T>>`, `I::Item`) is
/// reported at the type when it fails for a reason of its own, and one
/// that fails only because of a parameter is not (the parameter is).
fn send_asserts(sig: &Signature, private: &TokenStream) -> TokenStream {
    let mut asserts = TokenStream::new();
    for input in &sig.inputs {
        let (attrs, ty) = match input {
            FnArg::Receiver(receiver) if receiver.reference.is_none() => {
                (&receiver.attrs, &*receiver.ty)
            }
            FnArg::Receiver(_) => continue,
            FnArg::Typed(typed) => (&typed.attrs, &*typed.ty),
        };
        let cfgs = item::cfg_attrs(attrs);
        if item::contains_impl_trait(ty) {
            // Not nameable: checked through the argument's value, which
            // `rebind_args` gave a plain name.
            if let FnArg::Typed(typed) = input
                && let Pat::Ident(ident) = &*typed.pat
                && ident.by_ref.is_none()
                && ident.subpat.is_none()
            {
                let span = impl_trait_span(ty);
                let name = Ident::new(
                    &ident.ident.to_string(),
                    ident.ident.span().located_at(span),
                );
                let private = respan_shallow(private.clone(), span);
                asserts.extend(quote_spanned! {span=>
                    #(#cfgs)*
                    #private::offloaded_argument_must_be_send_and_static(#private::type_of(&#name));
                });
            }
            continue;
        }
        let span = ty.span();
        let private = respan_shallow(private.clone(), span);
        asserts.extend(quote_spanned! {span=>
            #(#cfgs)*
            #private::offloaded_arguments_must_be_send_and_static::<#ty>();
        });
    }
    asserts
}

/// The fn's own type parameters cross to the pool's thread with the
/// arguments, so they must be `Send + 'static`. The generated fn says so
/// in its `where` clause (what its body needs, so nothing in it fails), and
/// a nested fn with the parameters as the user bounded them checks them,
/// each at the parameter: one error for one missing bound, however many
/// arguments and results mention it.
fn type_param_check(
    generated: &mut Signature,
    original: &Signature,
    private: &TokenStream,
) -> TokenStream {
    let statics = super::check::static_lifetimes(original);
    let params: Vec<&syn::TypeParam> = original.generics.type_params().collect();
    if params.is_empty() {
        return TokenStream::new();
    }
    // Next to the user's own bounds of each parameter, inline or in the
    // `where` clause, so lints about bounds in two places stay quiet.
    for param in &params {
        let name = &param.ident;
        let in_where = original.generics.where_clause.as_ref().is_some_and(|clause| {
            clause.predicates.iter().any(|p| {
                matches!(p, syn::WherePredicate::Type(p) if matches!(&p.bounded_ty, Type::Path(t) if t.qself.is_none() && t.path.is_ident(name)))
            })
        });
        if in_where {
            generated
                .generics
                .make_where_clause()
                .predicates
                .push(syn::parse_quote!(#name: ::core::marker::Send + 'static));
        } else if let Some(generated_param) = generated
            .generics
            .type_params_mut()
            .find(|p| p.ident == *name)
        {
            if generated_param.colon_token.is_none() {
                generated_param.colon_token = Some(Token![:](name.span()));
            }
            generated_param
                .bounds
                .push(syn::parse_quote!(::core::marker::Send));
            generated_param.bounds.push(syn::parse_quote!('static));
        }
    }
    let mut declared = Vec::new();
    let mut asserts = TokenStream::new();
    for param in &params {
        let name = &param.ident;
        let mut bounds = portable_bounds(&param.bounds, &statics);
        if let Some(clause) = &original.generics.where_clause {
            for predicate in &clause.predicates {
                if let syn::WherePredicate::Type(p) = predicate {
                    let is_param = matches!(&p.bounded_ty, Type::Path(t) if t.qself.is_none() && t.path.is_ident(name));
                    if is_param && p.lifetimes.is_none() {
                        bounds.extend(portable_bounds(&p.bounds, &statics));
                    }
                }
            }
        }
        declared.push(quote!(#name: #(#bounds)+*));
        let span = name.span();
        let private = respan_shallow(private.clone(), span);
        asserts.extend(quote_spanned! {span=>
            #private::offloaded_arguments_must_be_send_and_static::<#name>();
        });
    }
    let check = Ident::new("__bridge_type_parameters", Span::mixed_site());
    quote! {
        #[allow(dead_code, clippy::extra_unused_type_parameters)]
        fn #check<#(#declared),*>() {
            #asserts
        }
    }
}

/// The bounds a nested fn can repeat: `'static` (or a lifetime bounded by
/// it), and traits named without generic arguments, which resolve there as
/// in the signature. Others (which may name the impl's parameters or
/// `Self`) are left out; only a generic trait with a `Send` or `'static`
/// supertrait would be missed.
fn portable_bounds(
    bounds: &syn::punctuated::Punctuated<syn::TypeParamBound, Token![+]>,
    statics: &[syn::Lifetime],
) -> Vec<TokenStream> {
    bounds
        .iter()
        .filter_map(|bound| match bound {
            syn::TypeParamBound::Lifetime(l) if l.ident == "static" || statics.contains(l) => {
                Some(quote!('static))
            }
            syn::TypeParamBound::Trait(t)
                if t.lifetimes.is_none()
                    && matches!(t.modifier, syn::TraitBoundModifier::None)
                    && t.path.segments.iter().all(|s| s.arguments.is_none())
                    && t.path.segments.first().is_none_or(|s| s.ident != "Self") =>
            {
                Some(t.to_token_stream())
            }
            _ => None,
        })
        .collect()
}

/// `T` in `<Item = T>`.
fn item_type(args: &syn::PathArguments) -> Option<&Type> {
    let syn::PathArguments::AngleBracketed(args) = args else {
        return None;
    };
    args.args.iter().find_map(|arg| match arg {
        syn::GenericArgument::AssocType(assoc) if assoc.ident == "Item" => Some(&assoc.ty),
        _ => None,
    })
}

/// Where an `impl Trait` inside a type starts.
fn impl_trait_span(ty: &Type) -> Span {
    struct Finder(Option<Span>);
    impl Visit<'_> for Finder {
        fn visit_type_impl_trait(&mut self, it: &syn::TypeImplTrait) {
            if self.0.is_none() {
                self.0 = Some(it.impl_token.span);
            }
        }
    }
    let mut finder = Finder(None);
    finder.visit_type(ty);
    finder.0.unwrap_or_else(|| ty.span())
}

/// Whether `expr` names one of `params` (or `Self`), as the first segment
/// of a path.
fn expr_mentions(expr: &syn::Expr, params: &[&Ident]) -> bool {
    struct Finder<'a> {
        params: &'a [&'a Ident],
        found: bool,
    }
    impl Visit<'_> for Finder<'_> {
        fn visit_path(&mut self, path: &Path) {
            if path
                .segments
                .first()
                .is_some_and(|s| s.ident == "Self" || self.params.contains(&&s.ident))
            {
                self.found = true;
            }
            syn::visit::visit_path(self, path);
        }
        fn visit_macro(&mut self, _: &syn::Macro) {
            // Unread: a macro may name anything.
            self.found = true;
        }
    }
    let mut finder = Finder {
        params,
        found: false,
    };
    finder.visit_expr(expr);
    finder.found
}

fn respan_shallow(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut t| {
            t.set_span(span);
            t
        })
        .collect()
}
