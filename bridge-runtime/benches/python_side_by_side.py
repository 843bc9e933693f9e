#!/usr/bin/env python3
"""What the Python code that bridge replaces costs per call, on this machine.

The Python side of the comparison in BENCHMARKS.md ("Side by side with
Python's asyncio"). Run it through the wrapper, which makes a venv under
`target/` with pinned anyio and asgiref:

    bash bridge-runtime/benches/python_side_by_side.sh

and bridge's own rows in the same session with

    cargo bench -p bridge-runtime --bench overhead

Measured, with a trivial body (`lambda: x + 1`, a coroutine returning
`x + 1`):

* a sync function called from async code, one call at a time (each awaited
  before the next) and 10,000 calls at once (`asyncio.gather`):
  `loop.run_in_executor(None, f)`, `asyncio.to_thread(f)`, anyio's
  `to_thread.run_sync(f)` and asgiref's `sync_to_async(f)`, the latter with
  `thread_sensitive=False` (the loop's default executor) and with its
  default `thread_sensitive=True` (one shared thread);
* a coroutine called from sync code: `asyncio.run(coro)` per call, and, for
  reference, `asyncio.Runner().run(coro)` on one runner kept for all calls.

How: the event loop runs for the whole benchmark in a thread of its own,
inside `anyio.run(..., backend="asyncio")` (a plain asyncio loop with
anyio's asyncio backend, so anyio's worker threads live as long as the
loop, as in a server). The main thread drives the rounds and makes the
sync-to-async calls itself, from plain code with no loop, like
`#[blocking]` from plain code. Every round runs every variant once, in an
order rotated round by round, so background load on the shared machine
falls on all variants alike. Reported: the median time per call over the
rounds and the range (fastest and slowest round). Standard library only,
plus anyio and asgiref.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import Awaitable, Callable

try:
    import anyio
    import anyio.to_thread
    from asgiref.sync import sync_to_async
except ImportError as err:  # pragma: no cover - a message, not a path
    sys.exit(
        f"{err}: run this through bridge-runtime/benches/python_side_by_side.sh, "
        "which installs the pinned anyio and asgiref in a venv under target/"
    )

BATCH = 10_000

x = 1


# The trivial body every crossing runs.
f = lambda: x + 1  # noqa: E731


async def coro() -> int:
    return x + 1


# asgiref's wrappers are built once, as a decorated function would be.
s2a_not_sensitive = sync_to_async(f, thread_sensitive=False)
s2a_sensitive = sync_to_async(f)  # the default: thread_sensitive=True


def one_call_async(kind: str) -> Callable[[], Awaitable[int]]:
    """A zero-argument coroutine function making one crossing of `kind`."""
    if kind == "run_in_executor":

        def call() -> Awaitable[int]:
            return asyncio.get_running_loop().run_in_executor(None, f)

    elif kind == "to_thread":

        def call() -> Awaitable[int]:
            return asyncio.to_thread(f)

    elif kind == "anyio":

        def call() -> Awaitable[int]:
            return anyio.to_thread.run_sync(f)

    elif kind == "asgiref_not_sensitive":

        def call() -> Awaitable[int]:
            return s2a_not_sensitive()

    elif kind == "asgiref_sensitive":

        def call() -> Awaitable[int]:
            return s2a_sensitive()

    else:
        raise ValueError(kind)
    return call


async def sequential(call: Callable[[], Awaitable[int]], n: int) -> int:
    """`n` calls, each awaited before the next; nanoseconds taken."""
    start = time.perf_counter_ns()
    total = 0
    for _ in range(n):
        total += await call()
    elapsed = time.perf_counter_ns() - start
    if total != n * (x + 1):
        raise AssertionError(f"wrong results: {total}")
    return elapsed


async def gathered(call: Callable[[], Awaitable[int]], n: int) -> int:
    """`n` calls in flight at once (`asyncio.gather`); nanoseconds taken."""
    start = time.perf_counter_ns()
    results = await asyncio.gather(*(call() for _ in range(n)))
    elapsed = time.perf_counter_ns() - start
    if sum(results) != n * (x + 1):
        raise AssertionError("wrong results")
    return elapsed


def asyncio_run_per_call(n: int) -> int:
    start = time.perf_counter_ns()
    total = 0
    for _ in range(n):
        total += asyncio.run(coro())
    elapsed = time.perf_counter_ns() - start
    if total != n * (x + 1):
        raise AssertionError(f"wrong results: {total}")
    return elapsed


_runner: asyncio.Runner | None = None


def runner_reused(n: int) -> int:
    start = time.perf_counter_ns()
    total = 0
    for _ in range(n):
        total += _runner.run(coro())
    elapsed = time.perf_counter_ns() - start
    if total != n * (x + 1):
        raise AssertionError(f"wrong results: {total}")
    return elapsed


class LoopThread:
    """An event loop under anyio's asyncio backend, in a thread of its own,
    running coroutines sent from the main thread until closed."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="event-loop")
        self._thread.start()
        self._ready.wait()

    def _main(self) -> None:
        anyio.run(self._serve, backend="asyncio")

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._ready.set()
        await self._stop.wait()

    def run(self, coroutine: Awaitable[int]) -> int:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()


