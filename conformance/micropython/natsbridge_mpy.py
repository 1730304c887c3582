# natsbridge_mpy.py - NATSBridge envelope codec and NATS client for MicroPython (and CPython).
#
# Reference implementation of docs/wire-format.md for constrained devices:
#   * strict in what it sends (byte-identical to natsbridge's JSON.stringify output),
#   * lenient but never silently wrong in what it accepts (Julia, Python, MicroPython and
#     older-README peers), rejecting malformed envelopes with the same error codes as the
#     TypeScript library (NatsBridgeError.code).
#
# Only what MicroPython has: json is NOT used (MicroPython's json.loads accepts trailing commas,
# missing colons and does not join \ud83d\ude00 surrogate pairs; its dicts are unordered), so
# this module carries a small strict JSON reader/writer. No f-strings, no typing, no
# dataclasses, no time.strftime, no str.format specs beyond %-formatting.
#
# API (mirrors the seeds):
#   env, json_str = smartsend(subject, [(dataname, data, payload_type), ...], **options)
#   env = smartreceive(msg_or_bytes_or_str_or_dict, **options)
#   NATSClient(url).connect() / publish / subscribe / next_msg / request / flush / close
#   NatsBridgeError(code, message).code  - one of ERROR_CODES

try:
    import ubinascii as binascii
except ImportError:
    import binascii
try:
    import os
except ImportError:
    import uos as os
import random
import struct
import sys
import time

VERSION = "0.1.0"
DEFAULT_BROKER_URL = "nats://localhost:4222"
DEFAULT_FILESERVER_URL = "http://localhost:8080"
# The seeds' MicroPython threshold (memory); desktop peers use 1_000_000.
DEFAULT_SIZE_THRESHOLD = 100000
DEFAULT_MAX_PAYLOAD = 1048576

ERROR_CODES = (
    "INVALID_PAYLOAD_TYPE",
    "UPLOAD_FAILED",
    "DOWNLOAD_FAILED",
    "INVALID_TRANSPORT",
    "NATS_CONNECTION_FAILED",
    "DESERIALIZATION_ERROR",
    "INVALID_ENVELOPE",
    "SERIALIZATION_ERROR",
    "ENVELOPE_TOO_LARGE",
    "INVALID_OPTIONS",
)

PAYLOAD_TYPES = ("text", "dictionary", "jsontable", "arrowtable", "image", "audio", "video", "binary")
BYTES_TYPES = ("image", "audio", "video", "binary")

ENVELOPE_FIELDS = (
    "correlation_id", "msg_id", "timestamp", "send_to", "msg_purpose", "sender_name", "sender_id",
    "receiver_name", "receiver_id", "reply_to", "reply_to_msg_id", "broker_url", "metadata", "payloads",
)
OPTIONAL_STRING_FIELDS = (
    "msg_purpose", "sender_name", "sender_id", "receiver_name", "receiver_id", "reply_to",
    "reply_to_msg_id", "broker_url",
)
PAYLOAD_FIELDS = ("id", "dataname", "payload_type", "transport", "encoding", "size", "data", "metadata")

_IS_MICROPYTHON = sys.implementation.name == "micropython"

try:
    from collections import OrderedDict
except ImportError:  # very small ports
    try:
        from ucollections import OrderedDict
    except ImportError:
        OrderedDict = dict


class NatsBridgeError(Exception):
    """The one error type; branch on .code (same strings as the TypeScript library)."""

    def __init__(self, code, message, correlation_id=None):
        super().__init__(code + ": " + message)
        self.code = code
        self.message = message
        self.correlation_id = correlation_id


def _err(code, message, correlation_id=None):
    return NatsBridgeError(code, message, correlation_id)


# ------------------------------------------------------------------ logging

_logger = None


def set_logger(fn):
    """fn(line) receives trace lines; None silences them (the default)."""
    global _logger
    _logger = fn


def log_trace(correlation_id, message, log=None):
    sink = log if callable(log) else (_print_line if log is True else _logger)
    if sink is None:
        return
    sink("[" + now_iso() + "] [Correlation: " + str(correlation_id) + "] " + message)


def _print_line(line):
    print(line)


# ------------------------------------------------------------------ time, ids

def now_iso():
    """UTC now as 2026-03-13T07:02:50.443Z (same shape as JS toISOString)."""
    ms = 0
    try:
        ns = time.time_ns()
        secs = ns // 1000000000
        ms = (ns // 1000000) % 1000
    except AttributeError:
        secs = int(time.time())
    t = time.gmtime(secs)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (t[0], t[1], t[2], t[3], t[4], t[5], ms)


_seeded = False


def _random_bytes(n):
    global _seeded
    urandom = getattr(os, "urandom", None)
    if urandom is not None:
        try:
            return bytearray(urandom(n))
        except Exception:
            pass
    if not _seeded:
        # Keep whatever entropy the port seeded with and stir in the clock, so two boots at
        # different times do not replay the same ids on ports without a hardware RNG.
        t = 0
        try:
            t = time.ticks_us()
        except AttributeError:
            t = int(time.time() * 1000000)
        try:
            random.seed((random.getrandbits(30) ^ t) & 0x3FFFFFFF)
        except Exception:
            pass
        _seeded = True
    b = bytearray(n)
    for i in range(n):
        b[i] = random.getrandbits(8)
    return b


def uuid4():
    """RFC 4122 version 4 UUID, lowercase."""
    b = _random_bytes(16)
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = binascii.hexlify(bytes(b)).decode()
    return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]


# ------------------------------------------------------------------ UTF-8

def utf8_check(b):
    """Raise ValueError unless b is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF).

    CPython's decoder is already strict; MicroPython's is not, so it gets the explicit loop.
    """
    if not _IS_MICROPYTHON:
        try:
            bytes(b).decode("utf-8")
        except UnicodeError:
            raise ValueError("invalid UTF-8")
        return
    n = len(b)
    i = 0
    while i < n:
        c = b[i]
        if c < 0x80:
            i += 1
            continue
        if 0xC2 <= c <= 0xDF:
            need = 1
            lo = 0x80
            hi = 0xBF
        elif c == 0xE0:
            need = 2
            lo = 0xA0
            hi = 0xBF
        elif c == 0xED:
            need = 2
            lo = 0x80
            hi = 0x9F
        elif 0xE1 <= c <= 0xEF:
            need = 2
            lo = 0x80
            hi = 0xBF
        elif c == 0xF0:
            need = 3
            lo = 0x90
            hi = 0xBF
        elif 0xF1 <= c <= 0xF3:
            need = 3
            lo = 0x80
            hi = 0xBF
        elif c == 0xF4:
            need = 3
            lo = 0x80
            hi = 0x8F
        else:
            raise ValueError("invalid UTF-8 lead byte at %d" % i)
        if i + need >= n:
            raise ValueError("truncated UTF-8 sequence at %d" % i)
        c1 = b[i + 1]
        if c1 < lo or c1 > hi:
            raise ValueError("invalid UTF-8 continuation at %d" % (i + 1))
        j = 2
        while j <= need:
            cj = b[i + j]
            if cj < 0x80 or cj > 0xBF:
                raise ValueError("invalid UTF-8 continuation at %d" % (i + j))
            j += 1
        i += need + 1


def utf8_decode(b):
    utf8_check(b)
    return bytes(b).decode("utf-8")


# ------------------------------------------------------------------ base64

_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_OK = bytearray(256)
for _c in _B64_ALPHABET:
    _B64_OK[_c] = 1


