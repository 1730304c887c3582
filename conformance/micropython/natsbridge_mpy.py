# natsbridge_mpy.py - NATSBridge envelope codec and NATS client for MicroPython boards (and CPython).
#
# Reference implementation of docs/wire-format.md for constrained devices:
#   * strict in what it sends (byte-identical to natsbridge's JSON.stringify output),
#   * lenient but never silently wrong in what it accepts (Julia, Python, MicroPython and
#     older-README peers), rejecting malformed envelopes with the same error codes as the
#     TypeScript library (NatsBridgeError.code).
#
# Memory (docs/micropython.md): a board has tens of KB of heap, so nothing here holds a payload
# twice. smartsend writes the envelope to the socket in pieces (header, base64 in 1 KB chunks,
# trailer) after computing its length; smartreceive parses the message where the client read it
# (one reusable receive buffer), decodes base64 in place in 1 KB chunks and hands bytes payloads
# back as memoryview slices of that buffer. The HTTP/Plik client (natsbridge_link) and the float
# formatter (natsbridge_float) are separate modules, imported the first time they are needed.
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
import sys
import time

VERSION = "0.2.0"
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
    h = binascii.hexlify(b)
    # Assembled in one buffer: slicing and joining the str would allocate six more objects.
    out = bytearray(36)
    out[0:8] = h[0:8]
    out[9:13] = h[8:12]
    out[14:18] = h[12:16]
    out[19:23] = h[16:20]
    out[24:36] = h[20:32]
    for k in (8, 13, 18, 23):
        out[k] = 0x2D
    return str(out, "ascii")


# ------------------------------------------------------------------ UTF-8

def utf8_check(b, start=0, end=None):
    """Raise ValueError unless b[start:end] is well-formed UTF-8 (no overlongs, surrogates or
    > U+10FFFF). Reads in place (no copy).

    CPython's decoder is already strict; MicroPython's is not, so it gets the explicit loop.
    """
    n = len(b) if end is None else end
    if not _IS_MICROPYTHON:
        try:
            str(memoryview(b)[start:n], "utf-8")
        except UnicodeError:
            raise ValueError("invalid UTF-8")
        return
    i = start
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


def utf8_decode(b, start=0, end=None):
    """b[start:end] as str, strictly (the bytes are read in place)."""
    n = len(b) if end is None else end
    utf8_check(b, start, n)
    return str(memoryview(b)[start:n], "utf-8")


# ------------------------------------------------------------------ byte sources, base64

def File(path, size=None):
    """A payload kept in a file on the board (natsbridge_link.File, loaded on first use).
    smartsend streams it (base64 or a link upload) in chunks; smartreceive's link_sink may
    return one to have a link payload written there."""
    from natsbridge_link import File as F
    return F(path, size)


def _is_file(v):
    return getattr(v, "path", None) is not None and not isinstance(v, (bytes, bytearray, memoryview))


def source_len(src):
    return src.size if _is_file(src) else len(src)


def for_chunks(src, size, fn):
    """Call fn(memoryview) on consecutive pieces of at most size bytes of src (bytes-like, or a
    File read through one buffer by natsbridge_link). Buffers are sliced, never copied."""
    if _is_file(src):
        from natsbridge_link import file_chunks
        file_chunks(src, size, fn)
        return
    mv = memoryview(src)
    n = len(mv)
    i = 0
    while i < n:
        fn(mv[i:i + size])
        i += size


# base64 is coded here in Python, through buffers the caller allocates once: binascii would
# allocate a new object for every piece, and those pieces, however short-lived, add up to the
# payload's size again before a collection (and fragment a small heap).
_B64_ENC = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# Decoding table: 0-63 a digit, 64 ignored whitespace, 65 "=", 255 anything else.
_B64_DEC = bytearray(b"\xff" * 256)
for _i in range(64):
    _B64_DEC[_B64_ENC[_i]] = _i
for _c in b" \t\r\n":
    _B64_DEC[_c] = 64
_B64_DEC[0x3D] = 65
# 768 input bytes -> 1024 base64 characters per piece.
B64_PIECE = 768


def b64_length(n):
    """Length of the padded base64 of n bytes."""
    return (n + 2) // 3 * 4


