//! The items the attributes accept: a `fn` with or without a body.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Attribute, Block, FnArg, Pat, Signature, Token, Type, Visibility};

/// A function as written: free, associated, or a trait method declaration
/// (no body; always an error, but reported precisely).
pub(crate) struct FnItem {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    pub(crate) body: Result<Box<Block>, Token![;]>,
}

impl Parse for FnItem {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let body = if input.peek(Token![;]) {
            Err(input.parse()?)
        } else {
            Ok(Box::new(input.parse()?))
        };
        Ok(FnItem {
            attrs,
            vis,
            sig,
            body,
        })
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
            Ok(block) => block.to_tokens(tokens),
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

/// Gives every argument of the generated fn a plain name (the kept fn gets
/// the patterns) and returns the expressions that pass them on.
pub(crate) fn rename_args(sig: &mut Signature) -> Vec<TokenStream> {
    let mut call = Vec::new();
    for (index, input) in sig.inputs.iter_mut().enumerate() {
        match input {
            FnArg::Receiver(receiver) => {
                receiver.mutability = None;
                call.push(quote!(self));
            }
            FnArg::Typed(typed) => match &mut *typed.pat {
                Pat::Ident(ident)
                    if ident.by_ref.is_none()
                        && ident.subpat.is_none()
                        && ident.ident != "self" =>
                {
                    ident.mutability = None;
                    call.push(ident.ident.to_token_stream());
                }
                _ => {
                    let name = format_ident!("__arg{}", index, span = Span::mixed_site());
                    *typed.pat = syn::parse_quote!(#name);
                    call.push(name.to_token_stream());
                }
            },
        }
    }
    call
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

/// `module::path::name`, for messages that name the function at run time.
pub(crate) fn qualified_name(sig: &Signature) -> TokenStream {
    let name = &sig.ident;
    quote!(::core::concat!(
        ::core::module_path!(),
        "::",
        ::core::stringify!(#name)
    ))
}

/// Whether the item also carries `#[name]` (by its last path segment).
pub(crate) fn find_attribute<'a>(attrs: &'a [Attribute], name: &str) -> Option<&'a Attribute> {
    attrs
        .iter()
        .find(|a| a.path().segments.last().is_some_and(|s| s.ident == name))
}

/// The item without its `#[name]` attributes. An attribute named through a
/// `use` still counts as a use of it, so the one error is not joined by an
/// "unused import" warning.
pub(crate) fn without_attribute(mut function: FnItem, name: &str) -> TokenStream {
    let (removed, kept) = function
        .attrs
        .into_iter()
        .partition(|a| a.path().segments.last().is_some_and(|s| s.ident == name));
    function.attrs = kept;
    let removed: Vec<Attribute> = removed;
    if let Ok(block) = &mut function.body {
        for attribute in removed {
            if let Some(ident) = attribute.path().get_ident() {
                block.stmts.insert(
                    0,
                    syn::parse_quote!(#[allow(unused_imports)] use #ident as _;),
                );
            }
        }
    }
    function.into_token_stream()
}