def b64encode(b):
    """Standard padded base64 as str, no newline (binascii adds one)."""
    if len(b) == 0:
        return ""
    r = binascii.b2a_base64(bytes(b))
    if r[-1:] == b"\n":
        r = r[:-1]
    return r.decode()


def b64decode(s):
    """Standard alphabet, padding optional, ASCII whitespace ignored; anything else ValueError."""
    if isinstance(s, str):
        s = s.encode()
    s = bytes(s)
    for ws in (b"\n", b"\r", b"\t", b" "):
        if s.find(ws) >= 0:
            s = s.replace(ws, b"")
    eq = 0
    if s[-2:] == b"==":
        eq = 2
    elif s[-1:] == b"=":
        eq = 1
    body = s[: len(s) - eq]
    if _IS_MICROPYTHON:
        for c in body:
            if not _B64_OK[c]:
                raise ValueError("invalid base64 character")
    elif len(body.translate(None, _B64_ALPHABET)) != 0:
        raise ValueError("invalid base64 character")
    rem = len(s) % 4
    if rem == 1:
        raise ValueError("invalid base64 length")
    if eq > 0:
        if rem != 0:
            raise ValueError("invalid base64 padding")
    elif rem != 0:
        s = s + b"=" * (4 - rem)
    if len(s) == 0:
        return b""
    return bytes(binascii.a2b_base64(s))


def b64decoded_length(s):
    return len(b64decode(s))


# ------------------------------------------------------------------ JSON (strict reader)

_WS_BYTES = (0x20, 0x09, 0x0A, 0x0D)
_ESCAPES = {0x22: '"', 0x5C: "\\", 0x2F: "/", 0x62: "\b", 0x66: "\f", 0x6E: "\n", 0x72: "\r", 0x74: "\t"}
_MAX_DEPTH = 200


def json_loads(data, ordered=False):
    """RFC 8259 JSON from str or UTF-8 bytes. Integers of any size stay exact (int), surrogate
    pairs are joined, and anything MicroPython's json would wave through (trailing commas,
    missing separators, bare control characters, NaN) is a ValueError. ordered=True keeps object
    key order (OrderedDict), which is what makes byte-exact re-encoding possible on MicroPython."""
    if isinstance(data, str):
        b = data.encode("utf-8")
    else:
        b = bytes(data)
        utf8_check(b)
    i = _skip_ws(b, 0)
    v, i = _parse_value(b, i, ordered, 0)
    i = _skip_ws(b, i)
    if i != len(b):
        raise ValueError("unexpected data after JSON value at %d" % i)
    return v


def _skip_ws(b, i):
    n = len(b)
    while i < n and b[i] in _WS_BYTES:
        i += 1
    return i


def _parse_value(b, i, ordered, depth):
    if i >= len(b):
        raise ValueError("unexpected end of JSON")
    c = b[i]
    if c == 0x22:
        return _parse_string(b, i + 1)
    if c == 0x7B:
        return _parse_object(b, i + 1, ordered, depth + 1)
    if c == 0x5B:
        return _parse_array(b, i + 1, ordered, depth + 1)
    if c == 0x74:
        if b[i:i + 4] == b"true":
            return True, i + 4
    elif c == 0x66:
        if b[i:i + 5] == b"false":
            return False, i + 5
    elif c == 0x6E:
        if b[i:i + 4] == b"null":
            return None, i + 4
    elif c == 0x2D or 0x30 <= c <= 0x39:
        return _parse_number(b, i)
    raise ValueError("unexpected character at %d" % i)


def _digits(b, j, n):
    k = j
    while k < n and 0x30 <= b[k] <= 0x39:
        k += 1
    return k


def _parse_number(b, i):
    n = len(b)
    j = i
    if b[j] == 0x2D:
        j += 1
    if j < n and b[j] == 0x30:
        j += 1
    elif j < n and 0x31 <= b[j] <= 0x39:
        j = _digits(b, j + 1, n)
    else:
        raise ValueError("invalid number at %d" % i)
    is_int = True
    if j < n and b[j] == 0x2E:
        k = _digits(b, j + 1, n)
        if k == j + 1:
            raise ValueError("invalid number at %d" % i)
        j = k
        is_int = False
    if j < n and (b[j] == 0x65 or b[j] == 0x45):
        j += 1
        if j < n and (b[j] == 0x2B or b[j] == 0x2D):
            j += 1
        k = _digits(b, j, n)
        if k == j:
            raise ValueError("invalid number at %d" % i)
        j = k
        is_int = False
    s = b[i:j].decode()
    if is_int:
        return int(s), j
    return float(s), j


def _check_plain(b, start, end):
    for k in range(start, end):
        if b[k] < 0x20:
            raise ValueError("control character in string at %d" % k)


def _parse_string(b, i):
    # Fast path: no backslash before the closing quote.
    q = b.find(b'"', i)
    if q < 0:
        raise ValueError("unterminated string")
    bs = b.find(b"\\", i, q)
    if bs < 0:
        _check_plain(b, i, q)
        return b[i:q].decode("utf-8"), q + 1
    out = bytearray()
    n = len(b)
    j = i
    while True:
        q = b.find(b'"', j)
        if q < 0:
            raise ValueError("unterminated string")
        bs = b.find(b"\\", j, q)
        if bs < 0:
            _check_plain(b, j, q)
            out += b[j:q]
            return bytes(out).decode("utf-8"), q + 1
        _check_plain(b, j, bs)
        out += b[j:bs]
        if bs + 1 >= n:
            raise ValueError("unterminated escape")
        e = b[bs + 1]
        if e == 0x75:
            cp = _hex4(b, bs + 2)
            j = bs + 6
            if 0xD800 <= cp <= 0xDBFF:
                if b[j:j + 2] == b"\\u":
                    lo = _hex4(b, j + 2)
                    if 0xDC00 <= lo <= 0xDFFF:
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                        j += 6
                    else:
                        raise ValueError("unpaired surrogate escape at %d" % bs)
                else:
                    raise ValueError("unpaired surrogate escape at %d" % bs)
            elif 0xDC00 <= cp <= 0xDFFF:
                raise ValueError("unpaired surrogate escape at %d" % bs)
            out += chr(cp).encode("utf-8")
        else:
            ch = _ESCAPES.get(e)
            if ch is None:
                raise ValueError("invalid escape at %d" % bs)
            out += ch.encode()
            j = bs + 2


def _hex4(b, i):
    h = b[i:i + 4]
    if len(h) != 4:
        raise ValueError("truncated \\u escape")
    for c in h:
        if not (0x30 <= c <= 0x39 or 0x41 <= c <= 0x46 or 0x61 <= c <= 0x66):
            raise ValueError("invalid \\u escape")
    return int(h.decode(), 16)


def _parse_array(b, i, ordered, depth):
    if depth > _MAX_DEPTH:
        raise ValueError("JSON nested too deeply")
    out = []
    i = _skip_ws(b, i)
    if i < len(b) and b[i] == 0x5D:
        return out, i + 1
    while True:
        i = _skip_ws(b, i)
        v, i = _parse_value(b, i, ordered, depth)
        out.append(v)
        i = _skip_ws(b, i)
        if i >= len(b):
            raise ValueError("unterminated array")
        c = b[i]
        if c == 0x2C:
            i += 1
        elif c == 0x5D:
            return out, i + 1
        else:
            raise ValueError("expected , or ] at %d" % i)


