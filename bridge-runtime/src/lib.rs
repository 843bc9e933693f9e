//! Cross the line between synchronous and asynchronous Rust safely, with one
//! attribute.
//!
//! An async executor runs many tasks on a few threads; a task that blocks one
//! of those threads (a file read, a database driver, a long computation)
//! stalls every task queued behind it. bridge moves such work where it
//! belongs:
//!
//! - [`#[offload(io)]`](offload) turns a blocking `fn` into an `async fn`
//!   whose body runs on tokio's blocking pool;
//! - [`#[offload(cpu)]`](offload) does the same on rayon's work-stealing pool.
//!
//! ```
//! use bridge_runtime::offload;
//!
//! #[offload(io)]
//! fn read_config(path: std::path::PathBuf) -> std::io::Result<String> {
//!     std::fs::read_to_string(path)
//! }
//!
//! #[offload(cpu)]
//! fn checksum(data: Vec<u8>) -> u64 {
//!     data.iter().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(*b)))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
//! let text = read_config("Cargo.toml".into()).await?;
//! let sum = checksum(text.into_bytes()).await;
//! assert_ne!(sum, 0);
//! # Ok(()) }
//! ```
//!
//! The other way round, [`#[blocking]`](blocking) turns an `async fn` into a
//! plain `fn` that is safe to call from anywhere, inside a tokio runtime
//! included.
//!
//! Everything the macros generate calls a plain function of this crate,
//! usable without them: [`io`], [`cpu`], [`IoPool::run`], [`CpuPool::run`],
//! [`block_on`], [`block_on_stream`].
//!
//! Coming from Python's asyncio? The [`guide`] takes its patterns of mixing
//! sync and async code one by one, with the Rust that replaces each.
//!
//! # Pools
//!
//! [`IoPool`] and [`CpuPool`] are `const`-constructible, so a named pool with
//! a limit is a `static`; [`IoPool::global`] and [`CpuPool::global`] are the
//! defaults. Every pool counts what went through it: [`PoolStats`].
//!
//! # Features
//!
//! - `tracing` (default): the offloaded body runs inside the span that was
//!   current where the call was made, under the dispatcher that was the
//!   default there (a scoped one included), so its events carry the caller's
//!   context. That holds on a rayon worker that runs other bodies while a
//!   body of its own waits in a `#[blocking]` call: each runs in its own
//!   caller's context, except that spans the waiting body entered itself
//!   stay current, as they would for rayon's own `join`. A [`Watchdog`] reports through `tracing`, and its
//!   [`WatchdogLayer`] lets reports name the span a blocked thread was in.
//!
//! # Minimum supported Rust version
//!
//! Rust 1.88 (edition 2024): `#[nonblocking]` reads the file it expands in
//! through `proc_macro::Span::local_file`, stable since 1.88. Raising it is
//! a minor-version change.
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod blocking;
mod call;
mod cancel;
mod clock;
mod dedicated;
mod job;
mod park;
mod pool;
mod rayon_pool;
mod shared_runtime;
mod stats;
mod stream;
#[cfg(feature = "tracing")]
mod trace;
mod watchdog;

#[doc = include_str!("../docs/guide.md")]
pub mod guide {}

use std::future::Future;

