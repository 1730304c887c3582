#!/usr/bin/env python3
"""Run conformance/vectors/*.json against natsbridge_mpy.py on CPython.

    python3 conformance/python/run_vectors.py            # exit 1 on any failure
    python3 -m pytest conformance/python/run_vectors.py  # same, as a pytest test

The checks themselves live in conformance/micropython/vector_runner.py, which the MicroPython
runner (conformance/micropython/run-mpy.mjs) executes unchanged on the real MicroPython runtime.
Standard library only.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CONF = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(CONF, "micropython"))

import vector_runner  # noqa: E402


def run(quiet=False):
    return vector_runner.run_dir(os.path.join(CONF, "vectors"), quiet=quiet)


def test_vectors_on_cpython():
    s = run(quiet=True)
    assert s["vectors"] > 0, "no vectors found"
    assert s["failed"] == 0, "\n".join(f"{vid}: {why}" for vid, why in s["failures"])


if __name__ == "__main__":
    s = run()
    sys.exit(1 if s["failed"] or not s["vectors"] else 0)