def b64_pieces(src, emit):
    """Standard padded base64 of src (bytes-like or File), handed to emit() 1 KB at a time.
    emit gets the same buffer each time: it must use (send, copy) the piece before returning."""
    enc = _B64_ENC
    out = bytearray(B64_PIECE // 3 * 4)

    def piece(mv):
        n = len(mv)
        full = n - n % 3
        i = 0
        j = 0
        while i < full:
            v = (mv[i] << 16) | (mv[i + 1] << 8) | mv[i + 2]
            out[j] = enc[v >> 18]
            out[j + 1] = enc[(v >> 12) & 63]
            out[j + 2] = enc[(v >> 6) & 63]
            out[j + 3] = enc[v & 63]
            i += 3
            j += 4
        if n > full:
            v = mv[i] << 16
            if n - full == 2:
                v |= mv[i + 1] << 8
            out[j] = enc[v >> 18]
            out[j + 1] = enc[(v >> 12) & 63]
            out[j + 2] = enc[(v >> 6) & 63] if n - full == 2 else 0x3D
            out[j + 3] = 0x3D
            j += 4
        emit(out if j == len(out) else memoryview(out)[:j])
    for_chunks(src, B64_PIECE, piece)


def b64encode(b):
    """Standard padded base64 as str, no newline (binascii adds one)."""
    if len(b) == 0:
        return ""
    r = binascii.b2a_base64(b)
    return str(memoryview(r)[:len(r) - 1], "ascii")


def b64_decode_into(src, start, end, out, o):
    """Decode the base64 text src[start:end] into out[o:], returns the byte count. Standard
    alphabet, padding optional, ASCII whitespace ignored, anything else ValueError.

    Nothing is allocated, and out may be src itself with o <= start: three output bytes come
    from four input characters already read, so the output never overtakes the input (the
    in-place decode of a received message)."""
    dec = _B64_DEC
    o0 = o
    acc = 0
    t = 0
    eq = 0
    for i in range(start, end):
        d = dec[src[i]]
        if d < 64:
            if eq:
                raise ValueError("invalid base64 character")
            acc = (acc << 6) | d
            t += 1
            if t == 4:
                out[o] = acc >> 16
                out[o + 1] = (acc >> 8) & 255
                out[o + 2] = acc & 255
                o += 3
                acc = 0
                t = 0
        elif d == 65:
            eq += 1
            if eq > 2:
                raise ValueError("invalid base64 character")
        elif d != 64:
            raise ValueError("invalid base64 character")
    rem = (t + eq) % 4
    if rem == 1:
        raise ValueError("invalid base64 length")
    if eq > 0 and rem != 0:
        raise ValueError("invalid base64 padding")
    if t == 2:
        out[o] = acc >> 4
        o += 1
    elif t == 3:
        out[o] = acc >> 10
        out[o + 1] = (acc >> 2) & 255
        o += 2
    return o - o0


# ------------------------------------------------------------------ JSON (strict reader)

_ESCAPES = {0x22: '"', 0x5C: "\\", 0x2F: "/", 0x62: "\b", 0x66: "\f", 0x6E: "\n", 0x72: "\r", 0x74: "\t"}
_MAX_DEPTH = 200
# Where the envelope reader is in the document (see _Reader): the payloads' "data" strings are
# not copied out of the message but returned as (start, end) spans, decoded later in place.
_IN_ENVELOPE = 1
_IN_PAYLOADS = 2
_IN_PAYLOAD = 3


def json_loads(data, ordered=False):
    """RFC 8259 JSON from str or UTF-8 bytes. Integers of any size stay exact (int), surrogate
    pairs are joined, and anything MicroPython's json would wave through (trailing commas,
    missing separators, bare control characters, NaN) is a ValueError. ordered=True keeps object
    key order (OrderedDict), which is what makes byte-exact re-encoding possible on MicroPython."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    elif not isinstance(data, (bytes, bytearray)):
        data = bytes(data)
    return json_loads_at(data, 0, len(data), ordered)


def json_loads_at(b, start, end, ordered=False, spans=False):
    """JSON from b[start:end] (bytes or bytearray), read in place. spans=True reads an envelope:
    each payload's "data" string without escapes comes back as a (start, end) tuple into b."""
    r = _Reader(b, end, ordered, spans)
    i = r.ws(start)
    v, i = r.value(i, 0, _IN_ENVELOPE if spans else 0)
    i = r.ws(i)
    if i != end:
        raise ValueError("unexpected data after JSON value at %d" % (i - start))
    return v


def _check_text(b, i, q):
    """A JSON string's raw bytes: no control characters, well-formed UTF-8."""
    hi = False
    for k in range(i, q):
        c = b[k]
        if c < 0x20:
            raise ValueError("control character in string at %d" % k)
        if c >= 0x80:
            hi = True
    if hi:
        utf8_check(b, i, q)


class _Reader:
    """Recursive-descent JSON reader over b[:n]; b is bytes or bytearray (both have find)."""

    def __init__(self, b, n, ordered, spans):
        self.b = b
        self.n = n
        self.ordered = ordered
        self.spans = spans

    def ws(self, i):
        b = self.b
        n = self.n
        while i < n and (b[i] == 0x20 or b[i] == 0x0A or b[i] == 0x0D or b[i] == 0x09):
            i += 1
        return i

    def value(self, i, depth, where):
        b = self.b
        if i >= self.n:
            raise ValueError("unexpected end of JSON")
        c = b[i]
        if c == 0x22:
            return self.string(i + 1, False)
        if c == 0x7B:
            return self.obj(i + 1, depth + 1, where)
        if c == 0x5B:
            return self.array(i + 1, depth + 1, where)
        # Bounded by n: a payload's JSON is read where it was decoded, before leftover text.
        if c == 0x74:
            if i + 4 <= self.n and b[i:i + 4] == b"true":
                return True, i + 4
        elif c == 0x66:
            if i + 5 <= self.n and b[i:i + 5] == b"false":
                return False, i + 5
        elif c == 0x6E:
            if i + 4 <= self.n and b[i:i + 4] == b"null":
                return None, i + 4
        elif c == 0x2D or 0x30 <= c <= 0x39:
            return self.number(i)
        raise ValueError("unexpected character at %d" % i)

    def digits(self, j):
        b = self.b
        n = self.n
        while j < n and 0x30 <= b[j] <= 0x39:
            j += 1
        return j

    def number(self, i):
        b = self.b
        n = self.n
        j = i
        if b[j] == 0x2D:
            j += 1
        if j < n and b[j] == 0x30:
            j += 1
        elif j < n and 0x31 <= b[j] <= 0x39:
            j = self.digits(j + 1)
        else:
            raise ValueError("invalid number at %d" % i)
        is_int = True
        if j < n and b[j] == 0x2E:
            k = self.digits(j + 1)
            if k == j + 1:
                raise ValueError("invalid number at %d" % i)
            j = k
            is_int = False
        if j < n and (b[j] == 0x65 or b[j] == 0x45):
            j += 1
            if j < n and (b[j] == 0x2B or b[j] == 0x2D):
                j += 1
            k = self.digits(j)
            if k == j:
                raise ValueError("invalid number at %d" % i)
            j = k
            is_int = False
        s = str(memoryview(b)[i:j], "ascii")
        if is_int:
            return int(s), j
        return float(s), j

    def string(self, i, span):
        b = self.b
        n = self.n
        q = b.find(b'"', i, n)
        if q < 0:
            raise ValueError("unterminated string")
        bs = b.find(b"\\", i, q)
        if bs < 0:
            if span:
                return (i, q), q + 1  # checked where it is decoded (smartreceive)
            _check_text(b, i, q)
            return str(memoryview(b)[i:q], "utf-8"), q + 1
        out = bytearray()
        j = i
        while True:
            q = b.find(b'"', j, n)
            if q < 0:
                raise ValueError("unterminated string")
            bs = b.find(b"\\", j, q)
            if bs < 0:
                _check_text(b, j, q)
                out += memoryview(b)[j:q]
                return str(out, "utf-8"), q + 1
            _check_text(b, j, bs)
            out += memoryview(b)[j:bs]
            if bs + 1 >= n:
                raise ValueError("unterminated escape")
            e = b[bs + 1]
            if e == 0x75:
                cp = self.hex4(bs + 2)
                j = bs + 6
                if 0xD800 <= cp <= 0xDBFF:
                    if j + 2 <= n and b[j:j + 2] == b"\\u":
                        lo = self.hex4(j + 2)
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

    def hex4(self, i):
        h = self.b[i:i + 4]
        if len(h) != 4 or i + 4 > self.n:
            raise ValueError("truncated \\u escape")
        for c in h:
            if not (0x30 <= c <= 0x39 or 0x41 <= c <= 0x46 or 0x61 <= c <= 0x66):
                raise ValueError("invalid \\u escape")
        return int(str(h, "ascii"), 16)

    def array(self, i, depth, where):
        if depth > _MAX_DEPTH:
            raise ValueError("JSON nested too deeply")
        b = self.b
        inner = _IN_PAYLOAD if where == _IN_PAYLOADS else 0
        out = []
        i = self.ws(i)
        if i < self.n and b[i] == 0x5D:
            return out, i + 1
        while True:
            i = self.ws(i)
            v, i = self.value(i, depth, inner)
            out.append(v)
            i, done = self.sep(i, 0x5D)
            if done:
                return out, i

    def sep(self, i, close):
        """After an item: (index past ",", False) or (index past the closing bracket, True)."""
        i = self.ws(i)
        if i >= self.n:
            raise ValueError("unterminated " + ("array" if close == 0x5D else "object"))
        c = self.b[i]
        if c == 0x2C:
            return i + 1, False
        if c == close:
            return i + 1, True
        raise ValueError("expected , or %s at %d" % (chr(close), i))

    def obj(self, i, depth, where):
        if depth > _MAX_DEPTH:
            raise ValueError("JSON nested too deeply")
        b = self.b
        n = self.n
        out = OrderedDict() if self.ordered else {}
        i = self.ws(i)
        if i < n and b[i] == 0x7D:
            return out, i + 1
        while True:
            i = self.ws(i)
            if i >= n or b[i] != 0x22:
                raise ValueError("expected object key at %d" % i)
            k, i = self.string(i + 1, False)
            i = self.ws(i)
            if i >= n or b[i] != 0x3A:
                raise ValueError("expected : at %d" % i)
            i = self.ws(i + 1)
            if where == _IN_PAYLOAD and k == "data" and i < n and b[i] == 0x22:
                v, i = self.string(i + 1, True)
            else:
                v, i = self.value(i, depth, _IN_PAYLOADS if (where == _IN_ENVELOPE and k == "payloads") else 0)
            if k in out:
                del out[k]  # last one wins, as in JSON.parse; keeps the order JS would report
            out[k] = v
            i, done = self.sep(i, 0x7D)
            if done:
                return out, i


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
        from natsbridge_float import js_number  # loaded by the first float a board sends
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


def _plain_utf8(s):
    """s as UTF-8 when it needs no escape in JSON, else None. Scans the bytes: iterating a str
    allocates a new str per character on MicroPython, iterating bytes does not."""
    try:
        b = s.encode("utf-8")
    except UnicodeError:  # CPython: a lone surrogate
        return None
    prev = 0
    for c in b:
        if c < 0x20 or c == 0x22 or c == 0x5C or (prev == 0xED and c >= 0xA0):
            return None  # ED A0..BF: a surrogate, which MicroPython lets into a str
        prev = c
    return b


def js_string(s):
    if _plain_utf8(s) is not None:
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
    if bytes(b[0:6]) == b"ARROW1":
        return True
    if b[0] == 0xFF and b[1] == 0xFF and b[2] == 0xFF and b[3] == 0xFF:
        return True
    ln = b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)
    return 0 < ln <= len(b) - 4