def _parse_object(b, i, ordered, depth):
    if depth > _MAX_DEPTH:
        raise ValueError("JSON nested too deeply")
    out = OrderedDict() if ordered else {}
    i = _skip_ws(b, i)
    if i < len(b) and b[i] == 0x7D:
        return out, i + 1
    while True:
        i = _skip_ws(b, i)
        if i >= len(b) or b[i] != 0x22:
            raise ValueError("expected object key at %d" % i)
        k, i = _parse_string(b, i + 1)
        i = _skip_ws(b, i)
        if i >= len(b) or b[i] != 0x3A:
            raise ValueError("expected : at %d" % i)
        i = _skip_ws(b, i + 1)
        v, i = _parse_value(b, i, ordered, depth)
        if k in out:
            del out[k]  # last one wins, as in JSON.parse; keeps the order JS would report
        out[k] = v
        i = _skip_ws(b, i)
        if i >= len(b):
            raise ValueError("unterminated object")
        c = b[i]
        if c == 0x2C:
            i += 1
        elif c == 0x7D:
            return out, i + 1
        else:
            raise ValueError("expected , or } at %d" % i)


# ------------------------------------------------------------------ JSON (JS-compatible writer)

_CTRL_ESC = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}
_INF = float("inf")


def json_dumps(v):
    """Compact JSON exactly as JavaScript's JSON.stringify writes it (natsbridge's wire form):
    no spaces, non-ASCII as raw UTF-8, numbers in ECMAScript Number::toString form (1 not 1.0,
    1e+21, 1e-7), ints of any size as plain literals (natsbridge's bigint rule)."""
    out = []
    _dump(v, out, 0)
    return "".join(out)


def _dump(v, out, depth):
    if depth > _MAX_DEPTH:
        raise ValueError("value nested too deeply")
    if v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, str):
        out.append(js_string(v))
    elif isinstance(v, int):
        out.append(str(v))
    elif isinstance(v, float):
        out.append(js_number(v))
    elif isinstance(v, dict):
        out.append("{")
        first = True
        for k in v:
            if isinstance(k, str):
                ks = k
            elif isinstance(k, int) and not isinstance(k, bool):
                ks = str(k)
            else:
                raise ValueError("object keys must be strings")
            if not first:
                out.append(",")
            first = False
            out.append(js_string(ks))
            out.append(":")
            _dump(v[k], out, depth + 1)
        out.append("}")
    elif isinstance(v, (list, tuple)):
        out.append("[")
        first = True
        for x in v:
            if not first:
                out.append(",")
            first = False
            _dump(x, out, depth + 1)
        out.append("]")
    else:
        raise ValueError("not JSON-serializable: " + type(v).__name__)


def js_string(s):
    plain = True
    for ch in s:
        o = ord(ch)
        if o < 0x20 or o == 0x22 or o == 0x5C or 0xD800 <= o <= 0xDFFF:
            plain = False
            break
    if plain:
        return '"' + s + '"'
    out = ['"']
    for ch in s:
        o = ord(ch)
        if o < 0x20 or o == 0x22 or o == 0x5C:
            e = _CTRL_ESC.get(ch)
            out.append(e if e is not None else "\\u%04x" % o)
        elif 0xD800 <= o <= 0xDFFF:  # lone surrogate (CPython only): JSON.stringify escapes it
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


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


# ------------------------------------------------------------------ tables

def _is_record(v):
    return isinstance(v, dict)


def to_rows(data):
    """jsontable rows: an array of row objects or row arrays passes through; an object of
    equal-length column arrays becomes row objects. None when data is neither."""
    if isinstance(data, (list, tuple)):
        for r in data:
            if not (isinstance(r, dict) or isinstance(r, (list, tuple))):
                return None
        return list(data)
    if not isinstance(data, dict):
        return None
    names = list(data.keys())
    n = None
    for name in names:
        col = data[name]
        if not isinstance(col, (list, tuple)):
            return None
        if n is None:
            n = len(col)
        elif len(col) != n:
            return None
    rows = []
    for i in range(n or 0):
        row = OrderedDict()
        for name in names:
            row[name] = data[name][i]
        rows.append(row)
    return rows


def looks_like_arrow_ipc(b):
    """File format (ARROW1 magic) or stream format (0xFFFFFFFF continuation, or a bare
    little-endian metadata length from pre-0.15 writers) - the same test as natsbridge."""
    if len(b) < 8:
        return False
    if b[0:6] == b"ARROW1":
        return True
    if b[0] == 0xFF and b[1] == 0xFF and b[2] == 0xFF and b[3] == 0xFF:
        return True
    ln = b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)
    return 0 < ln <= len(b) - 4


def _as_bytes(v):
    if isinstance(v, bytes):
        return v
    if isinstance(v, (bytearray, memoryview)):
        return bytes(v)
    return None


# ------------------------------------------------------------------ serializers

def serialize(data, payload_type):
    """Value -> the bytes that travel (before base64)."""
    if payload_type not in PAYLOAD_TYPES:
        raise _err("INVALID_PAYLOAD_TYPE", "unknown payload_type: " + repr(payload_type))
    if payload_type == "text":
        if not isinstance(data, str):
            raise _err("SERIALIZATION_ERROR", "text data must be a str")
        try:
            b = data.encode("utf-8")
            if _IS_MICROPYTHON:
                utf8_check(b)  # MicroPython lets chr(0xD800) into a str and encodes it as CESU-8
            return b
        except (UnicodeError, ValueError):
            raise _err("SERIALIZATION_ERROR", "text is not encodable as UTF-8 (lone surrogate?)")
    if payload_type == "dictionary":
        return _json_bytes(data, "dictionary")
    if payload_type == "jsontable":
        rows = to_rows(data)
        if rows is None:
            raise _err("SERIALIZATION_ERROR",
                       "jsontable data must be a list of rows (dicts or lists) or a dict of equal-length columns")
        return _json_bytes(rows, "jsontable")
    b = _as_bytes(data)
    if payload_type == "arrowtable":
        # A device cannot build Arrow; it can forward Arrow IPC bytes it was given.
        if b is None or not looks_like_arrow_ipc(b):
            raise _err("SERIALIZATION_ERROR", "arrowtable data must be Arrow IPC bytes on MicroPython")
        return b
    if b is None:
        raise _err("SERIALIZATION_ERROR", payload_type + " data must be bytes, bytearray or memoryview")
    return b


def _json_bytes(data, what):
    try:
        return json_dumps(data).encode("utf-8")
    except (ValueError, TypeError, UnicodeError) as e:
        raise _err("SERIALIZATION_ERROR", what + " data is not JSON-serializable: " + str(e))


def deserialize(b, payload_type):
    """Bytes -> value. arrowtable stays raw Arrow IPC bytes (no Arrow on MicroPython)."""
    if payload_type == "text":
        try:
            return utf8_decode(b)
        except (ValueError, UnicodeError):
            raise _err("DESERIALIZATION_ERROR", "payload is not valid UTF-8")
    if payload_type == "dictionary" or payload_type == "jsontable":
        try:
            v = json_loads(b)
        except (ValueError, UnicodeError) as e:
            raise _err("DESERIALIZATION_ERROR", payload_type + " payload is not valid JSON: " + str(e))
        if payload_type == "dictionary":
            return v
        rows = to_rows(v)
        if rows is None:
            raise _err("DESERIALIZATION_ERROR", "jsontable payload is neither an array of rows nor an object of columns")
        return rows
    if payload_type == "arrowtable":
        if not looks_like_arrow_ipc(b):
            raise _err("DESERIALIZATION_ERROR", "arrowtable payload is not Arrow IPC (file or stream format)")
        return bytes(b)
    if payload_type in BYTES_TYPES:
        return bytes(b)
    raise _err("INVALID_PAYLOAD_TYPE", "unknown payload_type: " + repr(payload_type))


# ------------------------------------------------------------------ envelope JSON

