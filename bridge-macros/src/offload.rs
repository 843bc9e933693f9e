//! `#[offload(io | cpu, pool = P, keep = NAME, crate = PATH)]`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{FnArg, GenericParam, Ident, Pat, Path, ReturnType, Signature, Token, Type};

use crate::args::{self, attribute_span};
use crate::errors::Errors;
use crate::item::{self, FnItem};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Io,
    Cpu,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Io => "io",
            Kind::Cpu => "cpu",
        }
    }
}

#[derive(Default)]
struct Options {
    kind: Option<(Kind, Span)>,
    pool: Option<Path>,
    keep: Option<Ident>,
    krate: Option<Path>,
    buffer: Option<(Ident, syn::LitInt)>,
}

impl Options {
    fn parse(tokens: TokenStream, errors: &mut Errors) -> Options {
        let mut options = Options::default();
        let mut seen_bare_word = false;
        let mut unknown_words: Vec<Ident> = Vec::new();
        for arg in args::split("offload", tokens, errors) {
            let key = arg.key.to_string();
            match (key.as_str(), arg.value) {
                ("io" | "cpu", None) => {
                    let kind = if key == "io" { Kind::Io } else { Kind::Cpu };
                    match options.kind {
                        Some((first, _)) if first == kind => errors.at(
                            &arg.key,
                            format!("`{key}` is given twice; keep one"),
                        ),
                        Some((first, _)) => errors.at(
                            &arg.key,
                            format!(
                                "`#[offload]` takes one kind and `{}` is already given: choose `io` or `cpu`",
                                first.name()
                            ),
                        ),
                        None => options.kind = Some((kind, arg.key.span())),
                    }
                    seen_bare_word = true;
                }
                ("io" | "cpu", Some(value)) => {
                    errors.at(
                        &value,
                        format!("`{key}` is a kind and takes no value: write `#[offload({key})]`"),
                    );
                    // The kind is given, just misspelled: no "needs a kind" on top.
                    seen_bare_word = true;
                }
                ("pool", Some(value)) => args::set_value(
                    &mut options.pool,
                    &arg.key,
                    value,
                    "the name of a `static IoPool` or `static CpuPool`",
                    errors,
                ),
                ("keep", Some(value)) => args::set_value(
                    &mut options.keep,
                    &arg.key,
                    value,
                    "the name under which the blocking original stays callable",
                    errors,
                ),
                ("crate", Some(value)) => args::set_value(
                    &mut options.krate,
                    &arg.key,
                    value,
                    "the path of the `bridge_runtime` crate",
                    errors,
                ),
                ("buffer", Some(value)) => match syn::parse2::<syn::LitInt>(value.clone()) {
                    Ok(lit) if lit.base10_parse::<usize>().is_ok_and(|n| n > 0) => {
                        args::set_once(&mut options.buffer, &arg.key, (arg.key.clone(), lit), errors);
                    }
                    _ => errors.at(
                        &value,
                        "`buffer` takes the number of items that may wait between the iterator and the stream, at least 1, like `buffer = 64`",
                    ),
                },
                ("pool" | "keep" | "crate" | "buffer", None) => errors.at(
                    &arg.key,
                    match key.as_str() {
                        "pool" => "`pool` needs a value: `pool = NAME`, with the name of a `static` pool".to_owned(),
                        "keep" => "`keep` needs a value: `keep = NAME`, with the name for the blocking original".to_owned(),
                        "buffer" => "`buffer` needs a value: `buffer = N`, with the number of items that may wait".to_owned(),
                        _ => "`crate` needs a value: `crate = PATH`, with the path of `bridge_runtime`".to_owned(),
                    },
                ),
                (_, None) => unknown_words.push(arg.key),
                (_, _) => errors.at(
                    &arg.key,
                    format!(
                        "unknown option `{key}`: `#[offload]` takes `pool = NAME`, `keep = NAME`, `buffer = N` and `crate = PATH`"
                    ),
                ),
            }
        }
        // An unknown bare word is taken for a misspelled kind only when no
        // kind is given; next to a kind it is an unknown option.
        for (index, word) in unknown_words.iter().enumerate() {
            if index == 0 && options.kind.is_none() && !seen_bare_word {
                seen_bare_word = true;
                errors.at(word, format!("unknown kind `{word}`: write `io` for blocking I/O or `cpu` for CPU-heavy work"));
            } else {
                errors.at(word, format!("unknown option `{word}`: `#[offload]` takes `pool = NAME`, `keep = NAME`, `buffer = N` and `crate = PATH`"));
            }
        }
        if options.kind.is_none() && !seen_bare_word {
            errors.span(
                attribute_span(),
                "`#[offload]` needs a kind: `#[offload(io)]` for blocking I/O, `#[offload(cpu)]` for CPU-heavy work",
            );
        }
        options
    }
}