def _as_source(v):
    """Bytes to send, never copied: bytes as they are, a view of a bytearray/memoryview, a File."""
    if isinstance(v, bytes) or _is_file(v):
        return v
    if isinstance(v, (bytearray, memoryview)):
        return memoryview(v)
    return None


def _head(src, n):
    """The first n bytes of a source (Arrow's magic), without reading the rest."""
    if not _is_file(src):
        return src[:n]
    f = open(src.path, "rb")
    try:
        return f.read(n)
    finally:
        f.close()


# ------------------------------------------------------------------ serializers

def serialize(data, payload_type):
    """Value -> the bytes that travel (before base64): bytes, a memoryview of the caller's
    buffer (bytes types are not copied) or a File."""
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
    b = _as_source(data)
    if payload_type == "arrowtable":
        # A device cannot build Arrow; it can forward Arrow IPC bytes it was given.
        if b is None or not looks_like_arrow_ipc(_head(b, 8)) or source_len(b) < 8:
            raise _err("SERIALIZATION_ERROR", "arrowtable data must be Arrow IPC bytes on MicroPython")
        return b
    if b is None:
        raise _err("SERIALIZATION_ERROR", payload_type + " data must be bytes, bytearray, memoryview or File")
    return b


def _json_bytes(data, what):
    try:
        return json_dumps(data).encode("utf-8")
    except (ValueError, TypeError, UnicodeError) as e:
        raise _err("SERIALIZATION_ERROR", what + " data is not JSON-serializable: " + str(e))