/// Turns a blocking `fn` into an `async fn` whose body runs on a thread pool:
/// `#[offload(io)]` on tokio's blocking pool, `#[offload(cpu)]` on rayon.
///
/// ```
/// use bridge_runtime::offload;
///
/// /// Reads the whole file.
/// #[offload(io)]
/// pub fn read_config(path: std::path::PathBuf) -> std::io::Result<String> {
///     std::fs::read_to_string(path)
/// }
/// // is now: pub async fn read_config(path: PathBuf) -> io::Result<String>
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// assert!(read_config("Cargo.toml".into()).await.is_ok());
/// # }
/// ```
///
/// The equivalent code without the macro, for `io` (for `cpu`, the call is
/// [`CpuPool::global`]`().run(..)`):
///
/// ```
/// pub async fn read_config(path: std::path::PathBuf) -> std::io::Result<String> {
///     bridge_runtime::io(move || std::fs::read_to_string(path)).await
/// }
/// # futures::executor::block_on(async { assert!(read_config("Cargo.toml".into()).await.is_ok()) });
/// ```
///
/// # What is kept
///
/// Visibility, doc comments and other attributes, generics and where-clauses,
/// argument patterns (`(a, b): (u32, u32)`, `mut x`), the return type
/// (`Result` with `?` and early `return` work in the body). Free functions and
/// associated functions are supported, including methods taking `self` or
/// `self: Arc<Self>`, in inherent impls and in trait impls whose trait
/// declares the method `async fn`:
///
/// ```
/// use std::sync::Arc;
/// use bridge_runtime::offload;
///
/// trait Load {
///     async fn load(self: Arc<Self>, key: u32) -> Option<String>;
/// }
///
/// struct Files;
///
/// impl Load for Files {
///     #[offload(io)]
///     fn load(self: Arc<Self>, key: u32) -> Option<String> {
///         std::fs::read_to_string(format!("{key}.txt")).ok()
///     }
/// }
/// # futures::executor::block_on(async { assert_eq!(Arc::new(Files).load(404).await, None) });
/// ```
///
/// # Semantics
///
/// - The future is `Send + 'static` whenever the arguments and the result
///   are: it can be passed to `tokio::spawn`.
/// - `io` uses the blocking pool of the tokio runtime current where the future
///   is polled; with none (a `futures` executor, smol) it uses bridge's
///   shared runtime (see [`set_runtime`]). `cpu` needs no tokio.
/// - A panic in the body resumes in the awaiting task with its payload.
/// - Nothing runs until the future is first polled; if it is dropped before
///   the body started, the body never runs. Once started, the body runs to
///   completion and its result is dropped.
/// - Every argument moves to the pool with the body, also one the body never
///   names (`_permit: Permit`, `_: Guard`): it is dropped there when the body
///   ends, after the body's locals, as a plain fn drops its parameters, even
///   if the caller stopped waiting meanwhile.
/// - With the `tracing` feature, the body runs inside the caller's span.
///
/// # Options
///
/// - `pool = NAME`: a `static` [`IoPool`] (with `io`) or [`CpuPool`] (with
///   `cpu`) to run on instead of the default; a pool of the other kind is a
///   compile error at `NAME`.
/// - `keep = NAME`: the original blocking fn stays callable under `NAME`.
///   On an associated fn, the kept one is an associated fn of the same
///   impl (`Type::NAME`). Where the macro cannot read the fn's file to see
///   the impl (code made by another macro) and the signature has neither
///   `self` nor `Self`, write `keep = Self::NAME`. In an impl of a
///   trait, `keep` is an error at `NAME`: it would add a method the trait
///   does not have, so use it in an inherent impl. The fn's attributes go
///   on both fns, except that `#[expect(lint)]` becomes `#[allow(lint)]`
///   on both: a lint fires on one of them only (`dead_code` on the async
///   fn, which calls the kept one; a lint about the body on the kept fn),
///   so the expectation could not be fulfilled on each. A `#[deprecated]`
///   fn stays deprecated under both names, and the async fn's own call of
///   the kept one is not reported.
/// - `buffer = N`: on a fn returning `impl Iterator`, how many items may
///   wait between the iterator and the stream ([`DEFAULT_BUFFER`] without
///   it); any constant `usize` expression of at least 1, a const parameter
///   of the fn or its impl too. A literal 0 is an error at the value, and
///   so is a constant of 0 in a free fn; an expression that may name
///   generic parameters (in a generic fn, or in an impl) is checked for
///   each use of the fn when it is compiled to code, which `cargo build`
///   does and `cargo check` does not.
/// - `crate = PATH`: the path to this crate, if the dependency is renamed.
///
/// ```
/// use bridge_runtime::{offload, IoPool};
///
/// static DISK: IoPool = IoPool::new("disk", 2);
///
/// #[offload(io, pool = DISK, keep = file_len_blocking)]
/// fn file_len(path: String) -> u64 {
///     std::fs::metadata(path).map_or(0, |m| m.len())
/// }
///
/// # futures::executor::block_on(async {
/// assert_eq!(file_len("Cargo.toml".into()).await, file_len_blocking("Cargo.toml".into()));
/// # });
/// ```
///
/// # Compile errors
///
/// The body runs on another thread after the call returned, so arguments
/// must be owned; the error names the owned type to take:
///
/// ```compile_fail
/// #[bridge_runtime::offload(io)]
/// fn read(path: &std::path::Path) -> Vec<u8> { std::fs::read(path).unwrap_or_default() }
/// // error: `#[offload]` runs the body on another thread, so it must own its
/// //        arguments; `path: &Path` is borrowed
/// //          help: take `PathBuf` instead
/// ```
///
/// Likewise for `&self` (take `self` or `self: Arc<Self>`), an `async fn`
/// (it is async already), a missing or unknown kind, and unknown or repeated
/// options. Every mistake in the item is reported at once, and the original
/// item is still emitted, so the rest of the crate keeps compiling.
pub use bridge_macros::offload;