def payload_to_json(p):
    parts = []
    for k in PAYLOAD_FIELDS:
        if k == "data" and p["encoding"] == "base64":
            parts.append('"data":"' + p[k] + '"')  # base64 needs no escaping: skip the scan
            continue
        parts.append(js_string(k) + ":" + json_dumps(p[k]))
    return "{" + ",".join(parts) + "}"


def envelope_to_json(env):
    """The envelope in wire field order (MicroPython dicts are unordered)."""
    parts = []
    for k in ENVELOPE_FIELDS:
        if k == "payloads":
            parts.append('"payloads":[' + ",".join([payload_to_json(p) for p in env["payloads"]]) + "]")
        else:
            parts.append(js_string(k) + ":" + json_dumps(env[k]))
    return "{" + ",".join(parts) + "}"


def _direct_payload(pid, dataname, payload_type, size, b64):
    return {"id": pid, "dataname": dataname, "payload_type": payload_type, "transport": "direct",
            "encoding": "base64", "size": size, "data": b64, "metadata": {"payload_bytes": size}}


def _link_payload(pid, dataname, payload_type, size, url):
    return {"id": pid, "dataname": dataname, "payload_type": payload_type, "transport": "link",
            "encoding": "none", "size": size, "data": url, "metadata": {}}


# ------------------------------------------------------------------ receive-side validation

def _is_digit(c):
    return "0" <= c <= "9"


def _all_digits(s):
    if not s:
        return False
    for c in s:
        if not _is_digit(c):
            return False
    return True


def is_iso_datetime(s):
    """YYYY-MM-DD[T ]HH:MM[:SS[.frac]][Z|+HH[[:]MM]|-HH[[:]MM]] - every precision the peers write."""
    if len(s) < 16:
        return False
    if not (_all_digits(s[0:4]) and s[4] == "-" and _all_digits(s[5:7]) and s[7] == "-" and _all_digits(s[8:10])):
        return False
    if s[10] != "T" and s[10] != " ":
        return False
    if not (_all_digits(s[11:13]) and s[13] == ":" and _all_digits(s[14:16])):
        return False
    i = 16
    n = len(s)
    if i < n and s[i] == ":":
        if not _all_digits(s[i + 1:i + 3]) or len(s[i + 1:i + 3]) != 2:
            return False
        i += 3
        if i < n and s[i] == ".":
            j = i + 1
            while j < n and _is_digit(s[j]):
                j += 1
            if j == i + 1:
                return False
            i = j
    if i == n:
        return True
    if s[i] == "Z":
        return i + 1 == n
    if s[i] == "+" or s[i] == "-":
        z = s[i + 1:]
        if len(z) == 2:
            return _all_digits(z)
        if len(z) == 4:
            return _all_digits(z)
        if len(z) == 5:
            return _all_digits(z[0:2]) and z[2] == ":" and _all_digits(z[3:5])
    return False


def _is_int_number(v):
    if v is True or v is False:
        return False
    if isinstance(v, int):
        return True
    if isinstance(v, float):
        return v == v and v != _INF and v != -_INF and v == int(v)
    return False


def _opt_str(obj, key, where, cid):
    v = obj.get(key)
    if v is None:
        return ""
    if not isinstance(v, str):
        raise _err("INVALID_ENVELOPE", "invalid envelope field " + where + key + ": expected string", cid)
    return v


def _opt_obj(obj, key, where, cid):
    v = obj.get(key)
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise _err("INVALID_ENVELOPE", "invalid envelope field " + where + key + ": expected object", cid)
    return v


def _req_str(obj, key, where, cid):
    if key not in obj or not isinstance(obj[key], str):
        raise _err("INVALID_ENVELOPE", "invalid envelope field " + where + key + ": expected string", cid)
    return obj[key]


def parse_envelope(value):
    """Validate a decoded JSON value as msg_envelope_v1 (natsbridge's receive schema).
    Returns (header dict, list of payload dicts). Every failure is INVALID_ENVELOPE."""
    if not isinstance(value, dict):
        raise _err("INVALID_ENVELOPE", "envelope must be a JSON object")
    cid = value.get("correlation_id")
    if not isinstance(cid, str):
        cid = None
    h = {}
    for k in ("correlation_id", "msg_id", "timestamp", "send_to"):
        h[k] = _req_str(value, k, "", cid)
    if not is_iso_datetime(h["timestamp"]):
        raise _err("INVALID_ENVELOPE", "invalid envelope field timestamp: not an ISO 8601 date-time", cid)
    for k in OPTIONAL_STRING_FIELDS:
        h[k] = _opt_str(value, k, "", cid)
    h["metadata"] = _opt_obj(value, "metadata", "", cid)
    ps = value.get("payloads")
    if not isinstance(ps, list):
        raise _err("INVALID_ENVELOPE", "invalid envelope field payloads: expected array", cid)
    payloads = []
    for i in range(len(ps)):
        p = ps[i]
        where = "payloads." + str(i) + "."
        if not isinstance(p, dict):
            raise _err("INVALID_ENVELOPE", "invalid envelope field payloads." + str(i) + ": expected object", cid)
        q = {}
        q["id"] = _opt_str(p, "id", where, cid)
        q["dataname"] = _req_str(p, "dataname", where, cid)
        for k in ("payload_type", "type"):
            if k in p and not isinstance(p[k], str):
                raise _err("INVALID_ENVELOPE", "invalid envelope field " + where + k + ": expected string", cid)
        q["payload_type"] = p.get("payload_type")
        q["type"] = p.get("type")
        q["transport"] = _req_str(p, "transport", where, cid)
        enc = p.get("encoding")
        if enc is not None and not isinstance(enc, str):
            raise _err("INVALID_ENVELOPE", "invalid envelope field " + where + "encoding: expected string", cid)
        q["encoding"] = enc
        size = p.get("size")
        if size is not None:
            if not _is_int_number(size) or size < 0:
                raise _err("INVALID_ENVELOPE", "invalid envelope field " + where + "size: expected non-negative integer", cid)
            size = int(size)
        q["size"] = size
        q["data"] = _req_str(p, "data", where, cid)
        q["metadata"] = _opt_obj(p, "metadata", where, cid)
        payloads.append(q)
    return h, payloads


def _is_web_url(u):
    k = u.find("://")
    if k <= 0:
        return False
    scheme = u[:k].lower()
    if scheme != "http" and scheme != "https":
        return False
    rest = u[k + 3:]
    host_end = len(rest)
    for sep in ("/", "?", "#"):
        j = rest.find(sep)
        if 0 <= j < host_end:
            host_end = j
    host = rest[:host_end]
    at = host.rfind("@")
    if at >= 0:
        host = host[at + 1:]
    if host.startswith("["):
        return host.find("]") > 1
    c = host.find(":")
    if c >= 0:
        port = host[c + 1:]
        host = host[:c]
        if port and not _all_digits(port):
            return False
    if not host:
        return False
    for ch in host:
        if ch <= " " or ch in "<>\\^`{|}%\"":
            return False
    return True