def deserialize(b, payload_type, start=0, end=None):
    """Bytes b[start:end] -> value, read in place. arrowtable stays raw Arrow IPC bytes (no Arrow
    on MicroPython); bytes types come back as a memoryview of b (no copy)."""
    if end is None:
        end = len(b)
    if payload_type == "text":
        try:
            return utf8_decode(b, start, end)
        except (ValueError, UnicodeError):
            raise _err("DESERIALIZATION_ERROR", "payload is not valid UTF-8")
    if payload_type == "dictionary" or payload_type == "jsontable":
        if not isinstance(b, (bytes, bytearray)):
            b = bytes(memoryview(b)[start:end])
            end -= start
            start = 0
        try:
            v = json_loads_at(b, start, end)
        except (ValueError, UnicodeError) as e:
            raise _err("DESERIALIZATION_ERROR", payload_type + " payload is not valid JSON: " + str(e))
        if payload_type == "dictionary":
            return v
        rows = to_rows(v)
        if rows is None:
            raise _err("DESERIALIZATION_ERROR", "jsontable payload is neither an array of rows nor an object of columns")
        return rows
    view = memoryview(b)[start:end]
    if payload_type == "arrowtable":
        if not looks_like_arrow_ipc(view):
            raise _err("DESERIALIZATION_ERROR", "arrowtable payload is not Arrow IPC (file or stream format)")
        return view
    if payload_type in BYTES_TYPES:
        return view
    raise _err("INVALID_PAYLOAD_TYPE", "unknown payload_type: " + repr(payload_type))