pub use blocking::{
    BlockingStream, HELPER_THREADS, LocalBlockingStream, block_on, block_on_local, block_on_stream,
    block_on_stream_local,
};
/// Turns an `async fn` into a plain `fn` that is safe to call from any
/// context: plain `main`, a std thread, a rayon worker, or inside a tokio
/// runtime.
///
/// ```
/// use bridge_runtime::blocking;
///
/// #[blocking]
/// pub async fn fetch_len(url: &str) -> usize {
///     tokio::time::sleep(std::time::Duration::from_millis(1)).await; // a real request here
///     url.len()
/// }
/// // is now: pub fn fetch_len(url: &str) -> usize
///
/// assert_eq!(fetch_len("https://example.com"), 19);
/// ```
///
/// The equivalent code without the macro is a call of [`block_on`]:
///
/// ```
/// pub fn fetch_len(url: &str) -> usize {
///     bridge_runtime::block_on(async move { url.len() })
/// }
/// # assert_eq!(fetch_len("abc"), 3);
/// ```
///
/// Borrowed arguments and `&self`/`&mut self` are fine: the caller waits.
/// The signature is otherwise kept (visibility, attributes, generics,
/// patterns, return type). In a trait impl, the trait declares the blocking
/// `fn` and the impl writes `#[blocking] async fn`.
///
/// # Where it can be called
///
/// | called from | what happens |
/// | --- | --- |
/// | no runtime: `main`, a std thread, a rayon worker; or a `spawn_blocking` thread of a multi-thread runtime | the future runs on the calling thread, timers and I/O driven by the current runtime if there is one, else by the shared runtime |
/// | a worker of a multi-thread tokio runtime | `block_in_place`, then the future runs on this thread; the runtime's other tasks move to other workers |
/// | a current-thread tokio runtime (`#[tokio::test]`), or one of its `spawn_blocking` threads | the future runs on a helper thread driven by the shared runtime while the caller waits |
///
/// Calls nest: a `#[blocking]` fn may be called from the body of another,
/// or from an `#[offload]`ed body, in any of those contexts. It never panics
/// with tokio's "Cannot start a runtime from within a runtime".
///
/// # Options
///
/// - `local`: the future need not be `Send`. It cannot move to a helper
///   thread, so in the current-thread row the call panics with a message
///   naming the fn and the ways out.
/// - `keep = NAME`: the original `async fn` stays callable under `NAME`;
///   on an associated fn, as an associated fn of the same impl, the same
///   way as with [`offload`]'s `keep`. As there, `#[expect(lint)]` acts as
///   `#[allow(lint)]` on both fns.
/// - `crate = PATH`: the path to this crate, if the dependency is renamed.
///
/// ```
/// use std::rc::Rc;
/// use bridge_runtime::blocking;
///
/// #[blocking(local, keep = sum_async)]
/// async fn sum(values: Vec<u32>) -> u32 {
///     let shared = Rc::new(values); // not `Send`
///     tokio::task::yield_now().await;
///     shared.iter().sum()
/// }
///
/// assert_eq!(sum(vec![1, 2, 3]), 6);
/// # futures::executor::block_on(async { assert_eq!(sum_async(vec![4]).await, 4) });
/// ```
///
/// ```
/// use bridge_runtime::blocking;
///
/// struct Client;
///
/// impl Client {
///     // An associated fn: the async original is `Client::ping_async`.
///     #[blocking(keep = ping_async)]
///     async fn ping(n: u32) -> u32 {
///         n + 1
///     }
/// }
///
/// assert_eq!(Client::ping(1), 2);
/// # futures::executor::block_on(async { assert_eq!(Client::ping_async(2).await, 3) });
/// ```
///
/// # Streams
///
/// On an `async fn` returning `impl Stream<Item = T>` (futures-core's
/// trait), the blocking fn returns `impl Iterator<Item = T>`, each item
/// awaited as it is asked for (see [`block_on_stream`]).
///
/// # Compile errors
///
/// A future that is not `Send` is reported at the fn's name; add `local`:
///
/// ```compile_fail
/// #[bridge_runtime::blocking]
/// async fn count() -> usize {
///     let shared = std::rc::Rc::new(1);
///     tokio::task::yield_now().await;
///     *shared
/// }
/// ```
///
/// `#[blocking]` on a fn that is not `async`, unknown options, and
/// `#[blocking]` together with `#[offload]` are errors too.
pub use bridge_macros::blocking;

