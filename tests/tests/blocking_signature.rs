//! `#[blocking]` keeps the signature, borrows freely, works in trait impls,
//! keeps the async original on request, turns streams into iterators, and
//! takes non-`Send` futures with `local`.
#![deny(unfulfilled_lint_expectations)]

use std::rc::Rc;
use std::time::Duration;

use bridge_runtime::blocking;
use futures_core::Stream;

/// Docs and attributes are kept: `#[must_use]` and the visibility are
/// checked by `ui-tests/blocking/must_use_kept.rs` and
/// `private_stays_private.rs`, where dropping them is a compile error.
#[must_use]
#[blocking]
pub async fn total_len(words: &[&str], extra: &str) -> usize {
    tokio::task::yield_now().await;
    words.iter().map(|w| w.len()).sum::<usize>() + extra.len()
}

#[blocking]
async fn parse_pair((a, b): (&str, &str), mut scale: u32) -> Result<u32, std::num::ParseIntError> {
    scale += 1;
    if a.is_empty() {
        return Ok(0);
    }
    let sum = a.parse::<u32>()? + b.parse::<u32>()?;
    Ok(sum * scale)
}

#[blocking]
async fn largest<T>(items: &[T]) -> Option<&T>
where
    T: Ord + Sync,
{
    tokio::time::sleep(Duration::from_millis(1)).await;
    items.iter().max()
}

struct Inbox {
    messages: Vec<String>,
}

impl Inbox {
    #[blocking]
    async fn push(&mut self, message: &str) {
        tokio::task::yield_now().await;
        self.messages.push(message.to_owned());
    }

    #[blocking]
    async fn count(&self) -> usize {
        self.messages.len()
    }

    #[blocking(keep = shout_async)]
    async fn shout(&self, suffix: &str) -> String {
        tokio::task::yield_now().await;
        format!("{}{suffix}", self.messages.join(" ").to_uppercase())
    }
}

trait Cache {
    fn get(&self, key: u32) -> Option<u32>;
}

struct Squares;

impl Cache for Squares {
    #[blocking]
    async fn get(&self, key: u32) -> Option<u32> {
        tokio::time::sleep(Duration::from_millis(1)).await;
        key.checked_mul(key)
    }
}

#[blocking(keep = fetch_len_async)]
async fn fetch_len(url: String) -> usize {
    tokio::task::yield_now().await;
    url.len()
}

#[blocking]
async fn countdown(from: u32) -> impl Stream<Item = u32> + Send {
    tokio::task::yield_now().await;
    futures::stream::iter((1..=from).rev())
}

#[blocking]
async fn words(text: &str) -> impl Stream<Item = String> + Send + '_ {
    futures::stream::iter(text.split_whitespace().map(str::to_owned))
}

#[blocking(local)]
async fn rc_sum(values: Vec<u32>) -> u32 {
    let shared = Rc::new(values);
    tokio::task::yield_now().await;
    shared.iter().sum()
}

/// `#[expect(lint)]` with `keep` acts as `#[allow(lint)]` on both fns, as
/// the lint fires on one of them only (more in
/// `ui-tests/blocking/pass/expect_with_keep.rs`): a lint of clippy's, which
/// `cargo clippy` checks, and `dead_code`, denied unfulfilled here.
#[expect(clippy::needless_pass_by_value, reason = "the API takes ownership")]
#[blocking(keep = byte_count_async)]
async fn byte_count(bytes: Vec<u8>) -> usize {
    bytes.len()
}

#[expect(dead_code, reason = "only the kept fn is called")]
#[blocking(keep = unused_blocking_async)]
async fn unused_blocking(n: u32) -> u32 {
    n
}

#[test]
fn borrowed_arguments_and_attributes() {
    assert_eq!(total_len(&["ab", "cde"], "f"), 6);
    assert_eq!(parse_pair(("2", "3"), 1), Ok(10));
    assert_eq!(parse_pair(("", "x"), 1), Ok(0));
    assert!(parse_pair(("2", "x"), 1).is_err());
    assert_eq!(largest(&[3, 8, 1]), Some(&8));
    assert_eq!(largest::<u8>(&[]), None);
}

#[test]
fn receivers_by_reference() {
    let mut inbox = Inbox {
        messages: Vec::new(),
    };
    inbox.push("hello");
    inbox.push("world");
    assert_eq!(inbox.count(), 2);
    assert_eq!(inbox.shout("!"), "HELLO WORLD!");
}

#[test]
fn trait_impls() {
    let cache: &dyn Cache = &Squares;
    assert_eq!(cache.get(12), Some(144));
    assert_eq!(cache.get(u32::MAX), None);
}

#[tokio::test]
async fn keep_leaves_the_async_original() {
    assert_eq!(fetch_len_async("https://x.y".into()).await, 11);
    let inbox = Inbox {
        messages: vec!["a".into()],
    };
    assert_eq!(inbox.shout_async("?").await, "A?");
    // And the blocking one works in the same runtime.
    assert_eq!(fetch_len("abc".into()), 3);
}

#[test]
fn streams_become_iterators() {
    assert_eq!(countdown(3).collect::<Vec<_>>(), [3, 2, 1]);
    let text = String::from("one two three");
    assert_eq!(words(&text).collect::<Vec<_>>(), ["one", "two", "three"]);
}

#[tokio::test]
async fn streams_become_iterators_in_a_current_thread_runtime() {
    assert_eq!(countdown(2).collect::<Vec<_>>(), [2, 1]);
}

#[test]
fn block_on_stream_is_the_plain_api() {
    let items: Vec<u8> = bridge_runtime::block_on_stream(futures::stream::iter([7u8, 8])).collect();
    assert_eq!(items, [7, 8]);
}

#[test]
fn local_futures_run_from_plain_code() {
    assert_eq!(rc_sum(vec![1, 2, 3]), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_futures_run_on_a_multi_thread_worker() {
    let sum = tokio::spawn(async { rc_sum(vec![4, 5]) })
        .await
        .expect("no panic");
    assert_eq!(sum, 9);
}

#[tokio::test]
#[should_panic(
    expected = "blocking_signature::rc_sum` was called where its future, which is not `Send`, cannot run"
)]
async fn local_futures_panic_in_a_current_thread_runtime_naming_the_fn() {
    rc_sum(vec![1]);
}

#[tokio::test]
#[should_panic(expected = "`.await` the async version instead")]
async fn the_local_panic_names_the_way_out() {
    rc_sum(vec![1]);
}

#[test]
fn expect_with_keep_is_fulfilled_or_allowed() {
    let kept = bridge_runtime::block_on(byte_count_async(vec![3, 4]));
    assert_eq!(byte_count(vec![1, 2]), kept);
    assert_eq!(bridge_runtime::block_on(unused_blocking_async(3)), 3);
}