pub(crate) fn offload(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let options = Options::parse(args, &mut errors);
    let function = match item::parse_fn("offload", item.clone()) {
        Ok(function) => function,
        Err(error) => {
            errors.push(error);
            return errors.with_item(item);
        }
    };
    check(&function, &options, &mut errors);
    match (&options.kind, &function.body) {
        (Some((kind, _)), Ok(body)) if errors.is_empty() => {
            expand(*kind, &options, function.clone_parts(), body)
        }
        // Emitted without `#[blocking]`, which would only add a knock-on error.
        _ => errors.with_item(item::without_attribute(function, "blocking")),
    }
}

const OWN: &str = "`#[offload]` runs the body on another thread, so it must own its arguments";

fn check(function: &FnItem, options: &Options, errors: &mut Errors) {
    let sig = &function.sig;
    if let Some(asyncness) = &sig.asyncness {
        errors.at(
            asyncness,
            "this fn is already `async`; `#[offload]` turns a blocking `fn` into an `async fn`: remove `async` (to call async code from sync code, use `#[blocking]`)",
        );
    }
    if let Some(blocking) = item::find_attribute(&function.attrs, "blocking") {
        errors.at(
            blocking,
            "`#[offload]` and `#[blocking]` do opposite things and cannot be combined: `#[offload]` makes a blocking fn async, `#[blocking]` makes an async fn blocking",
        );
    }
    if let Some(constness) = &sig.constness {
        errors.at(
            constness,
            "a `const fn` cannot be offloaded, since an `async fn` cannot be `const`: remove `const`, or keep it and offload a separate fn that calls it",
        );
    }
    if let Some(abi) = &sig.abi {
        errors.at(
            abi,
            "an `extern` fn cannot become an `async fn`: offload a plain Rust `fn` that calls it",
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(variadic, "a variadic fn cannot be offloaded");
    }
    for param in &sig.generics.params {
        if let GenericParam::Lifetime(lifetime) = param {
            // An argument that borrows for it is reported at the argument
            // (by `check_arg` / `check_receiver`, whenever `first_borrow`
            // finds something), with the owned type to take: one error for
            // one mistake.
            let reported_at_argument = sig.inputs.iter().any(|input| {
                let ty = match input {
                    FnArg::Typed(typed) => &typed.ty,
                    FnArg::Receiver(receiver) => &receiver.ty,
                };
                first_borrow(ty).is_some() && mentions_lifetime(ty, &lifetime.lifetime)
            });
            if reported_at_argument {
                continue;
            }
            let name = &lifetime.lifetime;
            let message = match &sig.output {
                ReturnType::Type(_, ty) if mentions_lifetime(ty, name) => format!(
                    "`#[offload]` sends the result back from another thread, so it must own its data, and lifetime `{name}` lets it borrow: remove it and return an owned type"
                ),
                _ => format!(
                    "{OWN}, and lifetime `{name}` lets them borrow: remove it and take owned types"
                ),
            };
            errors.at(name, message);
        }
    }
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => check_receiver(receiver, errors),
            FnArg::Typed(typed) => check_arg(&typed.pat, &typed.ty, errors),
        }
    }
    if let Err(semi) = &function.body {
        errors.at(
            semi,
            "`#[offload]` needs the fn's body; in a trait, declare `async fn` and put `#[offload]` on the fn of each impl",
        );
    }
    if let Some((key, _)) = &options.buffer {
        let is_iterator =
            matches!(&sig.output, ReturnType::Type(_, ty) if iterator_item(ty).is_some());
        if !is_iterator {
            errors.at(
                key,
                "`buffer` only applies to a fn returning `impl Iterator<Item = T>`, which becomes a stream; remove it",
            );
        }
    }
    if let Some(keep) = &options.keep
        && *keep == sig.ident
    {
        errors.at(
            keep,
            format!(
                "`keep = {keep}` is the fn's own name, which the async version takes: choose another, like `keep = {keep}_blocking`"
            ),
        );
    }
}