def _check_payload(p, i, cid):
    where = "payload " + str(i) + " (" + js_string(p["dataname"]) + ")"
    t = p["payload_type"]
    if t is None:
        t = p["type"]
    if t is None:
        raise _err("INVALID_ENVELOPE", where + " has no payload_type", cid)
    if t == "table":
        t = "arrowtable"
    if t not in PAYLOAD_TYPES:
        raise _err("INVALID_PAYLOAD_TYPE", where + ": unknown payload_type " + js_string(t), cid)
    tr = p["transport"]
    enc = p["encoding"]
    if tr == "direct":
        if enc is not None and enc != "base64":
            raise _err("INVALID_ENVELOPE", where + ': direct transport needs encoding "base64"', cid)
        try:
            raw = b64decode(p["data"])
        except (ValueError, TypeError) as e:
            raise _err("DESERIALIZATION_ERROR", where + ": data is not valid base64 (" + str(e) + ")", cid)
        if p["size"] is not None and p["size"] != len(raw):
            raise _err("DESERIALIZATION_ERROR", where + ": size says " + str(p["size"]) + " bytes but data holds " + str(len(raw)), cid)
        return t, raw
    if tr == "link":
        if enc is not None and enc != "none":
            raise _err("INVALID_ENVELOPE", where + ': link transport needs encoding "none"', cid)
        if not _is_web_url(p["data"]):
            raise _err("INVALID_ENVELOPE", where + ": link data is not an http(s) URL", cid)
        return t, None
    raise _err("INVALID_TRANSPORT", where + ": unknown transport " + js_string(tr), cid)


def decode_message(msg):
    """NATS Msg (.data/.payload), bytes, str or an already parsed dict -> decoded JSON value."""
    if isinstance(msg, dict):
        return msg
    raw = _as_bytes(msg)
    if raw is None and isinstance(msg, str):
        try:
            return json_loads(msg)
        except ValueError as e:
            raise _err("INVALID_ENVELOPE", "message is not valid JSON: " + str(e))
    if raw is None:
        d = getattr(msg, "data", None)
        if d is None:
            d = getattr(msg, "payload", None)
        if isinstance(d, str):
            return decode_message(d)
        raw = _as_bytes(d)
    if raw is None:
        raise _err("INVALID_ENVELOPE", "smartreceive needs a NATS message, bytes, a JSON string or a dict")
    try:
        utf8_check(raw)
    except ValueError:
        raise _err("INVALID_ENVELOPE", "message is not UTF-8 text")
    try:
        return json_loads(raw)
    except ValueError as e:
        raise _err("INVALID_ENVELOPE", "message is not valid JSON: " + str(e))


def smartreceive(msg, **kw):
    """Validate an envelope and return it as a dict whose "payloads" is a list of
    (dataname, data, payload_type) tuples. Options: fileserver_download_handler, max_retries,
    base_delay, max_delay, log."""
    env, payloads = parse_envelope(decode_message(msg))
    cid = env["correlation_id"]
    log = kw.get("log")
    download = kw.get("fileserver_download_handler") or fetch_with_backoff
    max_retries = kw.get("max_retries", 5)
    base_delay = kw.get("base_delay", 100)
    max_delay = kw.get("max_delay", 5000)
    log_trace(cid, "Processing received message", log)
    checked = []
    for i in range(len(payloads)):
        checked.append(_check_payload(payloads[i], i, cid))
    out = []
    for i in range(len(payloads)):
        p = payloads[i]
        t, raw = checked[i]
        if raw is None:
            log_trace(cid, "Link transport - fetching '" + p["dataname"] + "' from URL: " + p["data"], log)
            try:
                got = download(p["data"], max_retries, base_delay, max_delay, cid)
            except NatsBridgeError as e:
                if e.correlation_id is None:
                    e.correlation_id = cid
                raise e
            except Exception as e:
                raise _err("DOWNLOAD_FAILED", "download of " + js_string(p["dataname"]) + " failed: " + str(e), cid)
            raw = _as_bytes(got)
            if raw is None:
                raise _err("DOWNLOAD_FAILED", "download handler returned no bytes for " + js_string(p["dataname"]), cid)
            if p["size"] is not None and p["size"] != len(raw):
                raise _err("DOWNLOAD_FAILED", "downloaded " + str(len(raw)) + " bytes for " + js_string(p["dataname"]) + " but size says " + str(p["size"]), cid)
        else:
            log_trace(cid, "Direct transport - decoding payload '" + p["dataname"] + "'", log)
        try:
            value = deserialize(raw, t)
        except NatsBridgeError as e:
            e.correlation_id = cid
            raise e
        out.append((p["dataname"], value, t))
    env["payloads"] = out
    return env


# ------------------------------------------------------------------ send

def _opt(kw, key, default):
    v = kw.get(key)
    if v is None:
        return default
    if not isinstance(v, str):
        raise _err("INVALID_OPTIONS", "option " + key + " must be a string")
    return v


def smartsend(subject, data, **kw):
    """Serialize, choose direct or link per payload, publish one envelope.
    Returns (env, env_json_str). Options as in the seeds: broker_url, fileserver_url,
    fileserver_upload_handler, size_threshold, correlation_id, msg_purpose, sender_name,
    receiver_name, receiver_id, reply_to, reply_to_msg_id, is_publish, nats_connection, msg_id,
    sender_id, metadata, log; plus timestamp and payload_ids (fixed values, for conformance)."""
    if not isinstance(subject, str) or subject == "" or " " in subject or "\t" in subject or "\n" in subject or "\r" in subject:
        raise _err("INVALID_OPTIONS", "subject must be a non-empty NATS subject without whitespace")
    cid = _opt(kw, "correlation_id", "") or uuid4()
    log = kw.get("log")
    if not isinstance(data, (list, tuple)):
        raise _err("INVALID_OPTIONS", "data must be a list of (dataname, data, payload_type) tuples", cid)
    for t in data:
        if not isinstance(t, (list, tuple)) or len(t) != 3 or not isinstance(t[0], str) or not isinstance(t[2], str):
            raise _err("INVALID_OPTIONS", "each payload must be a (dataname, data, payload_type) tuple", cid)
    size_threshold = kw.get("size_threshold")
    if size_threshold is None:
        size_threshold = DEFAULT_SIZE_THRESHOLD
    broker_url = _opt(kw, "broker_url", DEFAULT_BROKER_URL)
    fileserver_url = _opt(kw, "fileserver_url", DEFAULT_FILESERVER_URL)
    upload = kw.get("fileserver_upload_handler") or plik_oneshot_upload
    is_publish = kw.get("is_publish", True)
    metadata = kw.get("metadata")
    if metadata is None:
        metadata = {}
    env = {
        "correlation_id": cid,
        "msg_id": _opt(kw, "msg_id", "") or uuid4(),
        "timestamp": _opt(kw, "timestamp", "") or now_iso(),
        "send_to": subject,
        "msg_purpose": _opt(kw, "msg_purpose", "chat"),
        "sender_name": _opt(kw, "sender_name", "NATSBridge"),
        "sender_id": _opt(kw, "sender_id", "") or uuid4(),
        "receiver_name": _opt(kw, "receiver_name", ""),
        "receiver_id": _opt(kw, "receiver_id", ""),
        "reply_to": _opt(kw, "reply_to", ""),
        "reply_to_msg_id": _opt(kw, "reply_to_msg_id", ""),
        "broker_url": broker_url,
        "metadata": metadata,
        "payloads": [],
    }
    log_trace(cid, "Starting smartsend for subject: " + subject, log)

    conn = kw.get("nats_connection")
    own_conn = False
    if is_publish and conn is None:
        conn = NATSClient(broker_url)
        conn.connect()
        own_conn = True
    try:
        ids = kw.get("payload_ids")
        serialized = []
        for t in data:
            try:
                b = serialize(t[1], t[2])
            except NatsBridgeError as e:
                e.correlation_id = cid
                raise e
            log_trace(cid, "Serialized payload '" + t[0] + "' (type: " + t[2] + ") size: " + str(len(b)) + " bytes", log)
            serialized.append(b)
        n = len(data)
        pids = [(ids[i] if ids and i < len(ids) else uuid4()) for i in range(n)]
        plan = ["direct" if len(serialized[i]) < size_threshold else "link" for i in range(n)]
        urls = [None] * n
        b64s = [None] * n
        max_payload = getattr(conn, "max_payload", None) or DEFAULT_MAX_PAYLOAD
        while True:
            payloads = []
            for i in range(n):
                dataname = data[i][0]
                ptype = data[i][2]
                if plan[i] == "direct":
                    if b64s[i] is None:
                        b64s[i] = b64encode(serialized[i])
                    payloads.append(_direct_payload(pids[i], dataname, ptype, len(serialized[i]), b64s[i]))
                else:
                    if urls[i] is None:
                        urls[i] = _upload(upload, fileserver_url, dataname, serialized[i], cid, log)
                    payloads.append(_link_payload(pids[i], dataname, ptype, len(serialized[i]), urls[i]))
            env["payloads"] = payloads
            try:
                js = envelope_to_json(env)
            except (ValueError, TypeError) as e:
                raise _err("SERIALIZATION_ERROR", "envelope metadata is not JSON-serializable: " + str(e), cid)
            wire = js.encode("utf-8")
            if len(wire) <= max_payload:
                break
            best = -1
            for i in range(n):
                if plan[i] == "direct" and (best < 0 or len(serialized[i]) > len(serialized[best])):
                    best = i
            if best < 0:
                raise _err("ENVELOPE_TOO_LARGE", "envelope is " + str(len(wire)) + " bytes with every payload linked; the server accepts " + str(max_payload), cid)
            plan[best] = "link"
        for i in range(n):
            if plan[i] == "direct":
                log_trace(cid, "Using direct transport for " + str(len(serialized[i])) + " bytes", log)
        if is_publish:
            try:
                conn.publish(subject, wire)
                if own_conn:
                    conn.flush()
            except NatsBridgeError as e:
                if e.correlation_id is None:
                    e.correlation_id = cid
                raise e
            except Exception as e:
                raise _err("NATS_CONNECTION_FAILED", "publish to " + subject + " failed: " + str(e), cid)
            log_trace(cid, "Message published to " + subject, log)
        return env, js
    finally:
        if own_conn:
            conn.close()


