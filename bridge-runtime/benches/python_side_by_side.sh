#!/usr/bin/env bash
# The Python side of BENCHMARKS.md's "Side by side with Python's asyncio":
# makes a venv under target/ with the machine's python3, installs the pinned
# anyio and asgiref into it, and runs python_side_by_side.py with the given
# arguments (--help lists them).
#
#   bash bridge-runtime/benches/python_side_by_side.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/target/python-side-by-side"
python="${PYTHON:-python3}"

# anyio and asgiref pinned, and what they pull in on Python 3.11.
pins=(anyio==4.16.0 asgiref==3.13.0 idna==3.20 typing_extensions==4.16.0)

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
exec "$venv/bin/python" "$here/python_side_by_side.py" "$@"