fn check_receiver(receiver: &syn::Receiver, errors: &mut Errors) {
    if receiver.colon_token.is_none() {
        if let Some((_, _)) = &receiver.reference {
            let mutability = if receiver.mutability.is_some() {
                "mut "
            } else {
                ""
            };
            errors.at(
                receiver,
                format!(
                    "`#[offload]` runs the body on another thread, so it must own `self`; `&{mutability}self` is borrowed\n  help: take `self`, or `self: Arc<Self>` to share it"
                ),
            );
        }
    } else if let Some(borrow) = first_borrow(&receiver.ty) {
        errors.at(
            borrow.tokens(),
            format!(
                "`#[offload]` runs the body on another thread, so it must own `self`; `self: {}` is borrowed\n  help: take `self`, or `self: Arc<Self>` to share it",
                tokens(&receiver.ty)
            ),
        );
    }
}

fn check_arg(pat: &Pat, ty: &Type, errors: &mut Errors) {
    let Some(borrow) = first_borrow(ty) else {
        return;
    };
    match borrow {
        Borrow::Reference(reference) => {
            let top_level = matches!(ty, Type::Reference(r) if std::ptr::eq(r, reference));
            let shown = if top_level {
                format!("`{}: {}` is borrowed", tokens(pat), tokens(ty))
            } else {
                format!(
                    "`{}` in `{}: {}` is borrowed",
                    tokens(reference),
                    tokens(pat),
                    tokens(ty)
                )
            };
            errors.at(
                reference,
                format!("{OWN}; {shown}\n  help: take {} instead", owned_hint(reference)),
            );
        }
        Borrow::Lifetime(lifetime) => errors.at(
            lifetime,
            format!(
                "{OWN}; `{}: {}` borrows for `{lifetime}`\n  help: take an owned type, or one that borrows for `'static`",
                tokens(pat),
                tokens(ty)
            ),
        ),
        Borrow::ImplTrait(bounds) => {
            let has_send = bounds.bounds.iter().any(|b| {
                matches!(b, syn::TypeParamBound::Trait(t) if t.path.segments.last().is_some_and(|s| s.ident == "Send"))
            });
            let add = if has_send { "+ 'static" } else { "+ Send + 'static" };
            errors.at(
                bounds,
                format!(
                    "{OWN}; `{}: {}` may borrow\n  help: add `{add}` to its bounds",
                    tokens(pat),
                    tokens(ty)
                ),
            );
        }
    }
}

/// The owned type to suggest in place of a reference.
fn owned_hint(reference: &syn::TypeReference) -> String {
    let inner = &*reference.elem;
    let named = |name: &str| matches!(inner, Type::Path(p) if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == name && s.arguments.is_empty()));
    if named("str") {
        "`String`".into()
    } else if named("Path") {
        "`PathBuf`".into()
    } else if named("OsStr") {
        "`OsString`".into()
    } else if named("CStr") {
        "`CString`".into()
    } else if let Type::Slice(slice) = inner {
        format!("`Vec<{}>`", tokens(&slice.elem))
    } else if let Type::TraitObject(object) = inner {
        let has_send = object.bounds.iter().any(|b| matches!(b, syn::TypeParamBound::Trait(t) if t.path.segments.last().is_some_and(|s| s.ident == "Send")));
        format!(
            "`Box<dyn {}{}>`",
            tokens(&object.bounds),
            if has_send { "" } else { " + Send" }
        )
    } else {
        format!(
            "`{}` (or `Arc<{}>` to share it)",
            tokens(inner),
            tokens(inner)
        )
    }
}

