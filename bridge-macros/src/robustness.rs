//! The macros must never panic: every input, however broken, gives output,
//! and every error points somewhere. Thousands of generated inputs through
//! the expansion functions, called as plain functions.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

/// A small deterministic generator (xorshift64*), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const ITEMS: &[&str] = &[
    "fn read(path: std::path::PathBuf) -> std::io::Result<String> { std::fs::read_to_string(path) }",
    "pub fn add((a, b): (u32, u32), mut c: u32) -> u32 { c += a; c + b }",
    "fn borrowed(path: &Path, names: Vec<&str>) -> usize { names.len() }",
    "fn method(&self, x: u32) -> u32 { self.0 + x }",
    "fn owned(self: Arc<Self>) -> u32 { 1 }",
    "async fn fetch(url: &str) -> usize { tokio::time::sleep(d).await; url.len() }",
    "async fn stream(n: u32) -> impl Stream<Item = u32> + Send { futures::stream::iter(0..n) }",
    "fn lines(path: PathBuf) -> impl Iterator<Item = String> { std::iter::empty() }",
    "const fn k() -> u32 { 1 }",
    "extern \"C\" fn c(x: u32) -> u32 { x }",
    "fn generic<'a, T: Send + 'static>(x: T, y: &'a str) -> T where T: Clone { x }",
    "fn decl(&self) -> u32;",
    "struct S { a: u32 }",
    "impl S { async fn a(&self) { std::thread::sleep(d); } fn b() {} }",
    "mod m { use std::thread::sleep as nap; pub async fn f() { nap(d); let (tx, rx) = std::sync::mpsc::channel(); rx.recv(); } }",
    "async fn g() { #[allow_blocking] std::thread::sleep(d); let c = Command::new(\"ls\"); c.output(); futures::executor::block_on(x); }",
    "#[doc = \"x\"] #[blocking] #[offload(io)] pub(crate) unsafe fn u<T>(x: impl Fn() + 'static) -> Box<dyn Any> where T: Send { todo!() }",
    "fn inner(ref a: String, (ref mut b, c): (Vec<u8>, impl Display), #[cfg(any())] d: Rc<u8>) -> u8 { #![allow(unused)] inner(a, b) }",
    "#[offload(cpu)] fn twice<'a: 'static, T: Into<U> + Send>(x: &'a str, t: T) -> Self where 'a: 'static, T: 'static { Self::twice(x, t) }",
    "async fn s(#[cfg_attr(all(), allow(unused))] x: u8) -> impl Stream<Item = Rc<u8>> + Send + '_ { #![deny(warnings)] self.s(x) }",
];

const ARGS: &[&str] = &[
    "",
    "io",
    "cpu",
    "io, cpu",
    "gpu",
    "io, pool = DB",
    "cpu, pool = HEAVY, keep = k, crate = ::bridge_runtime",
    "io, pool = \"DB\"",
    "io, keep = 3",
    "io, pool",
    "io, buffer = 0",
    "io, buffer = 64",
    "local",
    "local, keep = x_async",
    "local = true",
    "io, pool = a::b::<c, d>",
    "= = ,, io",
    "crate = ",
    "strict",
    "io, keep = Self::k",
    "cpu, keep = a::b::<c>",
    "io, buffer = N * 2",
    "io, buffer = 8usize, buffer = 9",
    "io, local",
    "local, local, io",
];

/// A span with a location, as the compiler gives every token of an input.
fn located() -> Span {
    TokenStream::from_str("x")
        .ok()
        .and_then(|s| s.into_iter().next())
        .map_or_else(Span::call_site, |t| t.span())
}

fn random_tree(rng: &mut Rng, depth: usize) -> TokenTree {
    const WORDS: &[&str] = &[
        "fn",
        "async",
        "self",
        "Self",
        "io",
        "cpu",
        "pool",
        "keep",
        "crate",
        "local",
        "buffer",
        "impl",
        "mut",
        "where",
        "dyn",
        "struct",
        "mod",
        "use",
        "std",
        "thread",
        "sleep",
        "await",
        "x",
        "T",
        "static",
        "const",
        "extern",
        "return",
        "let",
        "allow_blocking",
        "blocking",
    ];
    const PUNCTS: &[char] = &[
        ',', '=', ':', ';', '&', '\'', '<', '>', '-', '#', '!', '.', '*', '+', '?', '|',
    ];
    match rng.below(if depth > 3 { 3 } else { 5 }) {
        0 => TokenTree::Ident(Ident::new(rng.pick(WORDS), located())),
        1 => {
            let spacing = if rng.below(2) == 0 {
                Spacing::Alone
            } else {
                Spacing::Joint
            };
            let mut punct = Punct::new(rng.pick(PUNCTS), spacing);
            punct.set_span(located());
            TokenTree::Punct(punct)
        }
        2 => {
            let mut literal = match rng.below(3) {
                0 => Literal::u32_unsuffixed(rng.below(100) as u32),
                1 => Literal::string("s"),
                _ => Literal::character('c'),
            };
            literal.set_span(located());
            TokenTree::Literal(literal)
        }
        _ => {
            let delimiter = rng.pick(&[
                Delimiter::Parenthesis,
                Delimiter::Brace,
                Delimiter::Bracket,
                Delimiter::None,
            ]);
            let len = rng.below(6);
            let inner: TokenStream = (0..len).map(|_| random_tree(rng, depth + 1)).collect();
            let mut group = Group::new(delimiter, inner);
            group.set_span(located());
            TokenTree::Group(group)
        }
    }
}