/// Rejects, at compile time, the classic blocking calls inside async code,
/// each at the call, naming what to write instead.
///
/// Put it on an `async fn`, an `impl` block, a `trait` or an inline `mod`:
/// every async body inside (async fns, async blocks, async closures) is
/// checked. `#[blocking]` bodies are checked the same way by `#[blocking]`
/// itself. Test-only code (an item or a statement under `#[cfg(test)]`) is
/// not checked, in any build. To check every file of a crate at once, use
/// [`nonblocking_crate!`].
///
/// ```compile_fail
/// #[bridge_runtime::nonblocking]
/// async fn poll_status() {
///     std::thread::sleep(std::time::Duration::from_millis(10));
///     // error: `std::thread::sleep` blocks the executor's thread, and every
///     //        task waiting for it: use `tokio::time::sleep(..).await`
/// }
/// ```
///
/// What it rejects, and the replacement it names:
///
/// | call | write instead |
/// | --- | --- |
/// | `std::thread::sleep`, `park`, `std::thread::scope`, a thread's `join` | `tokio::time::sleep(..).await`, `tokio::sync::Notify`, `spawn_blocking(..).await` |
/// | `std::fs::*` functions, `File::open`/`create`, `OpenOptions::open`, a `File`'s reads and writes (`write!`/`writeln!` into it, `std::io::read_to_string`/`copy` of it too) | `tokio::fs`, or an `#[offload(io)]` fn |
/// | reading `std::io::stdin()`, also by `std::io::read_to_string`/`copy` | `tokio::io::stdin()`, or an `#[offload(io)]` fn |
/// | any `block_on` (but a fn or a method of your own by that name), `Runtime::new` | `.await` it |
/// | a `#[blocking]` fn, the sync original kept by `#[offload(.., keep = ..)]`, `Dedicated::call_blocking` | the async version, `.await`ed |
/// | tokio's `blocking_recv`, `blocking_send`, `blocking_lock`, `blocking_read`, `blocking_write` (they panic inside a runtime) | `.recv().await`, `.send(..).await`, .. |
/// | `std::process::Command`'s `output`, `status`, `spawn().wait()` | `tokio::process` |
/// | `std::net` connects, accepts, stream and UDP I/O; `to_socket_addrs` (blocking DNS) | `tokio::net`, `tokio::net::lookup_host` |
/// | `std::sync::mpsc` receives (`recv`, `iter`, a `for` loop over a receiver), `SyncSender::send`, `Condvar::wait*`, `Barrier::wait` | `tokio::sync` |
/// | rayon's `ThreadPool::install`, `rayon::scope`, `rayon::join` | an `#[offload(cpu)]` fn |
///
/// Calls inside the arguments of `println!`, `format!`, `write!`,
/// `assert!`, `vec!` and the other std macros are checked too.
///
/// Blocking is fine, and not reported, in sync code: nested non-async fns,
/// and closures handed to another thread (`bridge_runtime::io`/`cpu`,
/// `spawn_blocking`, `block_in_place`, `pool.run`, `Dedicated::call`,
/// `std::thread::spawn`, `rayon::spawn`), also when bound by `let` first and
/// handed over later, or given to any call that is `.await`ed (a call that
/// takes a sync closure and returns a future runs it elsewhere, as
/// `asyncify(move || ..).await` does). A closure given to a fn (not a
/// method) is not looked into either, unless the fn is one of std's that
/// run it on the spot (`std::iter::from_fn`, `std::panic::catch_unwind`,
/// ..): the fn may return a future that is handed on (to `join!`,
/// `timeout`, a variable awaited later), and where the check cannot tell,
/// it stays silent. Closures given to methods (`.map(..)` of an iterator or
/// an `Option`) run on the spot and are checked, whoever's the method: one
/// of your own that runs the closure elsewhere and returns a future that is
/// handed on (`timeout(d, pool.submit(|| ..))`, or bound and awaited later)
/// is reported too; `.await` the call where it is made
/// (`pool.submit(|| ..).await`), or mark it `#[allow_blocking]`.
///
/// A closure bound by `let` is judged where its name is given, as if
/// written there (`let work = move || ..; asyncify(work).await`), and a
/// block ending in a closure as that closure
/// (`spawn_blocking({ let p = p.clone(); move || .. })`). A closure that
/// another closure returns (`.map(|p| move || ..)`) is not run where it is
/// made, and is not looked into either.
///
/// # Letting intended blocking through
///
/// Inside the checked item, `#[allow_blocking]` on a statement, an
/// expression, a match arm, a fn, a method, an `impl`, a `trait` or a `mod`
/// lets it through, and is removed before compiling; anywhere else it is an
/// error that says where it goes. The forms plain code uses for
/// [`nonblocking_crate!`] work too: [`#[bridge_runtime::allow_blocking]`](macro@allow_blocking)
/// and [`bridge_runtime::allow_blocking(|| ..)`](fn@allow_blocking).
///
/// ```
/// use bridge_runtime::nonblocking;
///
/// #[nonblocking]
/// async fn tidy(dir: std::path::PathBuf) -> std::io::Result<()> {
///     tokio::time::sleep(std::time::Duration::from_millis(1)).await;
///     let exists = tokio::task::spawn_blocking(move || std::fs::metadata(dir).is_ok()).await?;
///     #[allow_blocking] // a one-off at start-up, measured to be fast
///     std::thread::sleep(std::time::Duration::from_micros(1));
///     assert!(exists);
///     Ok(())
/// }
/// # futures::executor::block_on(async { bridge_runtime::block_on(tidy(".".into())).unwrap() });
/// ```
///
/// # How it reads paths
///
/// It reads syntax, not types. Since Rust 1.88 a proc macro can read the
/// file it expands in (`proc_macro::Span::local_file`), so paths are
/// resolved as rustc resolves them, through the `use` declarations, items
/// and modules of that file and of the blocks around the call: after
/// `use tokio::fs;`, `fs::read` is tokio's; a `mod fs` or `struct Runtime` of
/// your own is yours; `use std::net::*;` brings std's `TcpStream` in;
/// `self::`, `super::` and `crate::` paths reach `#[blocking]` fns; a type
/// alias of tokio's `Runtime` is followed. A value is followed from the
/// `let`, parameter type, struct field or `static` that shows what it is,
/// through `Arc`, `Mutex`, `unwrap` and `?`, and from a `Vec` or `VecDeque`
/// of them to the variable of a `for` loop over it
/// (`for h in handles { h.join() }`). A method called by its path
/// is judged as the same method called on the value: by the type's path
/// (`std::process::Command::output(&mut c)`), or for std's `Read`, `Write`
/// and `BufRead`, by what the first argument is
/// (`std::io::Read::read_to_end(&mut file, ..)`). A call that is `.await`ed
/// is async, whatever its name, but for the sync fns of std and other
/// crates that it knows by their path: `futures::executor::block_on(..).await`
/// blocks in `block_on`, and awaits what it returns.
///
/// # What it cannot see
///
/// Where it cannot tell whose path a path is, it stays silent: a false
/// alarm is worse than a miss. So it does not see:
/// - names from other files: what a `mod x;` file declares, and what a glob
///   import of another crate (`use some_crate::prelude::*`) brings in, are
///   unknown, so a call reached only through them is not reported
///   ([`nonblocking_crate!`] sees the whole crate);
/// - names a macro makes: in a module that calls a macro among its items
///   (`make_handlers!();`), the names a glob import or the prelude would
///   bring in are unknown, since the macro may declare them (a `fn sleep`
///   beside `use std::thread::*;`);
/// - the place of the input when its file cannot be read (an item made by
///   another macro, a tool without file access): then only the item itself
///   is in view, and only full paths (`std::thread::sleep`) are reported;
/// - a value whose kind no syntax shows: returned by a fn, generic, or a
///   trait object;
/// - a fn reached by a `crate::`, `self::` or `super::` path that leads
///   out of view (from a file other than the crate's root, `#[nonblocking]`
///   does not know where the file sits): a `block_on` there is taken to be
///   your own;
/// - a method call whose receiver's type it cannot see, when a trait or an
///   `impl` in view declares a method of that name: where your own
///   `trait Planner { fn block_on(&self, ..) }` is in view,
///   `x.block_on(..)` on a generic, a `dyn` or a returned value may be
///   yours, and is not reported;
/// - a blocking call inside a sync fn that async code calls: that fn is
///   sync code;
/// - a closure run inline by a call it does not know, when that call is
///   `.await`ed (`fut.map(|x| ..).await`), or given to a fn (not a method)
///   other than std's that run it on the spot;
/// - the branches of `tokio::select!` and `futures::select!`, whose syntax is
///   the macro's own;
/// - a file or a socket opened on an earlier line and used later (the open
///   itself is reported), and `stdin()` read through a `BufReader`;
/// - whether a value is the type a trait method is called on:
///   `.to_socket_addrs()` is reported wherever `ToSocketAddrs` is imported
///   (but on a value of a type in view that declares its own
///   `to_socket_addrs`), even on a `SocketAddr`, which looks nothing up
///   (the one place it may report correct code: `#[allow_blocking]` lets it
///   through).
pub use bridge_macros::nonblocking;
pub use cancel::{Cancelled, cancelled, checkpoint};
pub use dedicated::{Dedicated, DedicatedBuilder};

