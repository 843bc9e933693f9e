//! The items the attributes accept: a `fn` with or without a body, read
//! the way rustc reads it (inner attributes in the body included), and the
//! helpers that take one apart for an expansion.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Attribute, Block, FnArg, Pat, Signature, Token, Type, Visibility};

use crate::args::{Keep, Options};
use crate::errors::Errors;
use crate::nonblocking::FnPlace;

/// A function as written: free, associated, or a trait method declaration
/// (no body; always an error, but reported precisely).
pub(crate) struct FnItem {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    pub(crate) body: Result<Body, Token![;]>,
}

/// A body: `{ #![inner] statements }`. The inner attributes are kept apart,
/// since rustc accepts them at the top of a fn body but not in the closure
/// or `async` block an expansion moves the statements into.
pub(crate) struct Body {
    pub(crate) inner: Vec<Attribute>,
    pub(crate) block: Block,
}

impl Parse for FnItem {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let body = if input.peek(Token![;]) {
            Err(input.parse()?)
        } else {
            let content;
            let brace_token = syn::braced!(content in input);
            let inner = content.call(Attribute::parse_inner)?;
            let stmts = content.call(Block::parse_within)?;
            Ok(Body {
                inner,
                block: Block { brace_token, stmts },
            })
        };
        Ok(FnItem {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

impl ToTokens for Body {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.block.brace_token.surround(tokens, |tokens| {
            for attribute in &self.inner {
                attribute.to_tokens(tokens);
            }
            for stmt in &self.block.stmts {
                stmt.to_tokens(tokens);
            }
        });
    }
}

impl ToTokens for FnItem {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let FnItem {
            attrs,
            vis,
            sig,
            body,
        } = self;
        tokens.extend(quote!(#(#attrs)* #vis #sig));
        match body {
            Ok(body) => body.to_tokens(tokens),
            Err(semi) => semi.to_tokens(tokens),
        }
    }
}

/// Parses `item` as a function, or says, at the item, what it is instead.
pub(crate) fn parse_fn(attribute: &str, item: TokenStream) -> syn::Result<FnItem> {
    if let Ok(f) = syn::parse2::<FnItem>(item.clone()) {
        return Ok(f);
    }
    let (span, what) = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Struct(s)) => (s.struct_token.span, "a struct"),
        Ok(syn::Item::Enum(e)) => (e.enum_token.span, "an enum"),
        Ok(syn::Item::Union(u)) => (u.union_token.span, "a union"),
        Ok(syn::Item::Impl(i)) => (i.impl_token.span, "an impl block"),
        Ok(syn::Item::Trait(t)) => (t.trait_token.span, "a trait"),
        Ok(syn::Item::Mod(m)) => (m.mod_token.span, "a module"),
        Ok(syn::Item::Const(c)) => (c.const_token.span, "a const"),
        Ok(syn::Item::Static(s)) => (s.static_token.span, "a static"),
        Ok(syn::Item::Type(t)) => (t.type_token.span, "a type alias"),
        Ok(syn::Item::Use(u)) => (u.use_token.span, "a use declaration"),
        Ok(syn::Item::Macro(m)) => (m.mac.path.span(), "a macro invocation"),
        Ok(other) => (first_span(&other), "this item"),
        Err(_) => (
            item.clone()
                .into_iter()
                .next()
                .map_or_else(Span::call_site, |t| t.span()),
            "this item",
        ),
    };
    Err(syn::Error::new(
        span,
        format!("`#[{attribute}]` goes on a `fn`, not on {what}"),
    ))
}

/// The span of the first token of `tokens` (of its opening delimiter, if
/// that is a group): where to point at something multi-token on stable,
/// where spans cannot be joined.
pub(crate) fn first_span<T: ToTokens>(tokens: &T) -> Span {
    tokens
        .to_token_stream()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| match t {
            proc_macro2::TokenTree::Group(group) => group.span_open(),
            other => other.span(),
        })
}