# ------------------------------------------------------------------ envelope JSON

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


def parse_envelope(value, spans=False):
    """Validate a decoded JSON value as msg_envelope_v1 (natsbridge's receive schema).
    Returns (header dict, list of payload dicts). Every failure is INVALID_ENVELOPE.
    spans=True: the value came from json_loads_at(spans=True)."""
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
        d = p.get("data")
        if not (isinstance(d, str) or (spans and isinstance(d, tuple))):
            d = _req_str(p, "data", where, cid)  # raises
        q["data"] = d  # a tuple: the (start, end) of a data string left in the message
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


def _message_buffer(msg):
    """(buffer, start, end, owned) for a message: the client's receive buffer for a Msg it read
    (owned: decoded in place), else the caller's bytes, read in place but never written."""
    span = getattr(msg, "_span", None)
    if span is not None:
        return span[0], span[1], span[2], True
    if isinstance(msg, str):
        b = msg.encode("utf-8")
        return b, 0, len(b), False
    if isinstance(msg, (bytes, bytearray)):
        return msg, 0, len(msg), False
    if isinstance(msg, memoryview):
        b = bytes(msg)
        return b, 0, len(b), False
    d = getattr(msg, "data", None)
    if d is None:
        d = getattr(msg, "payload", None)
    if isinstance(d, (str, bytes, bytearray, memoryview)):
        return _message_buffer(d)
    raise _err("INVALID_ENVELOPE", "smartreceive needs a NATS message, bytes, a JSON string or a dict")


