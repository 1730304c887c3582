#!/usr/bin/env python3
"""natsbridge_mpy.py on CPython, driven over stdin/stdout by the TypeScript round-trip tests.

    echo '["{...envelope json...}"]' | python3 conformance/python/mpy_bridge.py decode
    echo '[{"subject": "/x", "payloads": [["n", "hi", "text"]], "options": {}}]' | \
        python3 conformance/python/mpy_bridge.py encode

Same functions (vector_runner.rt_decode / rt_encode) the MicroPython-wasm runner calls.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "micropython"))

import vector_runner  # noqa: E402

if __name__ == "__main__":
    op = sys.argv[1] if len(sys.argv) > 1 else ""
    fn = {"decode": vector_runner.rt_decode, "encode": vector_runner.rt_encode, "reencode": vector_runner.rt_reencode}.get(op)
    if fn is None:
        sys.exit("usage: mpy_bridge.py decode|encode|reencode < input.json")
    sys.stdout.write(fn(sys.stdin.buffer.read().decode("utf-8")))
