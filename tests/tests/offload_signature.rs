//! `#[offload]` keeps the signature: visibility, attributes, generics,
//! patterns, return types, receivers, trait impls, `keep` and `crate`.
#![deny(unfulfilled_lint_expectations)]

extern crate bridge_runtime as renamed_bridge;

use std::sync::Arc;

use bridge_runtime::offload;

/// Attributes survive: the `cfg` on each variant picks one (the test below
/// sees "kept"). That `#[must_use]` still applies to the async fn, and that
/// a private fn stays private, are compile errors, checked by
/// `ui-tests/offload/must_use_kept.rs` and `private_stays_private.rs`.
#[cfg(not(any()))]
#[must_use]
#[offload(io)]
pub fn which_variant() -> &'static str {
    "kept"
}

#[cfg(any())]
#[offload(io)]
pub fn which_variant() -> &'static str {
    "dropped"
}

#[offload(io)]
fn patterns((a, b): (u32, u32), mut total: u32, Point { x, y }: Point) -> u32 {
    total += a * b;
    total + x + y
}

struct Point {
    x: u32,
    y: u32,
}

#[offload(io)]
fn parse_sum(text: String) -> Result<u64, std::num::ParseIntError> {
    if text.is_empty() {
        return Ok(0);
    }
    let mut sum = 0;
    for word in text.split_whitespace() {
        sum += word.parse::<u64>()?;
    }
    Ok(sum)
}

#[offload(cpu)]
fn swap<T, U>(a: T, b: U) -> (U, T)
where
    T: Send + 'static,
    U: Send + 'static,
{
    (b, a)
}

#[offload(cpu)]
fn largest<T: Ord + Send + 'static>(mut items: Vec<T>) -> Option<T> {
    items.sort();
    items.pop()
}

#[offload(io)]
fn nothing_returned(counter: Arc<std::sync::atomic::AtomicU32>) {
    counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

#[offload(cpu)]
fn displayable(n: u32) -> impl std::fmt::Display + Send + 'static {
    format!("#{n}")
}

#[offload(io)]
fn greeting(name: impl Into<String> + Send + 'static, mut times: usize) -> String {
    let name = name.into();
    times = times.max(1);
    vec![name; times].join(" ")
}

#[offload(cpu, keep = apply_now)]
fn apply(f: impl FnOnce(u32) -> u32 + Send + 'static, x: u32) -> u32 {
    f(x)
}

struct Counter {
    start: u64,
}

impl Counter {
    #[offload(cpu)]
    fn consume(self, step: u64) -> u64 {
        self.start + step
    }

    #[offload(io)]
    fn shared(self: Arc<Self>, step: u64) -> u64 {
        self.start * step
    }

    #[offload(io)]
    fn new_boxed(start: u64) -> Box<Self> {
        Box::new(Counter { start })
    }
}

trait Store {
    async fn load(self, key: String) -> Option<String>;
}

struct MemStore(Vec<(String, String)>);