/// Checks every async body of a package, at compile time of a test, with
/// the rules of [`#[nonblocking]`](nonblocking) and the whole crate in view.
///
/// Put one line in a test file, for example `tests/nonblocking.rs`:
///
/// ```
/// bridge_runtime::nonblocking_crate!();
/// ```
///
/// It reads every `.rs` file under the package's `src/`, following the
/// `mod` declarations from `src/lib.rs`, `src/main.rs` and `src/bin/*` as
/// rustc does (a file no root reaches is checked on its own), so every
/// file's `use` declarations and every `#[blocking]` fn and `keep` twin of
/// any module are known: a handler calling `crate::client::fetch_len()` is
/// caught. Each finding is a compile error that names the file, line and
/// column; clean code compiles:
///
/// ```text
/// error: src/handlers.rs:14:5: `std::fs::read_to_string` blocks the executor's thread on the disk: use `tokio::fs` (`.await` it), or move the work into an `#[offload(io)]` fn
///  --> tests/nonblocking.rs:1:1
///   |
/// 1 | bridge_runtime::nonblocking_crate!();
///   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
/// ```
///
/// Test-only code (`#[cfg(test)]`) is not checked. The expansion includes
/// every file it read, so cargo rebuilds the test when one changes.
/// `nonblocking_crate!("path/to/package")` checks another package, the
/// path relative to the file the macro is in (as `include_str!` reads it).
///
/// In plain code rustc rejects an unknown attribute, and any attribute
/// macro on a statement, so the escape hatches are
/// [`#[bridge_runtime::allow_blocking]`](macro@allow_blocking) on a fn, an
/// `impl`, a `trait` or an inline `mod`, and
/// [`bridge_runtime::allow_blocking(|| ..)`](fn@allow_blocking) around one
/// expression.
pub use bridge_macros::nonblocking_crate;