enum Borrow<'a> {
    Reference(&'a syn::TypeReference),
    Lifetime(&'a syn::Lifetime),
    ImplTrait(&'a syn::TypeImplTrait),
}

impl Borrow<'_> {
    fn tokens(&self) -> TokenStream {
        match self {
            Borrow::Reference(r) => r.to_token_stream(),
            Borrow::Lifetime(l) => l.to_token_stream(),
            Borrow::ImplTrait(i) => i.to_token_stream(),
        }
    }
}

/// The first place where `ty` borrows: a reference, a non-`'static`
/// lifetime, or an `impl Trait` not bounded by `'static`.
fn first_borrow(ty: &Type) -> Option<Borrow<'_>> {
    struct Finder<'a> {
        found: Option<Borrow<'a>>,
    }
    impl<'a> Visit<'a> for Finder<'a> {
        fn visit_type_reference(&mut self, reference: &'a syn::TypeReference) {
            let is_static = reference
                .lifetime
                .as_ref()
                .is_some_and(|l| l.ident == "static");
            if self.found.is_none() && !is_static {
                self.found = Some(Borrow::Reference(reference));
            }
            syn::visit::visit_type_reference(self, reference);
        }
        fn visit_lifetime(&mut self, lifetime: &'a syn::Lifetime) {
            if self.found.is_none() && lifetime.ident != "static" {
                self.found = Some(Borrow::Lifetime(lifetime));
            }
        }
        fn visit_type_impl_trait(&mut self, it: &'a syn::TypeImplTrait) {
            let is_static = it
                .bounds
                .iter()
                .any(|b| matches!(b, syn::TypeParamBound::Lifetime(l) if l.ident == "static"));
            if self.found.is_none() && !is_static {
                self.found = Some(Borrow::ImplTrait(it));
            }
            syn::visit::visit_type_impl_trait(self, it);
        }
        fn visit_type_bare_fn(&mut self, _: &'a syn::TypeBareFn) {
            // `fn(&str) -> usize` owns nothing borrowed: its lifetimes are
            // higher-ranked.
        }
        fn visit_trait_bound(&mut self, bound: &'a syn::TraitBound) {
            // `Box<dyn Fn(&str) + Send>`: a reference in a bound's arguments is higher-ranked too.
            if bound.lifetimes.is_none() {
                for segment in &bound.path.segments {
                    if let syn::PathArguments::AngleBracketed(args) = &segment.arguments {
                        syn::visit::visit_angle_bracketed_generic_arguments(self, args);
                    }
                }
            }
        }
    }
    let mut finder = Finder { found: None };
    finder.visit_type(ty);
    finder.found
}

fn tokens<T: ToTokens>(t: &T) -> String {
    let text = t.to_token_stream().to_string();
    // `& Path` → `&Path`, `Vec < u8 >` → `Vec<u8>`: the way people write types.
    text.replace("& ", "&")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" [", "[")
        .replace("[ ", "[")
        .replace(" ]", "]")
        .replace("' ", "'")
}

/// The parts of the fn the expansion consumes.
struct Parts {
    attrs: Vec<syn::Attribute>,
    vis: syn::Visibility,
    sig: Signature,
}

impl FnItem {
    fn clone_parts(&self) -> Parts {
        Parts {
            attrs: self.attrs.clone(),
            vis: self.vis.clone(),
            sig: self.sig.clone(),
        }
    }
}