impl Store for MemStore {
    #[offload(io)]
    fn load(self, key: String) -> Option<String> {
        self.0.into_iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

#[offload(io, keep = patterns_blocking)]
fn patterns_kept((a, b): (u32, u32), mut c: u32) -> u32 {
    c *= 10;
    a + b + c
}

struct Doubler(u32);

impl Doubler {
    #[offload(cpu, keep = double_blocking)]
    fn double(self: Arc<Self>, mut by: u32) -> u32 {
        by *= 2;
        self.0 * by
    }
}

mod facade {
    pub use bridge_runtime as bridge;
}

#[offload(io, crate = facade::bridge)]
fn through_facade(n: u8) -> u8 {
    n + 1
}

#[offload(cpu, crate = ::renamed_bridge)]
fn through_renamed_crate(n: u8) -> u8 {
    n * 2
}

fn assert_send_static<T: Send + 'static>(value: T) -> T {
    value
}

/// `#[expect(lint)]` with `keep` acts as `#[allow(lint)]` on both fns, as
/// the lint fires on one of them only (more in
/// `ui-tests/offload/pass/expect_with_keep.rs`): a lint of clippy's, which
/// `cargo clippy` checks, and `dead_code`, denied unfulfilled here.
#[expect(clippy::needless_pass_by_value, reason = "the API takes ownership")]
#[offload(cpu, keep = byte_count_blocking)]
fn byte_count(bytes: Vec<u8>) -> usize {
    bytes.len()
}

#[expect(dead_code, reason = "only the kept fn is called")]
#[offload(io, keep = unused_async_blocking)]
fn unused_async(n: u32) -> u32 {
    n
}

#[tokio::test]
async fn attributes_and_visibility_are_kept() {
    assert_eq!(which_variant().await, "kept");
}

#[tokio::test]
async fn argument_patterns_are_kept() {
    assert_eq!(patterns((2, 3), 1, Point { x: 10, y: 20 }).await, 37);
}

#[tokio::test]
async fn question_mark_and_early_return_work_in_the_body() {
    assert_eq!(parse_sum(String::new()).await, Ok(0));
    assert_eq!(parse_sum("1 2 39".into()).await, Ok(42));
    assert!(parse_sum("1 two".into()).await.is_err());
}

#[tokio::test]
async fn generics_and_where_clauses_are_kept() {
    assert_eq!(swap(1u8, "one").await, ("one", 1u8));
    assert_eq!(largest(vec![3, 9, 4]).await, Some(9));
    assert_eq!(largest(Vec::<String>::new()).await, None);
}

#[tokio::test]
async fn unit_and_impl_trait_returns() {
    let counter = Arc::new(std::sync::atomic::AtomicU32::new(0));
    nothing_returned(counter.clone()).await;
    assert_eq!(counter.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(displayable(7).await.to_string(), "#7");
    assert_eq!(greeting("hi", 2).await, "hi hi");
    assert_eq!(apply(|x| x * 3, 5).await, 15);
    assert_eq!(apply_now(|x| x + 1, 5), 6);
}

#[tokio::test]
async fn receivers_self_and_arc_self_and_associated_fns() {
    assert_eq!(Counter { start: 40 }.consume(2).await, 42);
    assert_eq!(Arc::new(Counter { start: 6 }).shared(7).await, 42);
    assert_eq!(Counter::new_boxed(5).await.start, 5);
}

#[tokio::test]
async fn trait_impl_of_an_async_fn() {
    let store = MemStore(vec![("a".into(), "1".into()), ("b".into(), "2".into())]);
    assert_eq!(store.load("b".into()).await.as_deref(), Some("2"));
}

#[tokio::test]
async fn keep_leaves_the_blocking_original_callable() {
    assert_eq!(patterns_blocking((1, 2), 3), 33);
    assert_eq!(patterns_kept((1, 2), 3).await, 33);
    let doubler = Arc::new(Doubler(5));
    assert_eq!(doubler.clone().double_blocking(2), 20);
    assert_eq!(doubler.double(3).await, 30);
}

#[tokio::test]
async fn crate_option_names_a_renamed_dependency() {
    assert_eq!(through_facade(1).await, 2);
    assert_eq!(through_renamed_crate(4).await, 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn futures_are_send_and_static_so_they_can_be_spawned() {
    let text = String::from("20 22");
    let future = assert_send_static(parse_sum(text));
    assert_eq!(tokio::spawn(future).await.ok(), Some(Ok(42)));
    let spawned = tokio::spawn(Counter { start: 1 }.consume(1));
    assert_eq!(spawned.await.ok(), Some(2));
}

#[tokio::test]
async fn expect_with_keep_is_fulfilled_or_allowed() {
    assert_eq!(
        byte_count(vec![1, 2]).await,
        byte_count_blocking(vec![3, 4])
    );
    assert_eq!(unused_async_blocking(3), 3);
}