def _upload(upload, fileserver_url, dataname, b, cid, log):
    log_trace(cid, "Using link transport, uploading to fileserver", log)
    try:
        res = upload(fileserver_url, dataname, b)
    except NatsBridgeError as e:
        if e.correlation_id is None:
            e.correlation_id = cid
        raise e
    except Exception as e:
        raise _err("UPLOAD_FAILED", "upload of " + js_string(dataname) + " failed: " + str(e), cid)
    url = res.get("url") if isinstance(res, dict) else None
    if not isinstance(res, dict) or res.get("status") != 200 or not isinstance(url, str) or not _is_web_url(url):
        raise _err("UPLOAD_FAILED", "Failed to upload data to fileserver: " + repr(res), cid)
    log_trace(cid, "Uploaded to URL: " + url, log)
    return url


# ------------------------------------------------------------------ sockets

def _socket_module():
    try:
        import socket
        return socket
    except ImportError:
        pass
    try:
        import usocket
        return usocket
    except ImportError:
        raise _err("NATS_CONNECTION_FAILED", "no socket module on this port")


def _is_timeout(e):
    if type(e).__name__ == "timeout" or type(e).__name__ == "TimeoutError":
        return True
    a = e.args[0] if e.args else None
    return a in (110, 116, 11, "timed out")  # ETIMEDOUT (Linux, lwIP), EAGAIN


def _sendall(sock, data):
    f = getattr(sock, "sendall", None)
    if f is not None:
        f(data)
        return
    mv = memoryview(data)
    while len(mv):
        n = sock.write(mv)
        if n is None:
            n = 0
        mv = mv[n:]


def _split_hostport(hp, default_port):
    host = hp
    port = default_port
    if hp.startswith("["):
        k = hp.find("]")
        host = hp[1:k]
        rest = hp[k + 1:]
        if rest.startswith(":"):
            port = int(rest[1:])
        return host, port
    c = hp.rfind(":")
    if c >= 0:
        host = hp[:c]
        port = int(hp[c + 1:])
    return host, port


def url_unquote(s):
    if "%" not in s:
        return s
    out = bytearray()
    b = s.encode()
    i = 0
    while i < len(b):
        if b[i] == 0x25 and i + 2 < len(b):
            out.append(int(b[i + 1:i + 3].decode(), 16))
            i += 3
        else:
            out.append(b[i])
            i += 1
    return bytes(out).decode()


def parse_nats_url(url):
    """nats://[user:pass@|token@]host[:port] -> (host, port, user, password, token)."""
    u = url
    k = u.find("://")
    if k >= 0:
        scheme = u[:k].lower()
        if scheme not in ("nats", "tcp"):
            raise _err("NATS_CONNECTION_FAILED", "unsupported broker URL scheme " + scheme + " (TLS/websocket are not available here)")
        u = u[k + 3:]
    j = u.find("/")
    if j >= 0:
        u = u[:j]
    user = password = token = None
    at = u.rfind("@")
    if at >= 0:
        cred = u[:at]
        u = u[at + 1:]
        c = cred.find(":")
        if c >= 0:
            user = url_unquote(cred[:c])
            password = url_unquote(cred[c + 1:])
        else:
            token = url_unquote(cred)
    host, port = _split_hostport(u, 4222)
    return host or "localhost", port, user, password, token


class Msg:
    """A received NATS message; .data (bytes) as in nats.js, .payload as in the seeds."""

    def __init__(self, subject, sid, reply, data):
        self.subject = subject
        self.sid = sid
        self.reply = reply
        self.data = data

    @property
    def payload(self):
        return self.data