fn expand(kind: Kind, options: &Options, parts: Parts, body: &syn::Block) -> TokenStream {
    let Parts { attrs, vis, sig } = parts;
    let krate = options
        .krate
        .as_ref()
        .map_or_else(|| quote!(::bridge_runtime), ToTokens::to_token_stream);
    let private = quote!(#krate::__private);
    let pool = match (&options.pool, kind) {
        (Some(pool), Kind::Io) => quote_spanned!(pool.span()=> #private::io_pool(&#pool)),
        (Some(pool), Kind::Cpu) => quote_spanned!(pool.span()=> #private::cpu_pool(&#pool)),
        (None, Kind::Io) => quote!(#krate::IoPool::global()),
        (None, Kind::Cpu) => quote!(#krate::CpuPool::global()),
    };
    let runner = match kind {
        Kind::Io => quote!(#private::io),
        Kind::Cpu => quote!(#private::cpu),
    };
    let what = item::qualified_name(&sig);
    if let ReturnType::Type(arrow, ty) = &sig.output
        && let Some(item_args) = iterator_item(ty)
    {
        let buffer = options.buffer.as_ref().map_or_else(
            || quote!(#krate::DEFAULT_BUFFER),
            |(_, lit)| lit.to_token_stream(),
        );
        let runner = match kind {
            Kind::Io => quote!(#private::io_iter),
            Kind::Cpu => quote!(#private::cpu_iter),
        };
        let mut stream_sig = sig.clone();
        stream_sig.output = ReturnType::Type(
            *arrow,
            Box::new(syn::parse_quote!(
                impl #private::Stream #item_args + ::core::marker::Send + 'static
            )),
        );
        let (closure, kept) =
            keep_or_body(options, &attrs, &vis, &sig, &mut stream_sig, body, false);
        return quote! {
            #kept
            #(#attrs)*
            #vis #stream_sig {
                #runner(#pool, #what, #buffer, #closure)
            }
        };
    }

    let mut async_sig = sig.clone();
    // `async` where `fn` was, so errors about the future underline the fn.
    async_sig.asyncness = Some(Token![async](sig.fn_token.span));

    let (closure, kept) = keep_or_body(options, &attrs, &vis, &sig, &mut async_sig, body, true);

    let asserts = send_asserts(&sig, &private);
    // The runner's `R: Send + 'static` bound is the check of the result. The
    // call lends it the span of the return type's first token, so it is
    // reported there, once. (Naming the type in a turbofish would underline
    // it whole, but rustc then reports the bound twice.)
    let call = match &sig.output {
        ReturnType::Type(_, ty) => {
            let first = item::first_span(ty);
            let mut call = respan_shallow(runner.clone(), first);
            let mut args = proc_macro2::Group::new(
                proc_macro2::Delimiter::Parenthesis,
                quote!(#pool, #what, #closure),
            );
            args.set_span(first);
            call.extend([proc_macro2::TokenTree::Group(args)]);
            call.extend(respan_shallow(quote!(.await), first));
            call
        }
        ReturnType::Default => quote!(#runner(#pool, #what, #closure).await),
    };
    quote! {
        #kept
        #(#attrs)*
        #vis #async_sig {
            #asserts
            #call
        }
    }
}

/// Checks, each at the type it is about, that what crosses to the pool's
/// thread is `Send + 'static`: every argument, every type parameter, and the
/// result. Without them rustc reports the failed bound at the attribute.
fn send_asserts(sig: &Signature, private: &TokenStream) -> TokenStream {
    let type_params: Vec<&Ident> = sig.generics.type_params().map(|p| &p.ident).collect();
    // A type that mentions a type parameter is checked at the parameter:
    // one error for one mistake.
    let is_type_param = |ty: &Type| mentions(ty, &type_params);
    let mut asserts = TokenStream::new();
    for param in &type_params {
        asserts.extend(quote_spanned! {param.span()=>
            #private::offloaded_arguments_must_be_send_and_static::<#param>();
        });
    }
    for input in &sig.inputs {
        let ty: Type = match input {
            FnArg::Receiver(receiver) if receiver.reference.is_none() => (*receiver.ty).clone(),
            FnArg::Receiver(_) => continue,
            FnArg::Typed(typed) => (*typed.ty).clone(),
        };
        if item::contains_impl_trait(&ty) {
            // Not nameable: checked through the argument's value, when a
            // plain name binds it (other patterns are left to the runner's
            // bound on the closure).
            if let FnArg::Typed(typed) = input
                && let Pat::Ident(ident) = &*typed.pat
                && ident.by_ref.is_none()
                && ident.subpat.is_none()
            {
                let name = Ident::new(&ident.ident.to_string(), ty.span());
                let private = respan_shallow(private.clone(), ty.span());
                asserts.extend(quote_spanned! {ty.span()=>
                    #private::offloaded_argument_must_be_send_and_static(#private::type_of(&#name));
                });
            }
            continue;
        }
        if is_type_param(&ty) {
            continue; // Checked at the parameter.
        }
        asserts.extend(quote_spanned! {ty.span()=>
            #private::offloaded_arguments_must_be_send_and_static::<#ty>();
        });
    }
    asserts
}

/// The closure to run on the pool, and the kept original if `keep = ` asks
/// for it (then the closure calls it, and `generated`'s arguments get plain
/// names).
fn keep_or_body(
    options: &Options,
    attrs: &[syn::Attribute],
    vis: &syn::Visibility,
    sig: &Signature,
    generated: &mut Signature,
    body: &syn::Block,
    annotate_return: bool,
) -> (TokenStream, Option<TokenStream>) {
    match &options.keep {
        None => {
            let closure = match &sig.output {
                ReturnType::Type(_, ty) if annotate_return && !item::contains_impl_trait(ty) => {
                    quote!(move || -> #ty #body)
                }
                _ => quote!(move || #body),
            };
            (closure, None)
        }
        Some(keep) => {
            let mut sync_sig = sig.clone();
            sync_sig.ident = keep.clone();
            let kept = quote!(#(#attrs)* #vis #sync_sig #body);
            let call_args = item::rename_args(generated);
            let callee = if sig.receiver().is_some() {
                quote!(Self::#keep)
            } else {
                quote!(#keep)
            };
            (quote!(move || #callee(#(#call_args),*)), Some(kept))
        }
    }
}

/// The `<Item = T>` of a return type `impl Iterator<Item = T> + ..`.
fn iterator_item(ty: &Type) -> Option<&syn::PathArguments> {
    let Type::ImplTrait(impl_trait) = ty else {
        return None;
    };
    impl_trait.bounds.iter().find_map(|bound| match bound {
        syn::TypeParamBound::Trait(t) => t
            .path
            .segments
            .last()
            .filter(|s| s.ident == "Iterator")
            .map(|s| &s.arguments),
        _ => None,
    })
}

/// Whether `ty` names one of `params`.
fn mentions(ty: &Type, params: &[&Ident]) -> bool {
    struct Finder<'a> {
        params: &'a [&'a Ident],
        found: bool,
    }
    impl Visit<'_> for Finder<'_> {
        fn visit_path(&mut self, path: &Path) {
            if path
                .segments
                .first()
                .is_some_and(|s| self.params.contains(&&s.ident))
            {
                self.found = true;
            }
            syn::visit::visit_path(self, path);
        }
    }
    let mut finder = Finder {
        params,
        found: false,
    };
    finder.visit_type(ty);
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

fn mentions_lifetime(ty: &Type, lifetime: &syn::Lifetime) -> bool {
    struct Finder<'a>(&'a syn::Lifetime, bool);
    impl Visit<'_> for Finder<'_> {
        fn visit_lifetime(&mut self, l: &syn::Lifetime) {
            self.1 |= l.ident == self.0.ident;
        }
    }
    let mut finder = Finder(lifetime, false);
    finder.visit_type(ty);
    finder.1
}