fn tokens(text: &str) -> Vec<TokenTree> {
    TokenStream::from_str(text)
        .map(|s| s.into_iter().collect())
        .unwrap_or_default()
}

/// A real item, damaged: truncated, shuffled, with tokens dropped or added.
fn mutate(rng: &mut Rng, mut trees: Vec<TokenTree>) -> TokenStream {
    for _ in 0..=rng.below(3) {
        match rng.below(5) {
            0 if !trees.is_empty() => {
                let at = rng.below(trees.len());
                trees.truncate(at);
            }
            1 if trees.len() > 1 => {
                let (a, b) = (rng.below(trees.len()), rng.below(trees.len()));
                trees.swap(a, b);
            }
            2 if !trees.is_empty() => {
                let at = rng.below(trees.len());
                trees.remove(at);
            }
            3 => {
                let at = rng.below(trees.len() + 1);
                let tree = random_tree(rng, 0);
                trees.insert(at, tree);
            }
            _ => {}
        }
    }
    trees.into_iter().collect()
}

fn input(rng: &mut Rng, corpus: &[&str]) -> TokenStream {
    match rng.below(4) {
        0 => tokens(rng.pick(corpus)).into_iter().collect(),
        1 | 2 => {
            let base = tokens(rng.pick(corpus));
            mutate(rng, base)
        }
        _ => (0..rng.below(12)).map(|_| random_tree(rng, 0)).collect(),
    }
}

/// The spans and messages of the `compile_error!`s in an expansion.
fn errors_in(output: &TokenStream) -> Vec<(Span, String)> {
    let trees: Vec<TokenTree> = output.clone().into_iter().collect();
    let mut found = Vec::new();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(ident) if ident == "compile_error" => {
                let message = trees.get(i + 2).map(|t| t.to_string()).unwrap_or_default();
                found.push((ident.span(), message));
            }
            TokenTree::Group(group) => found.extend(errors_in(&group.stream())),
            _ => {}
        }
    }
    found
}

type Expand = fn(TokenStream, TokenStream) -> TokenStream;

#[test]
fn no_input_makes_a_macro_panic_and_every_error_has_a_span() {
    let macros: [(&str, Expand); 3] = [
        ("offload", crate::offload::offload),
        ("blocking", crate::blocking::blocking),
        ("nonblocking", crate::nonblocking::nonblocking),
    ];
    // Outside a compiler the call site has no location, so the span check
    // below can tell a located error from one that points nowhere.
    assert_eq!(Span::call_site().byte_range(), 0..0);
    let mut rng = Rng(0x5eed_b41d_9e00_0001);
    let mut tried = 0usize;
    let mut errors = 0usize;
    let mut located = 0usize;
    let mut per_macro = [0usize; 3];
    for round in 0..2_000 {
        for (index, (name, expand)) in macros.into_iter().enumerate() {
            let args = input(&mut rng, ARGS);
            let item = input(&mut rng, ITEMS);
            let shown = format!("#[{name}({args})] {item}");
            // The compiler never hands an attribute an empty item; if it
            // did, the attribute itself would be the only place to point.
            let empty_item = item.is_empty();
            let output = catch_unwind(AssertUnwindSafe(|| expand(args, item)))
                .unwrap_or_else(|_| panic!("round {round}: `{name}` panicked on: {shown}"));
            for (span, message) in errors_in(&output) {
                errors += 1;
                per_macro[index] += 1;
                // An error at the attribute itself has the call site's span
                // (line 0 here, outside a compiler); every other error points
                // into the input.
                let at_attribute = message.contains("needs a kind") || empty_item;
                let has_location = span.byte_range().end > 0;
                assert!(
                    at_attribute || has_location,
                    "`{name}` gave an error without a span: {message} on: {shown}"
                );
                if has_location {
                    located += 1;
                }
            }
            tried += 1;
        }
    }
    println!(
        "robustness: {tried} generated inputs, {errors} errors ({located} located in the input), no panic"
    );
    assert_eq!(tried, 6_000);
    // Most inputs are broken: each macro must have found mistakes, and
    // most of them at a token of the input (the rest, a missing kind or an
    // empty item, at the attribute).
    for ((name, _), found) in macros.iter().zip(per_macro) {
        assert!(found >= 500, "`{name}` reported only {found} errors");
    }
    assert!(
        located * 10 >= errors * 8,
        "only {located} of {errors} errors point into the input"
    );
}

/// The check above can fail: an error without a location is caught.
#[test]
fn an_error_without_a_location_is_seen() {
    let unlocated = syn::Error::new(Span::call_site(), "x").to_compile_error();
    let found = errors_in(&unlocated);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0.byte_range(), 0..0);
    let at_token = syn::Error::new(located(), "x").to_compile_error();
    assert!(errors_in(&at_token)[0].0.byte_range().end > 0);
}