class NATSClient:
    """Minimal NATS core client over a plain socket (CPython socket, MicroPython socket/usocket).

    Protocol: INFO / CONNECT / PUB / SUB / UNSUB / MSG / PING / PONG / +OK / -ERR.
    No TLS, no headers, no JetStream. Messages for subscriptions without a callback are queued
    and returned by next_msg(); callbacks run inside next_msg()/process()/flush().
    """

    def __init__(self, url=DEFAULT_BROKER_URL, name="natsbridge-mpy", timeout=5.0, verbose=False, sock=None):
        self.url = url
        self.name = name
        self.timeout = timeout
        self.verbose = verbose
        self.info = {}
        self.max_payload = DEFAULT_MAX_PAYLOAD
        self.server_errors = []
        self._sock = sock
        self._buf = bytearray()
        self._pos = 0
        self._sid = 0
        self._subs = {}
        self._pending = []
        self._pongs = 0
        self._pings = 0
        self._connected = False

    # -- wire
    def _send(self, data):
        if self._sock is None:
            raise _err("NATS_CONNECTION_FAILED", "not connected")
        try:
            _sendall(self._sock, data)
        except OSError as e:
            self._connected = False
            why = self._pending_error()
            raise _err("NATS_CONNECTION_FAILED", "send failed: " + str(e) + (" (server: " + why + ")" if why else ""))

    def _pending_error(self):
        """After the server dropped us: the -ERR it sent first, if it is still readable."""
        try:
            self._sock.settimeout(0.2)
            for _ in range(8):
                k = self._buf.find(b"-ERR", self._pos)
                if k >= 0:
                    e = self._buf.find(b"\r\n", k)
                    return bytes(self._buf[k + 4:e if e > 0 else len(self._buf)]).decode().strip().strip("'")
                chunk = self._sock.recv(4096)
                if not chunk:
                    return None
                self._buf += chunk
        except Exception:
            return None
        return None

    def _fill(self, timeout, want=4096):
        if timeout is not None:
            try:
                self._sock.settimeout(timeout)
            except (AttributeError, OSError):
                pass
        try:
            chunk = self._sock.recv(want if want > 4096 else 4096)
        except OSError as e:
            if _is_timeout(e):
                return False
            self._connected = False
            raise _err("NATS_CONNECTION_FAILED", "receive failed: " + str(e))
        if not chunk:
            self._connected = False
            why = self._pending_error()
            raise _err("NATS_CONNECTION_FAILED", "connection closed by server" + (": " + why if why else ""))
        if self._pos > 0:
            self._buf = self._buf[self._pos:]
            self._pos = 0
        self._buf += chunk
        return True

    def _read_line(self, timeout):
        while True:
            k = self._buf.find(b"\r\n", self._pos)
            if k >= 0:
                line = bytes(self._buf[self._pos:k])
                self._pos = k + 2
                return line
            if not self._fill(timeout):
                return None

    def _read_exact(self, n, timeout):
        while len(self._buf) - self._pos < n:
            if not self._fill(timeout, n - (len(self._buf) - self._pos)):
                raise _err("NATS_CONNECTION_FAILED", "timed out in the middle of a message")
        out = bytes(self._buf[self._pos:self._pos + n])
        self._pos += n
        return out

    def _handle_op(self, line, timeout):
        """Process one protocol line; returns a Msg for MSG, else None."""
        if line[:4] == b"MSG ":
            parts = line.decode().split(" ")
            if len(parts) == 4:
                subject, sid, reply, n = parts[1], parts[2], None, int(parts[3])
            elif len(parts) == 5:
                subject, sid, reply, n = parts[1], parts[2], parts[3], int(parts[4])
            else:
                raise _err("NATS_CONNECTION_FAILED", "malformed MSG line: " + line.decode())
            data = self._read_exact(n + 2, timeout)
            if data[-2:] != b"\r\n":
                raise _err("NATS_CONNECTION_FAILED", "MSG payload not terminated by CRLF")
            return Msg(subject, int(sid), reply, bytes(data[:-2]))
        if line == b"PING":
            self._send(b"PONG\r\n")
            return None
        if line == b"PONG":
            self._pongs += 1
            return None
        if line == b"+OK":
            return None
        if line[:5] == b"INFO ":
            self._set_info(line[5:])
            return None
        if line[:4] == b"-ERR":
            text = line[4:].decode().strip()
            if text.startswith("'") and text.endswith("'"):
                text = text[1:-1]
            low = text.lower()
            self.server_errors.append(text)
            if low.startswith("permissions violation") or low.startswith("invalid subject"):
                return None  # the server keeps the connection open for these
            self._connected = False
            raise _err("NATS_CONNECTION_FAILED", "server error: " + text)
        raise _err("NATS_CONNECTION_FAILED", "unexpected protocol line: " + line.decode())

    def _set_info(self, raw):
        try:
            info = json_loads(raw)
        except ValueError:
            raise _err("NATS_CONNECTION_FAILED", "malformed INFO from server")
        if isinstance(info, dict):
            self.info = info
            mp = info.get("max_payload")
            if _is_int_number(mp) and mp > 0:
                self.max_payload = int(mp)

    def _dispatch(self, m):
        sub = self._subs.get(m.sid)
        if sub is None:
            return
        sub[2] += 1
        if sub[3] is not None and sub[2] >= sub[3]:
            del self._subs[m.sid]
        cb = sub[1]
        if cb is not None:
            cb(m)
        else:
            self._pending.append(m)

    # -- public
    def connect(self):
        host, port, user, password, token = parse_nats_url(self.url)
        if self._sock is None:
            socket = _socket_module()
            try:
                addr = socket.getaddrinfo(host, port)[0][-1]
                s = socket.socket()
                try:
                    s.settimeout(self.timeout)
                except (AttributeError, OSError):
                    pass
                s.connect(addr)
            except OSError as e:
                raise _err("NATS_CONNECTION_FAILED", "cannot connect to " + host + ":" + str(port) + ": " + str(e))
            self._sock = s
        line = self._read_line(self.timeout)
        if line is None or line[:5] != b"INFO ":
            raise _err("NATS_CONNECTION_FAILED", "server did not send INFO")
        self._set_info(line[5:])
        if self.info.get("tls_required"):
            raise _err("NATS_CONNECTION_FAILED", "server requires TLS, which this client does not do")
        opts = OrderedDict()
        opts["verbose"] = bool(self.verbose)
        opts["pedantic"] = False
        opts["tls_required"] = False
        opts["lang"] = "micropython" if _IS_MICROPYTHON else "python-natsbridge-mpy"
        opts["version"] = VERSION
        opts["protocol"] = 1
        opts["name"] = self.name
        opts["headers"] = False
        if user is not None:
            opts["user"] = user
            opts["pass"] = password
        if token is not None:
            opts["auth_token"] = token
        self._connected = True
        self._send(("CONNECT " + json_dumps(opts) + "\r\nPING\r\n").encode())
        self._wait_pong(self._pings + 1, self.timeout)
        self._pings += 1
        return self

    def _wait_pong(self, target, timeout):
        deadline = _ticks_ms() + int((timeout if timeout is not None else 3600) * 1000)
        while self._pongs < target:
            left = (deadline - _ticks_ms()) / 1000.0
            if left <= 0:
                raise _err("NATS_CONNECTION_FAILED", "no PONG from server")
            line = self._read_line(left)
            if line is None:
                continue
            m = self._handle_op(line, left)
            if m is not None:
                self._dispatch(m)

    @property
    def is_connected(self):
        return self._connected

    def publish(self, subject, payload, reply=None):
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        payload = bytes(payload)
        if len(payload) > self.max_payload:
            raise _err("ENVELOPE_TOO_LARGE", "message is " + str(len(payload)) + " bytes; the server accepts " + str(self.max_payload))
        head = "PUB " + subject + (" " + reply if reply else "") + " " + str(len(payload)) + "\r\n"
        self._send(head.encode() + payload + b"\r\n")

    def subscribe(self, subject, cb=None, queue=None, max_msgs=None):
        self._sid += 1
        sid = self._sid
        self._subs[sid] = [subject, cb, 0, max_msgs]
        self._send(("SUB " + subject + (" " + queue if queue else "") + " " + str(sid) + "\r\n").encode())
        if max_msgs:
            self._send(("UNSUB " + str(sid) + " " + str(max_msgs) + "\r\n").encode())
        return sid

    def unsubscribe(self, sid, max_msgs=None):
        if max_msgs:
            s = self._subs.get(sid)
            if s is not None:
                s[3] = max_msgs
            self._send(("UNSUB " + str(sid) + " " + str(max_msgs) + "\r\n").encode())
        else:
            if sid in self._subs:
                del self._subs[sid]
            self._send(("UNSUB " + str(sid) + "\r\n").encode())

    def flush(self, timeout=None):
        """Round trip to the server: everything sent before is processed when this returns."""
        self._pings += 1
        self._send(b"PING\r\n")
        self._wait_pong(self._pings, timeout if timeout is not None else self.timeout)

    def process(self, timeout=0.0):
        """Read and dispatch whatever arrives within timeout seconds."""
        deadline = _ticks_ms() + int(timeout * 1000)
        while True:
            left = (deadline - _ticks_ms()) / 1000.0
            line = self._read_line(left if left > 0 else 0.001)
            if line is None:
                return
            m = self._handle_op(line, self.timeout)
            if m is not None:
                self._dispatch(m)

    def next_msg(self, timeout=None, sid=None):
        """Next queued message (optionally for one subscription); None after timeout seconds."""
        deadline = _ticks_ms() + int((timeout if timeout is not None else 3600) * 1000)
        while True:
            for i in range(len(self._pending)):
                if sid is None or self._pending[i].sid == sid:
                    return self._pending.pop(i)
            left = (deadline - _ticks_ms()) / 1000.0
            if left <= 0:
                return None
            line = self._read_line(left)
            if line is None:
                continue
            m = self._handle_op(line, self.timeout)
            if m is not None:
                self._dispatch(m)

    def request(self, subject, payload, timeout=5.0):
        inbox = "_INBOX." + uuid4().replace("-", "")
        sid = self.subscribe(inbox, max_msgs=1)
        self.publish(subject, payload, reply=inbox)
        m = self.next_msg(timeout, sid=sid)
        if m is None:
            raise _err("NATS_CONNECTION_FAILED", "request to " + subject + " timed out")
        return m

    def close(self):
        if self._sock is not None:
            try:
                self._sock.close()
            except Exception:
                pass
        self._sock = None
        self._connected = False