/// Lets a fn, an `impl`, a `trait` or an inline `mod` through the blocking
/// checks of [`nonblocking_crate!`] and [`#[nonblocking]`](nonblocking).
/// Alone it changes nothing: the item is compiled as written.
///
/// On anything else it is an error; for one expression, use the function
/// [`allow_blocking`](fn@allow_blocking). Inside a `#[nonblocking]` item,
/// `#[allow_blocking]` also goes on statements, expressions and match arms.
///
/// ```
/// pub struct Cache;
///
/// impl Cache {
///     /// Reads the whole cache once, at start-up, before serving.
///     #[bridge_runtime::allow_blocking]
///     pub async fn warm_up(&self) -> usize {
///         std::fs::read("Cargo.toml").map_or(0, |b| b.len())
///     }
/// }
/// # assert!(futures::executor::block_on(Cache.warm_up()) > 0);
/// ```
pub use bridge_macros::allow_blocking;

/// Runs `f` and returns its result: marks one expression whose blocking is
/// intended, for [`nonblocking_crate!`] and [`#[nonblocking]`](nonblocking),
/// which let it through. It changes nothing else.
///
/// ```
/// #[bridge_runtime::nonblocking]
/// async fn start(path: &str) -> bool {
///     // Once, before the server accepts anything.
///     bridge_runtime::allow_blocking(|| std::fs::metadata(path).is_ok())
/// }
/// # assert!(futures::executor::block_on(start("Cargo.toml")));
/// ```
#[inline]
pub fn allow_blocking<R>(f: impl FnOnce() -> R) -> R {
    f()
}

pub use pool::{CpuPool, IoPool};
pub use shared_runtime::{SetRuntimeError, set_runtime};
pub use stats::PoolStats;
pub use stream::{DEFAULT_BUFFER, OffloadStream, offload_iter};
#[cfg(feature = "tracing")]
pub use watchdog::WatchdogLayer;
pub use watchdog::{Blocked, Stall, StalledSpan, StalledThread, Watchdog};

/// Runs blocking `f` on tokio's blocking pool and resolves to its result:
/// what `#[offload(io)]` expands to.
///
/// The body runs on the blocking pool of the tokio runtime current where the
/// future is first polled; with no tokio runtime around (a `futures`
/// executor, smol, a bare `block_on`) it runs on bridge's shared runtime
/// instead of panicking.
///
/// Nothing happens until the future is first polled. If the future is
/// dropped before `f` has started, `f` never runs; once started it runs to
/// completion and its result is dropped. A panic in `f` resumes in the task
/// that awaits, with its original payload. Accounted in [`IoPool::global`].
///
/// # Panics
///
/// The awaiting task panics, naming `f`, if the runtime `f` was queued on
/// shuts down before `f` could start (rather than waiting forever).
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// // No tokio runtime here: the shared runtime's blocking pool runs it.
/// let metadata = bridge_runtime::io(|| std::fs::metadata("Cargo.toml")).await;
/// assert!(metadata.unwrap().is_file());
/// # });
/// ```
pub fn io<F, R>(f: F) -> impl Future<Output = R> + Send + 'static
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    IoPool::global().run(f)
}