@dataclass
class Variant:
    case: str  # the row group
    name: str  # what the Python code calls
    bridge_row: str  # the matching row of `cargo bench --bench overhead`
    calls: int  # calls per round
    measure: Callable[[int], int]  # calls -> nanoseconds
    per_call_ns: list[float] = field(default_factory=list)


def build_variants(loop: LoopThread, args: argparse.Namespace) -> list[Variant]:
    variants = []
    kinds = [
        ("run_in_executor", "loop.run_in_executor(None, f)"),
        ("to_thread", "asyncio.to_thread(f)"),
        ("anyio", "anyio.to_thread.run_sync(f)"),
        ("asgiref_not_sensitive", "sync_to_async(f, thread_sensitive=False)"),
        ("asgiref_sensitive", "sync_to_async(f)  (thread_sensitive=True)"),
    ]
    for kind, name in kinds:
        call = one_call_async(kind)
        variants.append(
            Variant(
                "sync fn from async, one at a time",
                name,
                "io_one_at_a_time/offload_io",
                args.calls,
                lambda n, call=call: loop.run(sequential(call, n)),
            )
        )
    for kind, name in kinds:
        call = one_call_async(kind)
        variants.append(
            Variant(
                f"sync fn from async, {args.batch:,} at once",
                name,
                "io_10000_at_once/offload_io",
                args.batch,
                lambda n, call=call: loop.run(gathered(call, n)),
            )
        )
    variants.append(
        Variant(
            "async fn from sync code",
            "asyncio.run(coro())",
            "blocking_from_plain_code/blocking",
            args.run_calls,
            asyncio_run_per_call,
        )
    )
    variants.append(
        Variant(
            "async fn from sync code",
            "asyncio.Runner().run(coro()), one runner kept",
            "blocking_from_plain_code/blocking",
            args.calls,
            runner_reused,
        )
    )
    return variants


def versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "anyio": metadata.version("anyio"),
        "asgiref": metadata.version("asgiref"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
        "default executor threads": str(min(32, (os.cpu_count() or 1) + 4)),
        "load average at start": " ".join(f"{v:.2f}" for v in os.getloadavg()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=11, help="rounds (default 11)")
    parser.add_argument(
        "--calls",
        type=int,
        default=500,
        help="calls per round, one at a time (default 500)",
    )
    parser.add_argument(
        "--batch", type=int, default=BATCH, help="calls at once (default 10000)"
    )
    parser.add_argument(
        "--run-calls",
        type=int,
        default=500,
        help="asyncio.run calls per round (default 500)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write every round here")
    args = parser.parse_args()
    if args.rounds < 1 or args.calls < 1 or args.batch < 1 or args.run_calls < 1:
        parser.error("counts must be positive")

    global _runner
    _runner = asyncio.Runner()
    loop = LoopThread()
    variants = build_variants(loop, args)

    info = versions()
    for key, value in info.items():
        print(f"{key:<25} {value}")
    print(
        f"rounds {args.rounds}; per round: {args.calls} calls one at a time, "
        f"{args.batch} at once, {args.run_calls} asyncio.run calls",
        flush=True,
    )

    # Warm up: executors and worker threads started, code paths taken once.
    for v in variants:
        v.measure(min(v.calls, 200))
    gc.collect()

    started = time.monotonic()
    for round_ in range(args.rounds):
        k = round_ % len(variants)
        for v in variants[k:] + variants[:k]:
            v.per_call_ns.append(v.measure(v.calls) / v.calls)
        print(f"  round {round_ + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    wall = time.monotonic() - started

    loop.close()
    _runner.close()

    print(f"\nmedian time per call over {args.rounds} rounds (range: fastest - slowest round)\n")
    header = ("case", "Python", "median µs/call", "range µs/call", "bridge row")
    rows = []
    for v in variants:
        us = [ns / 1000 for ns in v.per_call_ns]
        rows.append(
            (
                v.case,
                v.name,
                f"{statistics.median(us):.2f}",
                f"{min(us):.2f} - {max(us):.2f}",
                v.bridge_row,
            )
        )
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for r in [header, tuple("-" * w for w in widths)] + rows:
        print(
            "  ".join(
                c.rjust(w) if i in (2, 3) else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths))
            )
        )
    print(f"\nmeasured for {wall:.0f} s")

    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(
                {
                    "versions": info,
                    "args": vars(args),
                    "variants": [
                        {
                            "case": v.case,
                            "python": v.name,
                            "bridge_row": v.bridge_row,
                            "calls_per_round": v.calls,
                            "per_call_ns": v.per_call_ns,
                        }
                        for v in variants
                    ],
                },
                out,
                indent=1,
            )


if __name__ == "__main__":
    main()