/// The attributes of an argument that decide whether it exists (`cfg`, and
/// the `cfg` inside a `cfg_attr`), to put on every place the expansion
/// uses the argument: a removed argument is removed there too.
pub(crate) fn cfg_attrs(attrs: &[Attribute]) -> Vec<Attribute> {
    attrs
        .iter()
        .filter_map(|attribute| {
            let path = attribute.path();
            if path.is_ident("cfg") {
                return Some(attribute.clone());
            }
            if !path.is_ident("cfg_attr") {
                return None;
            }
            // `cfg_attr(predicate, attr, ..)`: keep the predicate and only
            // the `cfg`s among the attributes.
            let list = attribute.meta.require_list().ok()?;
            let parts = list
                .parse_args_with(
                    syn::punctuated::Punctuated::<syn::Meta, Token![,]>::parse_terminated,
                )
                .ok()?;
            let mut parts = parts.into_iter();
            let predicate = parts.next()?;
            let cfgs: Vec<syn::Meta> = parts.filter(|m| m.path().is_ident("cfg")).collect();
            if cfgs.is_empty() {
                return None;
            }
            Some(syn::parse_quote!(#[cfg_attr(#predicate, #(#cfgs),*)]))
        })
        .collect()
}

/// One argument of the generated fn as the expansion passes it on: the
/// expression that names it and the `cfg`s it exists under.
pub(crate) struct Passed {
    pub(crate) cfgs: Vec<Attribute>,
    pub(crate) name: TokenStream,
}

impl ToTokens for Passed {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let Passed { cfgs, name } = self;
        tokens.extend(quote!(#(#cfgs)* #name));
    }
}

/// Gives every argument of the generated fn a plain name (the kept fn gets
/// the patterns) and returns the expressions that pass them on.
pub(crate) fn rename_args(sig: &mut Signature) -> Vec<Passed> {
    let mut call = Vec::new();
    for (index, input) in sig.inputs.iter_mut().enumerate() {
        match input {
            FnArg::Receiver(receiver) => {
                receiver.mutability = None;
                call.push(Passed {
                    cfgs: cfg_attrs(&receiver.attrs),
                    name: quote!(self),
                });
            }
            FnArg::Typed(typed) => {
                let cfgs = cfg_attrs(&typed.attrs);
                let name = match &mut *typed.pat {
                    Pat::Ident(ident)
                        if ident.by_ref.is_none()
                            && ident.subpat.is_none()
                            && ident.ident != "self" =>
                    {
                        ident.mutability = None;
                        ident.ident.to_token_stream()
                    }
                    _ => {
                        let name = arg_name(index);
                        *typed.pat = syn::parse_quote!(#name);
                        name.to_token_stream()
                    }
                };
                call.push(Passed { cfgs, name });
            }
        }
    }
    call
}

/// The name the expansion gives argument `index` when its pattern cannot
/// stay in the generated signature; no user code can name it.
pub(crate) fn arg_name(index: usize) -> syn::Ident {
    format_ident!("__arg{}", index, span = Span::mixed_site())
}

pub(crate) fn contains_impl_trait(ty: &Type) -> bool {
    struct Finder(bool);
    impl Visit<'_> for Finder {
        fn visit_type_impl_trait(&mut self, _: &syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    finder.visit_type(ty);
    finder.0
}

/// Whether the signature names `Self` or takes `self`: then it is an
/// associated fn, and its siblings are reached through `Self::`.
pub(crate) fn is_associated(sig: &Signature) -> bool {
    struct Finder(bool);
    impl Visit<'_> for Finder {
        fn visit_ident(&mut self, ident: &proc_macro2::Ident) {
            self.0 |= ident == "Self";
        }
        fn visit_macro(&mut self, mac: &syn::Macro) {
            self.0 |= mac
                .tokens
                .clone()
                .into_iter()
                .any(|t| matches!(&t, proc_macro2::TokenTree::Ident(i) if i == "Self"));
        }
    }
    if sig.receiver().is_some() {
        return true;
    }
    let mut finder = Finder(false);
    finder.visit_signature(sig);
    finder.0
}

/// Settles how the kept fn is reached, from where the fn sits in its file:
/// through `Self::` in an impl or a trait, whatever its signature shows.
/// In an impl of a trait the kept fn would be a method the trait does not
/// have: that is reported at the `keep` value, and `keep` is dropped so the
/// fn the trait asks for is still generated. When the file does not show
/// the fn (code made by a macro), the signature and the way `keep` is
/// written decide, as before.
pub(crate) fn place_keep(options: &mut Options, sig: &Signature, errors: &mut Errors) {
    // A `keep` that is the fn's own name is an error of its own.
    let Some(keep) = options.keep.as_mut().filter(|keep| keep.name != sig.ident) else {
        return;
    };
    match crate::nonblocking::fn_place(&sig.ident) {
        None | Some(FnPlace::Free) => {}
        Some(FnPlace::Impl | FnPlace::Trait) => keep.via_self = true,
        Some(FnPlace::TraitImpl {
            trait_name,
            self_name,
        }) => {
            let inherent = self_name.map_or_else(
                || "an inherent impl".to_owned(),
                |name| format!("an inherent impl of `{name}`"),
            );
            errors.at(
                &keep.written,
                format!(
                    "`keep` adds a method `{}` that trait `{trait_name}` does not have, and an impl of a trait can only define the trait's items: use `keep` in {inherent} and call that fn from here, or call the body through a free fn",
                    keep.name
                ),
            );
            options.keep = None;
        }
    }
}

/// The original fn under its `keep` name. Its first token sits at
/// the `keep` value, so an error about the item as a whole (the name is
/// taken, or it is not a member of the trait being implemented) points
/// there: rustc measures an item from its first token, and a span of the
/// macro's own context is not stretched to the user's tokens.
pub(crate) fn kept_item(
    attrs: &[Attribute],
    vis: &Visibility,
    sig: &Signature,
    body: &Body,
    at: Span,
) -> TokenStream {
    let head = quote!(#vis #sig);
    let mut tokens = head.into_iter();
    let mut first: TokenStream = tokens
        .next()
        .map(|mut token| {
            token.set_span(Span::mixed_site().located_at(at));
            token
        })
        .into_iter()
        .collect();
    first.extend(tokens);
    quote!(#(#attrs)* #first #body)
}

/// The fn's attributes for each of the two fns that `keep` makes of it,
/// with `#[expect(lint)]` (also inside `cfg_attr`) as `#[allow(lint)]`: a
/// lint fires on one of the two only (`dead_code` on the generated fn,
/// which calls the kept one; a lint about the body on the kept fn), so an
/// expectation copied onto both would always be unfulfilled on one.
pub(crate) fn attrs_for_twins(attrs: &[Attribute]) -> Vec<Attribute> {
    attrs
        .iter()
        .map(|attribute| {
            let mut attribute = attribute.clone();
            expect_as_allow(&mut attribute.meta);
            attribute
        })
        .collect()
}

fn expect_as_allow(meta: &mut syn::Meta) {
    if meta.path().is_ident("expect") {
        if let syn::Meta::List(list) = meta {
            let span = list
                .path
                .segments
                .first()
                .map_or_else(Span::call_site, |s| s.ident.span());
            list.path = syn::Ident::new("allow", span).into();
        }
        return;
    }
    if !meta.path().is_ident("cfg_attr") {
        return;
    }
    let syn::Meta::List(list) = meta else { return };
    let Ok(mut parts) =
        list.parse_args_with(syn::punctuated::Punctuated::<syn::Meta, Token![,]>::parse_terminated)
    else {
        return;
    };
    // The first part is the predicate, which has no attributes to change.
    for part in parts.iter_mut().skip(1) {
        expect_as_allow(part);
    }
    list.tokens = parts.into_token_stream();
}

/// The `keep` twin of a fn (the original, under the `keep` name) and the
/// call of it that the generated fn makes (a block expression),
/// `generated`'s arguments renamed so that they can be passed on.
pub(crate) fn keep_twin(
    keep: &Keep,
    attrs: &[Attribute],
    vis: &Visibility,
    sig: &Signature,
    body: &Body,
    generated: &mut Signature,
) -> (TokenStream, TokenStream) {
    let mut kept_sig = sig.clone();
    kept_sig.ident = keep.name.clone();
    let kept = kept_item(attrs, vis, &kept_sig, body, keep.name.span());
    let passed = rename_args(generated);
    let name = &keep.name;
    let callee = if keep.via_self || is_associated(sig) {
        quote!(Self::#name)
    } else {
        quote!(#name)
    };
    // The kept fn is the user's, attributes and all: if it is
    // `#[deprecated]`, so is the generated fn, and the generated fn's own
    // call of it is not a use to warn about.
    let kept_fn = syn::Ident::new("__bridge_kept", Span::mixed_site());
    let call = quote!({
        #[allow(deprecated)]
        let #kept_fn = #callee;
        #kept_fn(#(#passed),*)
    });
    (kept, call)
}

/// `module::path::name`, for messages that name the function at run time.
pub(crate) fn qualified_name(sig: &Signature) -> TokenStream {
    let name = &sig.ident;
    quote!(::core::concat!(
        ::core::module_path!(),
        "::",
        ::core::stringify!(#name)
    ))
}

/// Whether the attribute is `#[name]`, by its last path segment (so
/// `#[bridge_runtime::offload]` counts).
pub(crate) fn is_attribute(attribute: &Attribute, name: &str) -> bool {
    attribute
        .path()
        .segments
        .last()
        .is_some_and(|s| s.ident == name)
}

/// Whether the item also carries `#[name]`.
pub(crate) fn find_attribute<'a>(attrs: &'a [Attribute], name: &str) -> Option<&'a Attribute> {
    attrs.iter().find(|a| is_attribute(a, name))
}

/// The item without its attributes of these `names`. An attribute named
/// through a `use` still counts as a use of it, so the one error is not
/// joined by an "unused import" warning.
pub(crate) fn without_attributes(mut function: FnItem, names: &[&str]) -> TokenStream {
    let (removed, kept) = function
        .attrs
        .into_iter()
        .partition(|a| names.iter().any(|name| is_attribute(a, name)));
    function.attrs = kept;
    let removed: Vec<Attribute> = removed;
    if let Ok(body) = &mut function.body {
        for attribute in removed {
            if let Some(ident) = attribute.path().get_ident() {
                body.block.stmts.insert(
                    0,
                    syn::parse_quote!(#[allow(unused_imports)] use #ident as _;),
                );
            }
        }
    }
    function.into_token_stream()
}

/// `{ tokens }` with the braces of the user's body: rustc measures an item
/// from its first token to its last, so the generated fn is "defined" at
/// the user's fn rather than at the attribute.
pub(crate) fn in_body_braces(body: &Body, tokens: TokenStream) -> TokenStream {
    let mut group = proc_macro2::Group::new(proc_macro2::Delimiter::Brace, tokens);
    group.set_span(body.block.brace_token.span.join());
    proc_macro2::TokenTree::Group(group).into()
}

/// `tokens` with every token, inside groups too, at `span`.
pub(crate) fn respan_deep(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|token| match token {
            proc_macro2::TokenTree::Group(group) => {
                let mut respanned =
                    proc_macro2::Group::new(group.delimiter(), respan_deep(group.stream(), span));
                respanned.set_span(span);
                proc_macro2::TokenTree::Group(respanned)
            }
            mut other => {
                other.set_span(span);
                other
            }
        })
        .collect()
}