def _ticks_ms():
    f = getattr(time, "ticks_ms", None)
    if f is not None:
        return f()
    return int(time.time() * 1000)


def _sleep_ms(ms):
    f = getattr(time, "sleep_ms", None)
    if f is not None:
        f(int(ms))
    else:
        time.sleep(ms / 1000.0)


# ------------------------------------------------------------------ tiny HTTP client

_URI_KEEP = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()"


def encode_uri_component(s):
    """JavaScript's encodeURIComponent (the download URL's last segment)."""
    out = []
    for c in s.encode("utf-8"):
        if _URI_KEEP.find(bytes((c,))) >= 0:
            out.append(chr(c))
        else:
            out.append("%%%02X" % c)
    return "".join(out)


def http_request(method, url, headers=None, body=b"", timeout=10.0):
    """HTTP/1.1 over a plain socket (Connection: close). Returns (status, headers, body).
    https:// needs an ssl module (present on most MicroPython network ports)."""
    k = url.find("://")
    scheme = url[:k].lower()
    rest = url[k + 3:]
    j = rest.find("/")
    hostport = rest if j < 0 else rest[:j]
    path = "/" if j < 0 else rest[j:]
    host, port = _split_hostport(hostport, 443 if scheme == "https" else 80)
    socket = _socket_module()
    s = None
    try:
        addr = socket.getaddrinfo(host, port)[0][-1]
        s = socket.socket()
        try:
            s.settimeout(timeout)
        except (AttributeError, OSError):
            pass
        s.connect(addr)
        if scheme == "https":
            try:
                import ssl
            except ImportError:
                import ussl as ssl
            if hasattr(ssl, "create_default_context"):
                s = ssl.create_default_context().wrap_socket(s, server_hostname=host)
            else:
                s = ssl.wrap_socket(s, server_hostname=host)
        if isinstance(body, str):
            body = body.encode("utf-8")
        lines = [method + " " + path + " HTTP/1.1", "Host: " + hostport, "Connection: close",
                 "User-Agent: natsbridge-mpy/" + VERSION, "Content-Length: " + str(len(body))]
        for name in (headers or {}):
            lines.append(name + ": " + headers[name])
        _sendall(s, ("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        chunks = []
        while True:
            c = s.recv(4096)
            if not c:
                break
            chunks.append(c)
    finally:
        if s is not None:
            try:
                s.close()
            except Exception:
                pass
    raw = b"".join(chunks)
    he = raw.find(b"\r\n\r\n")
    if he < 0:
        raise OSError("malformed HTTP response")
    head = raw[:he].decode().split("\r\n")
    status = int(head[0].split(" ")[1])
    hdrs = {}
    for h in head[1:]:
        c = h.find(":")
        if c > 0:
            hdrs[h[:c].strip().lower()] = h[c + 1:].strip()
    data = raw[he + 4:]
    if hdrs.get("transfer-encoding", "").lower() == "chunked":
        data = _dechunk(data)
    elif "content-length" in hdrs:
        n = int(hdrs["content-length"])
        if len(data) < n:
            raise OSError("HTTP body truncated")
        data = data[:n]
    return status, hdrs, data


def _dechunk(data):
    out = []
    i = 0
    while True:
        k = data.find(b"\r\n", i)
        if k < 0:
            raise OSError("malformed chunked body")
        size_s = data[i:k].decode().split(";")[0].strip()
        n = int(size_s, 16)
        if n == 0:
            return b"".join(out)
        out.append(data[k + 2:k + 2 + n])
        i = k + 2 + n + 2


def plik_upload(fileserver_url, dataname, data, one_shot=True, ttl=None):
    """Plik protocol (docs/wire-format.md): create an upload, post the file, build the URL."""
    base = fileserver_url.rstrip("/")
    opts = OrderedDict()
    opts["OneShot"] = bool(one_shot)
    if ttl is not None:
        opts["TTL"] = ttl
    st, _, body = http_request("POST", base + "/upload", {"Content-Type": "application/json"}, json_dumps(opts))
    if st != 200:
        return {"status": st, "url": None}
    up = json_loads(body)
    uploadid = up["id"]
    token = up.get("uploadToken", "")
    boundary = "----natsbridge" + uuid4().replace("-", "")
    fname = dataname.replace('"', "%22").replace("\r", "").replace("\n", "")
    pre = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + fname +
           "\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode("utf-8")
    post = ("\r\n--" + boundary + "--\r\n").encode()
    st, _, body = http_request("POST", base + "/file/" + uploadid,
                               {"X-UploadToken": token, "Content-Type": "multipart/form-data; boundary=" + boundary},
                               pre + bytes(data) + post)
    if st != 200:
        return {"status": st, "url": None}
    fileid = json_loads(body)["id"]
    url = base + "/file/" + uploadid + "/" + fileid + "/" + encode_uri_component(dataname)
    return {"status": 200, "uploadid": uploadid, "fileid": fileid, "url": url}


def plik_oneshot_upload(fileserver_url, dataname, data):
    return plik_upload(fileserver_url, dataname, data, True)


def fetch_with_backoff(url, max_retries=5, base_delay=100, max_delay=5000, correlation_id=""):
    """GET url until 200, sleeping base_delay, 2x, ... (capped at max_delay ms) between tries."""
    delay = base_delay
    last = None
    for attempt in range(1, max_retries + 1):
        try:
            st, _, body = http_request("GET", url)
            if st == 200:
                return body
            last = "HTTP " + str(st)
        except Exception as e:
            last = str(e)
        log_trace(correlation_id, "Attempt " + str(attempt) + " failed: " + str(last))
        if attempt < max_retries:
            _sleep_ms(delay)
            delay = min(delay * 2, max_delay)
    raise _err("DOWNLOAD_FAILED", "Failed to fetch data after " + str(max_retries) + " attempts: " + str(last), correlation_id)


class NATSBridge:
    """The seeds' class-style facade."""

    def __init__(self, broker_url=None, fileserver_url=None):
        self.broker_url = broker_url or DEFAULT_BROKER_URL
        self.fileserver_url = fileserver_url or DEFAULT_FILESERVER_URL

    def smartsend(self, subject, data, **kw):
        if kw.get("broker_url") is None:
            kw["broker_url"] = self.broker_url
        if kw.get("fileserver_url") is None:
            kw["fileserver_url"] = self.fileserver_url
        return smartsend(subject, data, **kw)

    def smartreceive(self, msg, **kw):
        return smartreceive(msg, **kw)
