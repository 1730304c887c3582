# natsbridge_float.py - shortest round-trip decimal digits of a double, for natsbridge_mpy's
# JSON writer on MicroPython (whose %g rounds ties away from zero and is not exact).
#
# A separate module so a board that never sends a float never loads it: natsbridge_mpy imports
# it on the first float it writes (docs/micropython.md, "Memory").
import struct


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
