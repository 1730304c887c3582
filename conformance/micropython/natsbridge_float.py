# natsbridge_float.py - floats in JSON.stringify's form for natsbridge_mpy's JSON writer:
# ECMAScript Number::toString, with the shortest round-trip digits computed exactly on
# MicroPython (whose %g rounds ties away from zero and is not exact).
#
# A separate module so a board that never sends a float never loads it: natsbridge_mpy imports
# it on the first float it writes (docs/micropython.md, "Memory").
import struct
import sys

_IS_MICROPYTHON = sys.implementation.name == "micropython"
_INF = float("inf")


def _inside(c4, v4, lo, hi, inclusive):
    if inclusive:
        return v4 - lo <= c4 <= v4 + hi
    return v4 - lo < c4 < v4 + hi


def shortest_repr(x):
    """Shortest decimal that reads back as x, ties to even, in exact integer arithmetic (the
    ECMAScript Number::toString digit choice). Returns "ddd" or "d.ddde<exp>" (no sign)."""
    bits = int.from_bytes(struct.pack(">d", abs(x)), "big")
    E = (bits >> 52) & 0x7FF
    M = bits & 0xFFFFFFFFFFFFF
    if E == 0:
        m = M
        e = -1074
    else:
        m = M | (1 << 52)
        e = E - 1075
    # value = N * 10**-s exactly; the rounding interval half-widths are scaled by 4 to stay integral
    if e < 0:
        s = -e
        N = m * 5 ** s
        hi = 2 * 5 ** s
        lo = 5 ** s if (M == 0 and E > 1) else hi
    else:
        s = 0
        N = m << e
        hi = 1 << (e + 1)
        lo = (1 << e) if (M == 0 and E > 1) else hi
    V4 = 4 * N
    inclusive = (m % 2) == 0
    digits = str(N)
    L = len(digits)
    head = N
    cut = 0
    for p in range(1, 18):
        if L <= p:
            head = N
            cut = 0
            break
        cut = L - p
        pw = 10 ** cut
        f = N // pw
        rem = N - f * pw
        if rem == 0:
            head = f
            break
        # Only the two p-digit neighbours of the value can be inside its rounding interval
        # (which is lopsided below a power of two, so the nearer one is not always inside).
        in_f = _inside(4 * f * pw, V4, lo, hi, inclusive)
        in_c = _inside(4 * (f + 1) * pw, V4, lo, hi, inclusive)
        if in_f and in_c:
            d = 2 * rem - pw  # < 0: floor is nearer
            head = f if (d < 0 or (d == 0 and f % 2 == 0)) else f + 1
            break
        if in_f or in_c:
            head = f if in_f else f + 1
            break
    ds = str(head)
    exp10 = cut - s  # value = head * 10**exp10
    while len(ds) > 1 and ds[-1] == "0":
        ds = ds[:-1]
        exp10 += 1
    # as d.ddd e<exp>
    sci = len(ds) - 1 + exp10
    r = ds[0]
    if len(ds) > 1:
        r += "." + ds[1:]
    return r + "e" + str(sci)


def js_number(x):
    """ECMAScript Number::toString for a finite float."""
    if x != x or x == _INF or x == -_INF:
        raise ValueError("NaN and Infinity are not JSON")
    if x == 0:
        return "0"
    if _IS_MICROPYTHON:
        s = shortest_repr(x)  # MicroPython's %g rounds ties away from zero and is not exact
        if x < 0:
            s = "-" + s
    else:
        s = repr(x)  # CPython: shortest round-trip digits, like ECMAScript
    neg = s[0] == "-"
    if neg:
        s = s[1:]
    e = 0
    k = s.find("e")
    if k >= 0:
        e = int(s[k + 1:])
        s = s[:k]
    k = s.find(".")
    if k >= 0:
        digits = s[:k] + s[k + 1:]
        point = k + e
    else:
        digits = s
        point = len(s) + e
    while len(digits) > 1 and digits[0] == "0":
        digits = digits[1:]
        point -= 1
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    n = point
    if k <= n <= 21:
        r = digits + "0" * (n - k)
    elif 0 < n <= 21:
        r = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        r = "0." + "0" * (-n) + digits
    else:
        ex = n - 1
        r = digits[0]
        if k > 1:
            r += "." + digits[1:]
        r += "e" + ("+" if ex >= 0 else "-") + str(abs(ex))
    return ("-" + r) if neg else r