def _is_json_text(b, s, e):
    try:
        _check_text(b, s, e)
        return True
    except ValueError:
        return False


def _decode_direct(p, where, cid, b, owned):
    """A direct payload's base64 -> (buffer, start, end) of its bytes. In the client's buffer
    the bytes are decoded over their own base64 text; otherwise into one new bytearray."""
    data = p["data"]
    if isinstance(data, tuple):
        s, e = data
        src = b
    else:  # a data string with escapes ("\/", "\n"), already unescaped by the reader
        src = data.encode()
        s, e = 0, len(src)
        owned = False
    if owned:
        out, o = b, s
    else:
        out, o = bytearray((e - s) // 4 * 3 + 3), 0
    try:
        n = b64_decode_into(src, s, e, out, o)
    except ValueError as ex:
        if src is b and not _is_json_text(b, s, e):
            raise _err("INVALID_ENVELOPE", "message is not valid JSON: bad bytes in the data of " + where, cid)
        raise _err("DESERIALIZATION_ERROR", where + ": data is not valid base64 (" + str(ex) + ")", cid)
    if p["size"] is not None and p["size"] != n:
        raise _err("DESERIALIZATION_ERROR", where + ": size says " + str(p["size"]) + " bytes but data holds " + str(n), cid)
    if not owned:
        out[n:] = b""  # exact size: the value handed back is this bytearray
    return out, o, o + n


def _check_payload(p, i, cid, b, owned):
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
        return t, _decode_direct(p, where, cid, b, owned)
    if tr == "link":
        if enc is not None and enc != "none":
            raise _err("INVALID_ENVELOPE", where + ': link transport needs encoding "none"', cid)
        d = p["data"]
        if isinstance(d, tuple):
            if not _is_json_text(b, d[0], d[1]):
                raise _err("INVALID_ENVELOPE", "message is not valid JSON: bad bytes in the data of " + where, cid)
            p["data"] = d = str(memoryview(b)[d[0]:d[1]], "utf-8")
        if not _is_web_url(d):
            raise _err("INVALID_ENVELOPE", where + ": link data is not an http(s) URL", cid)
        return t, None
    raise _err("INVALID_TRANSPORT", where + ": unknown transport " + js_string(tr), cid)


def _parse_message(b, s, e, spans):
    try:
        return json_loads_at(b, s, e, False, spans)
    except ValueError as ex:  # UnicodeError included
        raise _err("INVALID_ENVELOPE", "message is not valid JSON: " + str(ex))


def smartreceive(msg, **kw):
    """Validate an envelope and return it as a dict whose "payloads" is a list of
    (dataname, data, payload_type) tuples. Options: fileserver_download_handler, max_retries,
    base_delay, max_delay, log, and link_sink(dataname, size, payload_type) -> a File or a
    writable buffer that a bytes-type link payload is downloaded into, in chunks.

    Bytes payloads of a message read by NATSClient are memoryview slices of the client's receive
    buffer, decoded there in place: valid until the client reads its next message (bytes(v) keeps
    one). Any other message is only read; its bytes payloads come back as new bytearrays."""
    if isinstance(msg, dict):
        b, owned = None, False
        value = msg
    else:
        b, s, e, owned = _message_buffer(msg)
        value = _parse_message(b, s, e, True)
    env, payloads = parse_envelope(value, b is not None)
    cid = env["correlation_id"]
    log = kw.get("log")
    log_trace(cid, "Processing received message", log)
    checked = []
    for i in range(len(payloads)):
        checked.append(_check_payload(payloads[i], i, cid, b, owned))
    out = []
    for i in range(len(payloads)):
        p = payloads[i]
        t, region = checked[i]
        if region is None:
            if log or _logger:  # no message is built while nobody listens
                log_trace(cid, "Link transport - fetching '" + p["dataname"] + "' from URL: " + p["data"], log)
            from natsbridge_link import fetch_payload
            value = fetch_payload(p, t, cid, kw)
            if value is not None:
                out.append((p["dataname"], value, t))
                continue
            region = p["_got"]
        else:
            if log or _logger:  # no message is built while nobody listens
                log_trace(cid, "Direct transport - decoding payload '" + p["dataname"] + "'", log)
        try:
            value = deserialize(region[0], t, region[1], region[2])
        except NatsBridgeError as e:
            e.correlation_id = cid
            raise e
        if region[0] is not b and isinstance(value, memoryview) and region[1] == 0 and region[2] == len(region[0]):
            value = region[0]  # a buffer made (or downloaded) for this payload: no view needed
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


def _add_str(parts, s):
    """A JSON string as pieces: the common escape-free case costs one encode."""
    b = _plain_utf8(s)
    if b is None:
        parts.append(js_string(s).encode("utf-8"))
    else:
        parts.append(b'"')
        parts.append(b)
        parts.append(b'"')


def envelope_parts(env, payloads):
    """The envelope's wire form as a list of parts: small bytes, and for each direct payload a
    (source, n) tuple standing for the base64 of source. Returns (parts, total byte length).
    payloads: [(id, dataname, payload_type, size, source or None, url or None)].
    Built from constant pieces and the values' own UTF-8, never joined."""
    parts = []
    for k in ENVELOPE_FIELDS:
        if k == "metadata":
            parts.append(b',"metadata":')
            parts.append(json_dumps(env[k]).encode("utf-8"))
        elif k != "payloads":
            parts.append(b'{"' if k == "correlation_id" else b',"')
            parts.append(k.encode())
            parts.append(b'":')
            _add_str(parts, env[k])
    parts.append(b',"payloads":[')
    for j in range(len(payloads)):
        pid, name, ptype, size, src, url = payloads[j]
        parts.append(b',{"id":' if j else b'{"id":')
        _add_str(parts, pid)
        parts.append(b',"dataname":')
        _add_str(parts, name)
        parts.append(b',"payload_type":')
        _add_str(parts, ptype)
        if url is None:
            parts.append(b',"transport":"direct","encoding":"base64","size":')
            parts.append(str(size).encode())
            parts.append(b',"data":"')
            parts.append((src, b64_length(size)))
            parts.append(b'","metadata":{"payload_bytes":')
            parts.append(str(size).encode())
            parts.append(b"}}")
        else:
            parts.append(b',"transport":"link","encoding":"none","size":')
            parts.append(str(size).encode())
            parts.append(b',"data":')
            _add_str(parts, url)
            parts.append(b',"metadata":{}}')
    parts.append(b"]}")
    total = 0
    for p in parts:
        total += p[1] if isinstance(p, tuple) else len(p)
    return parts, total


def write_parts(parts, write):
    """Hand every piece of an envelope to write(): base64 is made 1 KB at a time."""
    for p in parts:
        if isinstance(p, tuple):
            b64_pieces(p[0], write)
        else:
            write(p)


def _join_parts(parts):
    """The whole envelope as one str (only when the caller asks for the JSON text)."""
    out = []
    write_parts(parts, lambda piece: out.append(bytes(piece)))
    return b"".join(out).decode("utf-8")


def smartsend(subject, data, **kw):
    """Serialize, choose direct or link per payload, publish one envelope.
    Returns (env, env_json_str). Options as in the seeds: broker_url, fileserver_url,
    fileserver_upload_handler, size_threshold, correlation_id, msg_purpose, sender_name,
    receiver_name, receiver_id, reply_to, reply_to_msg_id, is_publish, nats_connection, msg_id,
    sender_id, metadata, log; plus timestamp and payload_ids (fixed values, for conformance).

    Memory: a published envelope is written to the connection in pieces and never held whole, so
    env_json_str is None and the direct payloads' "data" in env is None unless return_json=True.
    With is_publish=False the JSON text is the point, and both are built."""
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
    materialize = not is_publish or kw.get("return_json")
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
    if log or _logger:  # no message is built while nobody listens
        log_trace(cid, "Starting smartsend for subject: " + subject, log)

    conn = kw.get("nats_connection")
    own_conn = False
    if is_publish and conn is None:
        conn = NATSClient(broker_url)
        conn.connect()
        own_conn = True
    try:
        ids = kw.get("payload_ids")
        sources = []
        for t in data:
            try:
                b = serialize(t[1], t[2])
            except NatsBridgeError as e:
                e.correlation_id = cid
                raise e
            if log or _logger:  # no message is built while nobody listens
                log_trace(cid, "Serialized payload '" + t[0] + "' (type: " + t[2] + ") size: " + str(source_len(b)) + " bytes", log)
            sources.append(b)
        n = len(data)
        sizes = [source_len(s) for s in sources]
        pids = [(ids[i] if ids and i < len(ids) else uuid4()) for i in range(n)]
        urls = [None] * n
        direct = [sizes[i] < size_threshold for i in range(n)]
        max_payload = getattr(conn, "max_payload", None) or DEFAULT_MAX_PAYLOAD
        while True:
            for i in range(n):
                if not direct[i] and urls[i] is None:
                    from natsbridge_link import upload_payload
                    urls[i] = upload_payload(upload, fileserver_url, data[i][0], sources[i], cid, log)
            plan = [(pids[i], data[i][0], data[i][2], sizes[i], sources[i], None if direct[i] else urls[i]) for i in range(n)]
            try:
                parts, total = envelope_parts(env, plan)
            except (ValueError, TypeError) as e:
                raise _err("SERIALIZATION_ERROR", "envelope metadata is not JSON-serializable: " + str(e), cid)
            if total <= max_payload:
                break
            best = -1
            for i in range(n):
                if direct[i] and (best < 0 or sizes[i] > sizes[best]):
                    best = i
            if best < 0:
                raise _err("ENVELOPE_TOO_LARGE", "envelope is " + str(total) + " bytes with every payload linked; the server accepts " + str(max_payload), cid)
            direct[best] = False
        payloads = []
        for i in range(n):
            if direct[i]:
                if log or _logger:  # no message is built while nobody listens
                    log_trace(cid, "Using direct transport for " + str(sizes[i]) + " bytes", log)
                payloads.append(_direct_payload(pids[i], data[i][0], data[i][2], sizes[i], b64encode(sources[i]) if materialize and not _is_file(sources[i]) else None))
            else:
                payloads.append(_link_payload(pids[i], data[i][0], data[i][2], sizes[i], urls[i]))
        env["payloads"] = payloads
        js = _join_parts(parts) if materialize else None
        if is_publish:
            try:
                if hasattr(conn, "publish_parts"):
                    conn.publish_parts(subject, parts, total)
                else:  # another client (nats.py, umqtt-style wrappers): it gets the whole text
                    conn.publish(subject, (js if js is not None else _join_parts(parts)).encode("utf-8"))
                if own_conn:
                    conn.flush()
            except NatsBridgeError as e:
                if e.correlation_id is None:
                    e.correlation_id = cid
                raise e
            except Exception as e:
                raise _err("NATS_CONNECTION_FAILED", "publish to " + subject + " failed: " + str(e), cid)
            if log or _logger:  # no message is built while nobody listens
                log_trace(cid, "Message published to " + subject, log)
        return env, js
    finally:
        if own_conn:
            conn.close()


# ------------------------------------------------------------------ NATS client (lazy)

def NATSClient(*args, **kw):
    """natsbridge_nats.NATSClient (loaded on first use): the socket NATS client."""
    from natsbridge_nats import NATSClient as C
    return C(*args, **kw)


# ------------------------------------------------------------------ link transport (lazy)

def plik_oneshot_upload(fileserver_url, dataname, data):
    """The seeds' default upload handler (Plik, one-shot); natsbridge_link is loaded on first use."""
    from natsbridge_link import plik_upload
    return plik_upload(fileserver_url, dataname, data, True)


def fetch_with_backoff(url, max_retries=5, base_delay=100, max_delay=5000, correlation_id=""):
    """The seeds' default download handler; natsbridge_link is loaded on first use."""
    from natsbridge_link import fetch_with_backoff as fetch
    return fetch(url, max_retries, base_delay, max_delay, correlation_id)


def NATSBridge(broker_url=None, fileserver_url=None):
    """The seeds' class-style facade (natsbridge_nats.NATSBridge, loaded on first use)."""
    from natsbridge_nats import NATSBridge as B
    return B(broker_url, fileserver_url)
