//! The catalogue: every blocking API the checker knows, and what to write
//! instead, as data. To teach the checker a new API, add a row to
//! [`BLOCKING`] (and, for a method of a value, say in [`MAKERS`] or
//! [`TYPES`] how such a value is recognised).
//!
//! Paths are written in full, as the API's crate declares them; `{a, b}`
//! stands for several last segments. Messages name the call as `{call}`
//! (`std::fs::read`, `Command::output`) and the method as `{method}`.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// A value the checker can follow from the `let`, parameter, field or
/// static that holds it to the method called on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Kind {
    Command,
    Child,
    ThreadBuilder,
    JoinHandle,
    Receiver,
    SyncSender,
    TcpListener,
    TcpStream,
    UdpSocket,
    Stdin,
    File,
    OpenOptions,
    Condvar,
    Barrier,
    RayonPool,
    RayonPoolBuilder,
}

/// What a row of [`BLOCKING`] matches.
#[derive(Clone, Copy, Debug)]
pub(super) enum Call {
    /// A function or associated function, by its full path.
    Path(&'static str),
    /// A method of a value the checker has followed to this kind.
    Method(Kind, &'static str),
    /// A method by its name alone, whatever the receiver: the name says it
    /// blocks.
    Named(&'static str),
    /// A method of a trait, when that trait is visibly in scope (a trait's
    /// method can only be called where the trait is imported).
    TraitMethod(&'static str, &'static str),
    /// `write!` or `writeln!` (the name) into a value of this kind.
    Formatted(Kind, &'static str),
    /// A fn, by its full path, given a value of this kind as an argument,
    /// which it reads or writes (`std::io::read_to_string(std::io::stdin())`).
    Given(&'static str, Kind),
    /// `for .. in` a value of this kind, or a reference to one.
    Iterated(Kind),
}

/// One blocking API and its message: why it blocks, then what to write
/// instead.
#[derive(Clone, Copy, Debug)]
pub(super) struct Row {
    pub(super) call: Call,
    pub(super) message: &'static str,
}

const fn row(call: Call, message: &'static str) -> Row {
    Row { call, message }
}

use Call::{Formatted, Given, Iterated, Method, Named, Path, TraitMethod};

const SLEEP: &str = "`{call}` blocks the executor's thread, and every task waiting for it: use `tokio::time::sleep(..).await`";
const DISK: &str = "`{call}` blocks the executor's thread on the disk: use `tokio::fs` (`.await` it), or move the work into an `#[offload(io)]` fn";
const BLOCK_ON: &str = "`{call}` blocks this thread until its future is done, and inside a runtime it deadlocks or panics: you are already in async code, so `.await` the future";
const RAYON: &str = "`{call}` makes the executor's thread wait for rayon: move the work into an `#[offload(cpu)]` fn, or `.await` `bridge_runtime::cpu(..)`";

/// A row for one of tokio's `blocking_*` methods, which panic inside a
/// runtime, and its async twin.
macro_rules! tokio_twin {
    ($name:literal, $instead:literal) => {
        row(
            Named($name),
            concat!(
                "`.",
                $name,
                "()` waits on the executor's thread, and tokio panics when it is called inside a runtime: ",
                $instead
            ),
        )
    };
}

/// Every blocking API the checker reports, with its message.
pub(super) const BLOCKING: &[Row] = &[
    // Sleeping, parking, waiting for threads.
    row(Path("std::thread::{sleep, sleep_ms}"), SLEEP),
    row(
        Path("std::thread::{park, park_timeout, park_timeout_ms}"),
        "`{call}` parks the executor's thread until another thread wakes it: wait on a `tokio::sync::Notify` (`.notified().await`)",
    ),
    row(
        Path("std::thread::scope"),
        "`{call}` makes the executor's thread wait until every thread of the scope has finished: run the scope in an `#[offload(cpu)]` or `#[offload(io)]` fn and `.await` it",
    ),
    row(
        Method(Kind::JoinHandle, "join"),
        "`JoinHandle::join` waits for a thread on the executor's thread: start it with `tokio::task::spawn_blocking` and `.await` the handle",
    ),
    // Files.
    row(
        Path(
            "std::fs::{read, read_to_string, write, read_dir, metadata, symlink_metadata, copy, rename, remove_file, remove_dir, remove_dir_all, create_dir, create_dir_all, canonicalize, hard_link, read_link, set_permissions, exists, soft_link}",
        ),
        DISK,
    ),
    row(Path("std::fs::File::{open, create, create_new}"), DISK),
    row(
        Method(Kind::OpenOptions, "open"),
        "`OpenOptions::open` blocks the executor's thread on the disk: use `tokio::fs::OpenOptions` and `.open(..).await`, or move the work into an `#[offload(io)]` fn",
    ),
    row(
        Method(
            Kind::File,
            "{read, read_exact, read_to_end, read_to_string, write, write_all, write_fmt, sync_all, sync_data, set_len}",
        ),
        "`std::fs::File::{method}` blocks the executor's thread on the disk: use `tokio::fs::File`, or move the work into an `#[offload(io)]` fn",
    ),
    row(
        Formatted(Kind::File, "{write, writeln}"),
        "`{method}!` into a `std::fs::File` blocks the executor's thread on the disk: format into a `String` and `.write_all(..).await` it on a `tokio::fs::File`, or move the work into an `#[offload(io)]` fn",
    ),
    // Standard input.
    row(
        Method(
            Kind::Stdin,
            "{read_line, read_to_string, read_to_end, read, read_exact, lines}",
        ),
        "reading `std::io::stdin` (`.{method}`) blocks the executor's thread until the user types: use `tokio::io::stdin()`, or read it in an `#[offload(io)]` fn",
    ),
    row(
        Given("std::io::{read_to_string, copy}", Kind::Stdin),
        "`{call}` of `std::io::stdin()` blocks the executor's thread until the user types: use `tokio::io::stdin()`, or read it in an `#[offload(io)]` fn",
    ),
    row(
        Given("std::io::{read_to_string, copy}", Kind::File),
        "`{call}` of a `std::fs::File` blocks the executor's thread on the disk: use `tokio::fs::File` and `tokio::io`, or move the work into an `#[offload(io)]` fn",
    ),
    row(
        Given("std::io::{read_to_string, copy}", Kind::TcpStream),
        "`{call}` of a `std::net::TcpStream` blocks the executor's thread on the network: use `tokio::net::TcpStream` and `tokio::io`",
    ),
    // Child processes.
    row(
        Method(Kind::Command, "{output, status}"),
        "`Command::{method}` waits for the child process on the executor's thread: use `tokio::process::Command` and `.{method}().await`",
    ),
    row(
        Method(Kind::Child, "{wait, wait_with_output}"),
        "`Child::{method}` waits for the child process on the executor's thread: use `tokio::process::Command` and `.{method}().await`",
    ),
    // The network.
    row(
        Path("std::net::TcpStream::{connect, connect_timeout}"),
        "`{call}` blocks the executor's thread on the network: use `tokio::net::TcpStream::connect(..).await`",
    ),
    row(
        Method(Kind::TcpListener, "{accept, incoming}"),
        "`std::net::TcpListener::{method}` blocks the executor's thread waiting for a connection: use `tokio::net::TcpListener` and `.accept().await`",
    ),
    row(
        Method(
            Kind::TcpStream,
            "{read, read_exact, read_to_end, read_to_string, write, write_all, peek}",
        ),
        "`std::net::TcpStream::{method}` blocks the executor's thread on the network: use `tokio::net::TcpStream` and `.{method}(..).await`",
    ),
    row(
        Method(Kind::TcpStream, "write_fmt"),
        "`std::net::TcpStream::write_fmt` blocks the executor's thread on the network: format into a `String` and `.write_all(..).await` it on a `tokio::net::TcpStream`",
    ),
    row(
        Formatted(Kind::TcpStream, "{write, writeln}"),
        "`{method}!` into a `std::net::TcpStream` blocks the executor's thread on the network: format into a `String` and `.write_all(..).await` it on a `tokio::net::TcpStream`",
    ),
    row(
        Method(
            Kind::UdpSocket,
            "{send, send_to, recv, recv_from, peek, peek_from}",
        ),
        "`std::net::UdpSocket::{method}` blocks the executor's thread on the network: use `tokio::net::UdpSocket` and `.{method}(..).await`",
    ),
    row(
        TraitMethod("std::net::ToSocketAddrs", "to_socket_addrs"),
        "`.to_socket_addrs()` resolves the name with blocking DNS on the executor's thread: use `tokio::net::lookup_host(..).await`",
    ),
    row(
        Path("std::net::ToSocketAddrs::to_socket_addrs"),
        "`{call}` resolves the name with blocking DNS on the executor's thread: use `tokio::net::lookup_host(..).await`",
    ),
    // Channels, locks and other waits of std.
    row(
        Method(Kind::Receiver, "{recv, recv_timeout, iter}"),
        "`Receiver::{method}` of `std::sync::mpsc` waits on the executor's thread: use `tokio::sync::mpsc` and `.recv().await`",
    ),
    row(
        Iterated(Kind::Receiver),
        "`for .. in` a `Receiver` of `std::sync::mpsc` waits for each message on the executor's thread: use `tokio::sync::mpsc` and `while let Some(..) = rx.recv().await`",
    ),
    row(
        Method(Kind::SyncSender, "send"),
        "`SyncSender::send` of `std::sync::mpsc` waits for room on the executor's thread: use `tokio::sync::mpsc` and `.send(..).await`",
    ),
    row(
        Method(
            Kind::Condvar,
            "{wait, wait_while, wait_timeout, wait_timeout_ms, wait_timeout_while}",
        ),
        "`Condvar::{method}` blocks the executor's thread until another thread notifies it: use `tokio::sync::Notify` and `.notified().await`",
    ),
    row(
        Method(Kind::Barrier, "wait"),
        "`Barrier::wait` blocks the executor's thread until every party arrives: use `tokio::sync::Barrier` and `.wait().await`",
    ),
    // Runtimes inside a runtime.
    row(Named("block_on"), BLOCK_ON),
    // The same under another name (`use futures::executor::block_on as wait`).
    row(Path("futures::executor::block_on"), BLOCK_ON),
    row(Path("pollster::block_on"), BLOCK_ON),
    row(
        Path("tokio::runtime::Runtime::new"),
        "`{call}` starts a second runtime inside async code, which blocks (or panics) to run it: you are already in async code, so `.await` the work, or `tokio::spawn` it",
    ),
    // tokio's blocking twins, which panic inside a runtime.
    tokio_twin!("blocking_recv", "`.recv().await` it"),
    tokio_twin!("blocking_recv_many", "`.recv_many(..).await` it"),
    tokio_twin!("blocking_send", "`.send(..).await` it"),
    tokio_twin!("blocking_lock", "`.lock().await` it"),
    tokio_twin!("blocking_lock_owned", "`.lock_owned().await` it"),
    tokio_twin!("blocking_read", "`.read().await` it"),
    tokio_twin!("blocking_write", "`.write().await` it"),
    tokio_twin!("blocking_acquire", "`.acquire().await` it"),
    tokio_twin!("blocking_acquire_owned", "`.acquire_owned().await` it"),
    tokio_twin!("blocking_acquire_many", "`.acquire_many(..).await` it"),
    tokio_twin!(
        "blocking_acquire_many_owned",
        "`.acquire_many_owned(..).await` it"
    ),
    // bridge's own blocking calls.
    row(
        Named("call_blocking"),
        "`Dedicated::call_blocking` waits for the value's thread on the executor's thread: `.call(..).await` it",
    ),
    row(
        Named("close_blocking"),
        "`Dedicated::close_blocking` waits for the value's thread on the executor's thread: `.close().await` it",
    ),
    // rayon, when the caller waits for it.
    row(
        Path("rayon::{scope, scope_fifo, in_place_scope, in_place_scope_fifo, join, broadcast}"),
        RAYON,
    ),
    row(
        Method(
            Kind::RayonPool,
            "{install, scope, scope_fifo, in_place_scope, in_place_scope_fifo, join, broadcast}",
        ),
        "`ThreadPool::{method}` makes the executor's thread wait for rayon: move the work into an `#[offload(cpu, pool = ..)]` fn, or `.await` `CpuPool::run(..)`",
    ),
    // Blocking HTTP clients.
    row(
        Path("reqwest::blocking::get"),
        "`{call}` blocks the executor's thread on the network, and panics inside a runtime: use `reqwest::get(..).await`",
    ),
];

/// Free functions whose last segment alone says they block on a future,
/// whoever declares them (`futures::executor::block_on`, `pollster::block_on`,
/// `bridge_runtime::block_on`, a runtime's `block_on`).
pub(super) const BLOCK_ON_NAMES: &[&str] = &[
    "block_on",
    "block_on_local",
    "block_on_stream",
    "block_on_stream_local",
];

/// How a value of a [`Kind`] is made: constructor path → what it returns
/// (`Result`s and `Option`s are looked through). A channel makes a pair.
#[derive(Clone, Copy, Debug)]
pub(super) enum Made {
    One(Kind),
    /// `(sender, receiver)`, either of which may be nothing the checker follows.
    Pair(Option<Kind>, Option<Kind>),
}

pub(super) const MAKERS: &[(&str, Made)] = &[
    ("std::process::Command::new", Made::One(Kind::Command)),
    ("std::thread::spawn", Made::One(Kind::JoinHandle)),
    ("std::thread::Builder::new", Made::One(Kind::ThreadBuilder)),
    (
        "std::sync::mpsc::channel",
        Made::Pair(None, Some(Kind::Receiver)),
    ),
    (
        "std::sync::mpsc::sync_channel",
        Made::Pair(Some(Kind::SyncSender), Some(Kind::Receiver)),
    ),
    ("std::net::TcpListener::bind", Made::One(Kind::TcpListener)),
    ("std::net::UdpSocket::bind", Made::One(Kind::UdpSocket)),
    ("std::io::stdin", Made::One(Kind::Stdin)),
    ("std::fs::OpenOptions::new", Made::One(Kind::OpenOptions)),
    ("std::fs::File::options", Made::One(Kind::OpenOptions)),
    ("std::sync::Condvar::new", Made::One(Kind::Condvar)),
    ("std::sync::Barrier::new", Made::One(Kind::Barrier)),
    (
        "rayon::ThreadPoolBuilder::new",
        Made::One(Kind::RayonPoolBuilder),
    ),
];

/// Types that say what a parameter, field, static or annotated `let` holds.
pub(super) const TYPES: &[(&str, Kind)] = &[
    ("std::process::Command", Kind::Command),
    ("std::process::Child", Kind::Child),
    ("std::thread::JoinHandle", Kind::JoinHandle),
    ("std::sync::mpsc::Receiver", Kind::Receiver),
    ("std::sync::mpsc::SyncSender", Kind::SyncSender),
    ("std::net::TcpListener", Kind::TcpListener),
    ("std::net::TcpStream", Kind::TcpStream),
    ("std::net::UdpSocket", Kind::UdpSocket),
    ("std::io::Stdin", Kind::Stdin),
    ("std::io::StdinLock", Kind::Stdin),
    ("std::fs::File", Kind::File),
    ("std::fs::OpenOptions", Kind::OpenOptions),
    ("std::sync::Condvar", Kind::Condvar),
    ("std::sync::Barrier", Kind::Barrier),
    ("rayon::ThreadPool", Kind::RayonPool),
];

/// Traits whose methods, called by path on a value
/// (`std::io::Read::read_to_end(&mut file, ..)`), block as the same method
/// called on it does.
pub(super) const IO_TRAITS: &[&str] = &["std::io::{Read, Write, BufRead}"];

/// Methods that turn one kind into another (builders, `spawn`).
pub(super) const STEPS: &[(Kind, &str, Kind)] = &[
    (
        Kind::Command,
        "{arg, args, env, envs, env_clear, env_remove, current_dir, stdin, stdout, stderr, uid, gid, process_group}",
        Kind::Command,
    ),
    (Kind::Command, "spawn", Kind::Child),
    (
        Kind::ThreadBuilder,
        "{name, stack_size}",
        Kind::ThreadBuilder,
    ),
    (Kind::ThreadBuilder, "spawn", Kind::JoinHandle),
    (
        Kind::OpenOptions,
        "{read, write, append, truncate, create, create_new, mode, custom_flags}",
        Kind::OpenOptions,
    ),
    (Kind::Stdin, "lock", Kind::Stdin),
    (
        Kind::RayonPoolBuilder,
        "{num_threads, thread_name, stack_size, breadth_first, use_current_thread, start_handler, exit_handler, panic_handler}",
        Kind::RayonPoolBuilder,
    ),
    (Kind::RayonPoolBuilder, "build", Kind::RayonPool),
    (Kind::TcpStream, "try_clone", Kind::TcpStream),
    (Kind::File, "try_clone", Kind::File),
];

/// Methods through which any followed value stays what it was: unwrapping,
/// cloning, borrowing, locking.
pub(super) const KEEP_METHODS: &[&str] = &[
    "unwrap",
    "expect",
    "clone",
    "as_ref",
    "as_mut",
    "borrow",
    "borrow_mut",
    "lock",
    "read",
    "write",
    "get",
    "get_mut",
    "get_or_init",
    "deref",
    "deref_mut",
    "by_ref",
];

/// Collections whose elements a `for` loop binds: `hs: Vec<JoinHandle<()>>`
/// makes `h` of `for h in hs` a `JoinHandle`.
pub(super) const COLLECTIONS: &[&str] = &["std::vec::Vec", "std::collections::VecDeque"];
/// The methods of a collection that give its elements to a `for` loop as
/// the collection itself does.
pub(super) const EACH_METHODS: &[&str] =
    &["into_iter", "iter", "iter_mut", "drain", "rev", "by_ref"];

/// Types and constructors that hold one value and are looked through:
/// `Arc<Condvar>`, `Mutex<Receiver<T>>`, `Some(rx)`, `Arc::new(pool)`.
pub(super) const WRAPPERS: &[&str] = &[
    "std::sync::{Arc, Mutex, RwLock, OnceLock, LazyLock}",
    "std::rc::Rc",
    "std::boxed::Box",
    "std::cell::{RefCell, OnceCell, LazyCell}",
    "std::option::Option",
    "std::result::Result",
    "std::io::Result",
    "once_cell::sync::{Lazy, OnceCell}",
    "tokio::sync::{Mutex, RwLock, OnceCell}",
];
/// Of the wrappers, the locks: their own `read`, `write`, `lock` are not
/// the value's (`RwLock<File>::read` takes the lock, and reads nothing).
pub(super) const LOCKS: &[&str] = &[
    "std::sync::{Mutex, RwLock}",
    "std::cell::RefCell",
    "tokio::sync::{Mutex, RwLock}",
];
/// The methods of a lock that give the value it holds (through a guard).
pub(super) const UNLOCKS: &[&str] = &[
    "lock",
    "read",
    "write",
    "try_lock",
    "try_read",
    "try_write",
    "borrow",
    "borrow_mut",
    "get_mut",
    "into_inner",
    "blocking_lock",
    "blocking_read",
    "blocking_write",
];
pub(super) const WRAPPING_CALLS: &[&str] = &[
    "std::sync::{Arc, Mutex, RwLock}::new",
    "std::sync::Arc::clone",
    "std::rc::Rc::{new, clone}",
    "std::boxed::Box::new",
    "std::cell::RefCell::new",
    "std::option::Option::Some",
    "std::result::Result::Ok",
    "tokio::sync::{Mutex, RwLock}::new",
];

/// The names of the prelude the checker needs to follow values through.
pub(super) const PRELUDE: &[(&str, &str)] = &[
    ("Some", "std::option::Option::Some"),
    ("Ok", "std::result::Result::Ok"),
    ("Box", "std::boxed::Box"),
    ("Vec", "std::vec::Vec"),
    ("Option", "std::option::Option"),
    ("Result", "std::result::Result"),
];

/// Calls whose closure arguments run on another thread, where blocking is
/// the point (by last segment, whoever declares them): bridge's pools and
/// `Dedicated`, tokio's `spawn_blocking` and `block_in_place`, threads,
/// rayon, and the blocking pools of other crates (`unblock`, `execute`,
/// deadpool's `interact`, actix's `web::block`).
/// std's fns that run a closure they are given on the calling thread: the
/// closures given to any other fn call that is not a method are not looked
/// into (a helper that returns a future most likely runs them elsewhere).
pub(super) const INLINE_RUNNERS: &[&str] = &[
    "std::iter::from_fn",
    "std::iter::repeat_with",
    "std::iter::successors",
    "std::array::from_fn",
    "std::panic::catch_unwind",
    "std::thread::scope",
    "std::option::Option::map",
    "std::result::Result::map",
];

pub(super) const THREAD_MOVERS: &[&str] = &[
    "io",
    "cpu",
    "run",
    "run_iter",
    "offload_iter",
    "spawn_blocking",
    "block_in_place",
    "call",
    "spawn",
    "spawn_named",
    "try_spawn",
    "spawn_fifo",
    "spawn_broadcast",
    "spawn_scoped",
    "execute",
    "unblock",
    "interact",
    "block",
];

/// Macros whose arguments are expressions, parsed and checked as such.
pub(super) const EXPR_MACROS: &[&str] = &[
    "print",
    "println",
    "eprint",
    "eprintln",
    "format",
    "format_args",
    "write",
    "writeln",
    "panic",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "vec",
    "dbg",
    "todo",
    "unimplemented",
    "unreachable",
    "join",
    "try_join",
];

/// Macros whose first argument only is an expression.
pub(super) const FIRST_EXPR_MACROS: &[&str] =
    &["matches", "assert_matches", "debug_assert_matches"];

/// `std::fs::{a, b}` → `std::fs::a`, `std::fs::b`.
pub(super) fn expand(pattern: &str) -> Vec<String> {
    match (pattern.find('{'), pattern.rfind('}')) {
        (Some(open), Some(close)) if open < close => {
            let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
            pattern[open + 1..close]
                .split(',')
                .map(|name| format!("{head}{}{tail}", name.trim()))
                .collect()
        }
        _ => vec![pattern.to_owned()],
    }
}

/// The tables, indexed once.
pub(super) struct Index {
    pub(super) paths: HashMap<String, Row>,
    pub(super) methods: HashMap<(Kind, String), Row>,
    pub(super) named: HashMap<String, Row>,
    pub(super) trait_methods: HashMap<String, (String, Row)>,
    /// `(kind, "writeln")`: a formatting macro into a value of that kind.
    pub(super) formatted: HashMap<(Kind, String), Row>,
    /// `(path, kind)`: a fn given a value of that kind.
    pub(super) given: HashMap<(String, Kind), Row>,
    /// `for .. in` a value of that kind.
    pub(super) iterated: HashMap<Kind, Row>,
    pub(super) makers: HashMap<String, Made>,
    pub(super) types: HashMap<String, Kind>,
    pub(super) steps: HashMap<(Kind, String), Kind>,
    pub(super) io_traits: HashSet<String>,
    pub(super) collections: HashSet<String>,
    pub(super) wrappers: HashSet<String>,
    /// Of `wrappers`, and of the types `wrapping_calls` make, the locks.
    pub(super) locks: HashSet<String>,
    pub(super) wrapping_calls: HashSet<String>,
    /// Every path the tables mention, and every prefix of one: what a glob
    /// import of a foreign module is known to bring in.
    pub(super) known: HashSet<String>,
    /// The crates the tables mention (`std`, `tokio`, `rayon`, ..).
    pub(super) crates: HashSet<String>,
}

pub(super) fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(build_index)
}

fn build_index() -> Index {
    let mut index = Index {
        paths: HashMap::new(),
        methods: HashMap::new(),
        named: HashMap::new(),
        trait_methods: HashMap::new(),
        formatted: HashMap::new(),
        given: HashMap::new(),
        iterated: HashMap::new(),
        makers: HashMap::new(),
        types: HashMap::new(),
        steps: HashMap::new(),
        io_traits: HashSet::new(),
        collections: HashSet::new(),
        wrappers: HashSet::new(),
        locks: HashSet::new(),
        wrapping_calls: HashSet::new(),
        known: HashSet::new(),
        crates: HashSet::new(),
    };
    let mut mentioned: Vec<String> = Vec::new();
    for row in BLOCKING {
        match row.call {
            Path(pattern) => {
                for path in expand(pattern) {
                    mentioned.push(path.clone());
                    index.paths.insert(path, *row);
                }
            }
            Method(kind, names) => {
                for name in expand(names) {
                    index.methods.insert((kind, name), *row);
                }
            }
            Named(name) => {
                index.named.insert(name.to_owned(), *row);
            }
            TraitMethod(trait_path, name) => {
                mentioned.push(trait_path.to_owned());
                index
                    .trait_methods
                    .insert(name.to_owned(), (trait_path.to_owned(), *row));
            }
            Formatted(kind, names) => {
                for name in expand(names) {
                    index.formatted.insert((kind, name), *row);
                }
            }
            Iterated(kind) => {
                index.iterated.insert(kind, *row);
            }
            Given(pattern, kind) => {
                for path in expand(pattern) {
                    mentioned.push(path.clone());
                    index.given.insert((path, kind), *row);
                }
            }
        }
    }
    for (pattern, made) in MAKERS {
        for path in expand(pattern) {
            mentioned.push(path.clone());
            index.makers.insert(path, *made);
        }
    }
    for (pattern, kind) in TYPES {
        for path in expand(pattern) {
            mentioned.push(path.clone());
            index.types.insert(path, *kind);
        }
    }
    for (kind, names, to) in STEPS {
        for name in expand(names) {
            index.steps.insert((*kind, name), *to);
        }
    }
    for pattern in IO_TRAITS {
        for path in expand(pattern) {
            mentioned.push(path.clone());
            index.io_traits.insert(path);
        }
    }
    for path in COLLECTIONS {
        mentioned.push((*path).to_owned());
        index.collections.insert((*path).to_owned());
    }
    for pattern in WRAPPERS {
        for path in expand(pattern) {
            mentioned.push(path.clone());
            index.wrappers.insert(path);
        }
    }
    for pattern in LOCKS {
        index.locks.extend(expand(pattern));
    }
    for pattern in WRAPPING_CALLS {
        for path in expand(pattern) {
            mentioned.push(path.clone());
            index.wrapping_calls.insert(path);
        }
    }
    for path in mentioned {
        let segments: Vec<&str> = path.split("::").collect();
        if let Some(first) = segments.first() {
            index.crates.insert((*first).to_owned());
        }
        for end in 1..=segments.len() {
            index.known.insert(segments[..end].join("::"));
        }
    }
    index
}

/// A row's message for a call shown as `call`, of method or last segment
/// `method`.
pub(super) fn message(row: &Row, call: &str, method: &str) -> String {
    row.message
        .replace("{call}", call)
        .replace("{method}", method)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_expand_to_one_path_each() {
        assert_eq!(
            expand("std::fs::{read, write}"),
            ["std::fs::read", "std::fs::write"]
        );
        assert_eq!(
            expand("std::sync::{Arc, Mutex}::new")[1],
            "std::sync::Mutex::new"
        );
        assert_eq!(expand("std::thread::sleep"), ["std::thread::sleep"]);
    }

    #[test]
    fn every_row_names_a_replacement() {
        for row in BLOCKING {
            let text = message(row, "x", "y");
            assert!(
                text.contains(": ") && !text.contains('{'),
                "a message says why, then what instead: {text}"
            );
        }
    }

    #[test]
    fn the_index_knows_prefixes_and_crates() {
        let index = index();
        assert!(index.known.contains("std::net"));
        assert!(index.known.contains("std::net::TcpStream"));
        assert!(index.crates.contains("tokio") && index.crates.contains("rayon"));
        assert!(index.paths.contains_key("std::fs::read_dir"));
        assert!(!index.paths.contains_key("tokio::fs::read"));
    }
}