/// Runs CPU-heavy `f` on rayon's global pool and resolves to its result:
/// what `#[offload(cpu)]` expands to.
///
/// Needs no tokio runtime. Lazy, cancellable before start and
/// panic-transparent, like [`io`]; a panic never reaches rayon, so it cannot
/// abort the process. Accounted in [`CpuPool::global`].
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let data: Vec<u64> = (1..=1_000).collect();
/// let sum = bridge_runtime::cpu(move || data.iter().sum::<u64>()).await;
/// assert_eq!(sum, 500_500);
/// # });
/// ```
pub fn cpu<F, R>(f: F) -> impl Future<Output = R> + Send + 'static
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    CpuPool::global().run(f)
}

/// What the macros expand to. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    use std::future::Future;

    use crate::{CpuPool, IoPool};

    /// `#[offload(io)]`: `what` names the function for error messages.
    pub fn io<F, R>(
        pool: &'static IoPool,
        what: &'static str,
        f: F,
    ) -> impl Future<Output = R> + Send + 'static
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        pool.run_named(what, f)
    }

    /// `#[offload(cpu)]`: `what` names the function for error messages.
    pub fn cpu<F, R>(
        pool: &'static CpuPool,
        what: &'static str,
        f: F,
    ) -> impl Future<Output = R> + Send + 'static
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        pool.run_named(what, f)
    }

    /// The pool of `#[offload(io, pool = X)]`, with an error at `X` if it is not an [`IoPool`].
    #[diagnostic::on_unimplemented(
        message = "`#[offload(io, pool = ..)]` needs a `static` of type `IoPool`, not `{Self}`",
        label = "not an `IoPool`",
        note = "declare it as `static NAME: IoPool = IoPool::new(\"name\", size);`, or use `#[offload(cpu, pool = ..)]` for a `CpuPool`"
    )]
    pub trait IsIoPool {
        #[doc(hidden)]
        fn io_pool(&'static self) -> &'static IoPool;
    }

    impl IsIoPool for IoPool {
        fn io_pool(&'static self) -> &'static IoPool {
            self
        }
    }

    /// The pool of `#[offload(cpu, pool = X)]`, with an error at `X` if it is not a [`CpuPool`].
    #[diagnostic::on_unimplemented(
        message = "`#[offload(cpu, pool = ..)]` needs a `static` of type `CpuPool`, not `{Self}`",
        label = "not a `CpuPool`",
        note = "declare it as `static NAME: CpuPool = CpuPool::new(\"name\", threads);`, or use `#[offload(io, pool = ..)]` for an `IoPool`"
    )]
    pub trait IsCpuPool {
        #[doc(hidden)]
        fn cpu_pool(&'static self) -> &'static CpuPool;
    }

    impl IsCpuPool for CpuPool {
        fn cpu_pool(&'static self) -> &'static CpuPool {
            self
        }
    }

    /// `#[offload]` emits one call per argument type, spanned at the type, so
    /// a type that is not `Send + 'static` is reported there, under this name.
    #[inline(always)]
    pub fn offloaded_arguments_must_be_send_and_static<T: Send + 'static>() {}

    /// The same for an argument whose type cannot be named (`impl Trait`).
    #[inline(always)]
    pub fn offloaded_argument_must_be_send_and_static<T: Send + 'static>(_: TypeOf<T>) {}

    /// The type of a value, without the value.
    #[allow(missing_debug_implementations)]
    pub struct TypeOf<T: ?Sized>(::core::marker::PhantomData<fn() -> T>);

    /// The type of `value`, for checks on types that cannot be named.
    #[inline(always)]
    pub fn type_of<T: ?Sized>(_: &T) -> TypeOf<T> {
        TypeOf(::core::marker::PhantomData)
    }

    /// Fixes the output type of an async block, so `?` in it infers.
    pub fn typed<R, F: Future<Output = R>>(future: F) -> F {
        future
    }

    /// `#[blocking]`. Named for the note rustc shows when the bound fails
    /// ("required by a bound in `..`"): rustc's own message for a future
    /// that is not `Send` takes the place of any `on_unimplemented` one, so
    /// the name is where the way out can be said. `what` names the function
    /// (`module::path::name`).
    #[inline]
    pub fn blocking_needs_a_send_future_or_write_blocking_local<F>(
        what: &'static str,
        future: F,
    ) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        crate::blocking::block_on_named(what, future)
    }

    /// `#[blocking(local)]`: `what` names the function in the panic message.
    pub fn block_on_local<F: Future>(what: &'static str, future: F) -> F::Output {
        crate::blocking::block_on_local_named(what, future)
    }

    /// What `#[blocking]` without `local` needs of a stream: it may be
    /// driven on a helper thread, so it must be `Send`.
    #[diagnostic::on_unimplemented(
        message = "`#[blocking]` may drive the stream on a helper thread, so it must be `Send`, and `{Self}` is not",
        label = "this stream is not `Send`",
        note = "if it cannot be `Send`, write `#[blocking(local)]`: the stream then runs on the calling thread (and a call inside a current-thread runtime panics)"
    )]
    pub trait BlockingStreamMustBeSend: Send {}

    impl<S: Send> BlockingStreamMustBeSend for S {}

    /// The same for the stream's items, which may cross from that thread.
    #[diagnostic::on_unimplemented(
        message = "`#[blocking]` may drive the stream on a helper thread, so its items must be `Send`, and `{Self}` is not",
        label = "the items of this stream are not `Send`",
        note = "if they cannot be `Send`, write `#[blocking(local)]`: the stream then runs on the calling thread (and a call inside a current-thread runtime panics)"
    )]
    pub trait BlockingStreamItemsMustBeSend: Send {}

    impl<T: Send> BlockingStreamItemsMustBeSend for T {}

    /// Checks the items of `#[blocking]`'s stream on their own, before the
    /// stream: a stream of non-`Send` items is usually not `Send` either,
    /// and the error should say what to do about the items.
    #[inline(always)]
    pub fn blocking_stream_items_must_be_send<T: BlockingStreamItemsMustBeSend + ?Sized>() {}

    /// `#[blocking]` on an `async fn` returning `impl Stream`; `what` names
    /// the function.
    ///
    /// The iterator is boxed (one allocation per call, not per item): its
    /// type then implements `Iterator` whatever the items, so items that
    /// are not `Send` are reported once, by the bounds here, and not again
    /// at the return type.
    pub fn blocking_without_local_needs_a_send_stream<'s, F, S>(
        what: &'static str,
        future: F,
    ) -> Box<dyn Iterator<Item = S::Item> + Send + 's>
    where
        F: Future<Output = S> + Send,
        S: Stream + BlockingStreamMustBeSend + 's,
        S::Item: BlockingStreamItemsMustBeSend,
    {
        Box::new(crate::block_on_stream(crate::blocking::block_on_named(
            what, future,
        )))
    }

    /// `#[blocking(local)]` on an `async fn` returning `impl Stream`.
    pub fn block_on_stream_local<F, S>(
        what: &'static str,
        future: F,
    ) -> crate::LocalBlockingStream<S>
    where
        F: Future<Output = S>,
        S: Stream,
    {
        crate::block_on_stream_local(crate::blocking::block_on_local_named(what, future))
    }

    pub use futures_core::Stream;

    /// `#[offload(io)]` on a fn returning `impl Iterator`. The stream is
    /// opaque, and `Send` by its declaration, so a non-`Send` item type is
    /// reported once, by the bound here.
    pub fn io_iter<F, I>(
        pool: &'static IoPool,
        what: &'static str,
        buffer: usize,
        make: F,
    ) -> impl Stream<Item = I::Item> + Send + 'static
    where
        F: FnOnce() -> I + Send + 'static,
        I: IntoIterator + 'static,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
    {
        crate::stream::on_pool(pool, what, make).buffer(buffer)
    }

    /// `#[offload(cpu)]` on a fn returning `impl Iterator`.
    pub fn cpu_iter<F, I>(
        pool: &'static CpuPool,
        what: &'static str,
        buffer: usize,
        make: F,
    ) -> impl Stream<Item = I::Item> + Send + 'static
    where
        F: FnOnce() -> I + Send + 'static,
        I: IntoIterator + 'static,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
    {
        crate::stream::on_pool(pool, what, make).buffer(buffer)
    }

    /// Checks the kind of a `pool = X` argument.
    pub fn io_pool<P: IsIoPool + ?Sized>(pool: &'static P) -> &'static IoPool {
        pool.io_pool()
    }

    /// Checks the kind of a `pool = X` argument.
    pub fn cpu_pool<P: IsCpuPool + ?Sized>(pool: &'static P) -> &'static CpuPool {
        pool.cpu_pool()
    }
}

/// The README's examples, compiled as doctests so they stay true; with the
/// default features, which they use.
#[cfg(all(doctest, feature = "tracing"))]
#[doc = include_str!("../../README.md")]
mod readme {}
