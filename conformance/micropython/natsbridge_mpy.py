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
#   NatsBridgeError(code, message).code  - one of the codes listed below

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

# NatsBridgeError.code is one of the TypeScript library's codes: INVALID_PAYLOAD_TYPE,
# UPLOAD_FAILED, DOWNLOAD_FAILED, INVALID_TRANSPORT, NATS_CONNECTION_FAILED,
# DESERIALIZATION_ERROR, INVALID_ENVELOPE, SERIALIZATION_ERROR, ENVELOPE_TOO_LARGE,
# INVALID_OPTIONS (a comment, not a table: a tuple of them costs a board heap for nothing).

PAYLOAD_TYPES = ("text", "dictionary", "jsontable", "arrowtable", "image", "audio", "video", "binary")
BYTES_TYPES = ("image", "audio", "video", "binary")

ENVELOPE_FIELDS = (
    "correlation_id", "msg_id", "timestamp", "send_to", "msg_purpose", "sender_name", "sender_id",
    "receiver_name", "receiver_id", "reply_to", "reply_to_msg_id", "broker_url", "metadata", "payloads",
)
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


_HEX = b"0123456789abcdef"


def uuid4():
    """RFC 4122 version 4 UUID, lowercase."""
    b = _random_bytes(16)
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    # Hex digits written into one buffer: hexlify and slices would allocate six more objects.
    out = bytearray(36)
    j = 0
    for i in range(16):
        if i == 4 or i == 6 or i == 8 or i == 10:
            out[j] = 0x2D
            j += 1
        out[j] = _HEX[b[i] >> 4]
        out[j + 1] = _HEX[b[i] & 15]
        j += 2
    return str(out, "ascii")


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


# ------------------------------------------------------------------ JSON (JS-compatible writer)

# The characters JSON.stringify writes as a backslash and a letter (the rest below 0x20 as \\u).
_ESC_CH = '\b\f\n\r\t"\\'
_ESC_AS = 'bfnrt"\\'
_MAX_DEPTH = 200


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
    """s as a JSON string, as JSON.stringify writes it."""
    return '"' + s + '"' if _plain_utf8(s) is not None else _escaped(s)


def _escaped(s):
    """js_string for a string that needs escapes (the slow path: a str per character)."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if o < 0x20 or o == 0x22 or o == 0x5C:
            k = _ESC_CH.find(ch)
            out.append("\\" + _ESC_AS[k] if k >= 0 else "\\u%04x" % o)
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
            # MicroPython lets chr(0xD800) into a str and encodes it as CESU-8 (ED A0..BF ..);
            # that is the one ill-formed UTF-8 a str can hold (CPython's encode raises instead).
            k = b.find(b"\xed")
            while k >= 0:
                if k + 1 < len(b) and b[k + 1] >= 0xA0:
                    raise ValueError
                k = b.find(b"\xed", k + 1)
            return b
        except (UnicodeError, ValueError):
            raise _err("SERIALIZATION_ERROR", "text is not encodable as UTF-8 (lone surrogate?)")
    if payload_type == "dictionary":
        return _json_bytes(data, "dictionary")
    if payload_type == "jsontable":
        rows = to_rows(data)
        if rows is None:
            raise _err("SERIALIZATION_ERROR",
                       "jsontable data must be rows (dicts or lists) or a dict of equal-length columns")
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


# ------------------------------------------------------------------ send

def _opt(kw, key, default):
    v = kw.get(key)
    if v is None:
        return default
    if not isinstance(v, str):
        raise _err("INVALID_OPTIONS", "option " + key + " must be a string")
    return v


def _add_str(out, s):
    """A JSON string as pieces of out: the common escape-free case adds s itself."""
    if _plain_utf8(s) is None:
        out.append(_escaped(s))
    else:
        out.append('"')
        out.append(s)
        out.append('"')


def envelope_parts(env, payloads):
    """The envelope's wire form as a list of parts: UTF-8 text, and for each direct payload a
    (source, n) tuple standing for the base64 of source. Returns (parts, total byte length).
    payloads: [(id, dataname, payload_type, size, source or None, url or None)].
    The text between payloads' data is joined (a few hundred bytes); the data never is."""
    out = []  # pieces, joined once: no string per concatenation
    for k in ENVELOPE_FIELDS:
        if k == "metadata":
            out.append(',"metadata":')
            _dump(env[k], out, 0)
        elif k != "payloads":
            out.append('{"' if k == "correlation_id" else ',"')
            out.append(k)
            out.append('":')
            _add_str(out, env[k])
    out.append(',"payloads":[')
    parts = []
    for j in range(len(payloads)):
        pid, name, ptype, size, src, url = payloads[j]
        out.append('%s{"id":%s,"dataname":%s,"payload_type":%s,"transport":"%s","encoding":"%s","size":%d,"data":%s' % (
            "," if j else "", js_string(pid), js_string(name), js_string(ptype), "direct" if url is None else "link",
            "base64" if url is None else "none", size, '"' if url is None else js_string(url) + ',"metadata":{}}'))
        if url is None:
            parts.append("".join(out).encode("utf-8"))
            parts.append((src, b64_length(size)))
            out = ['","metadata":{"payload_bytes":%d}}' % size]
    out.append("]}")
    parts.append("".join(out).encode("utf-8"))
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
    if not isinstance(subject, str) or not subject or _has_space(subject):
        raise _err("INVALID_OPTIONS", "subject must be a non-empty NATS subject without whitespace")
    cid = _opt(kw, "correlation_id", "") or uuid4()
    log = kw.get("log")
    ok = isinstance(data, (list, tuple))
    for t in data if ok else ():
        ok = isinstance(t, (list, tuple)) and len(t) == 3 and isinstance(t[0], str) and isinstance(t[2], str)
        if not ok:
            break
    if not ok:
        raise _err("INVALID_OPTIONS", "data must be a list of (dataname, data, payload_type) tuples", cid)
    size_threshold = kw.get("size_threshold")
    if size_threshold is None:
        size_threshold = DEFAULT_SIZE_THRESHOLD
    broker_url = _opt(kw, "broker_url", DEFAULT_BROKER_URL)
    fileserver_url = _opt(kw, "fileserver_url", DEFAULT_FILESERVER_URL)
    is_publish = kw.get("is_publish", True)
    materialize = not is_publish or kw.get("return_json")
    metadata = kw.get("metadata")
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
        "metadata": {} if metadata is None else metadata,
        "payloads": [],
    }
    if log or _logger:  # no message is built while nobody listens
        log_trace(cid, "Starting smartsend for subject: " + subject, log)
    conn = kw.get("nats_connection")
    own_conn = is_publish and conn is None
    if own_conn:
        conn = NATSClient(broker_url).connect()
    try:
        n = len(data)
        sources = []
        for t in data:
            try:
                sources.append(serialize(t[1], t[2]))
            except NatsBridgeError as e:
                e.correlation_id = cid
                raise e
        sizes = [source_len(b) for b in sources]
        ids = kw.get("payload_ids")
        pids = [(ids[i] if ids and i < len(ids) else uuid4()) for i in range(n)]
        urls = [None] * n
        direct = [sizes[i] < size_threshold for i in range(n)]
        max_payload = getattr(conn, "max_payload", None) or DEFAULT_MAX_PAYLOAD
        while True:
            for i in range(n):
                if not direct[i] and urls[i] is None:
                    from natsbridge_link import upload_payload
                    urls[i] = upload_payload(kw.get("fileserver_upload_handler") or plik_oneshot_upload,
                                             fileserver_url, data[i][0], sources[i], cid, log)
            plan = [(pids[i], data[i][0], data[i][2], sizes[i], sources[i], None if direct[i] else urls[i]) for i in range(n)]
            try:
                parts, total = envelope_parts(env, plan)
            except (ValueError, TypeError) as e:
                raise _err("SERIALIZATION_ERROR", "envelope metadata is not JSON-serializable: " + str(e), cid)
            if total <= max_payload:
                break
            best = -1  # the largest payload still direct goes by link instead
            for i in range(n):
                if direct[i] and (best < 0 or sizes[i] > sizes[best]):
                    best = i
            if best < 0:
                raise _err("ENVELOPE_TOO_LARGE", "envelope is " + str(total) + " bytes with every payload linked; the server accepts " + str(max_payload), cid)
            direct[best] = False
        for i in range(n):
            d = direct[i]
            env["payloads"].append({
                "id": pids[i], "dataname": data[i][0], "payload_type": data[i][2],
                "transport": "direct" if d else "link", "encoding": "base64" if d else "none", "size": sizes[i],
                "data": (b64encode(sources[i]) if materialize and not _is_file(sources[i]) else None) if d else urls[i],
                "metadata": {"payload_bytes": sizes[i]} if d else {}})
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


def _has_space(s):
    for c in " \t\r\n":
        if c in s:
            return True
    return False


# ------------------------------------------------------------------ receive (lazy)

def smartreceive(msg, **kw):
    """natsbridge_rx.smartreceive (loaded on first use): validate an envelope and return it as a
    dict whose "payloads" is a list of (dataname, data, payload_type) tuples."""
    from natsbridge_rx import smartreceive as f
    return f(msg, **kw)


def json_loads(data, ordered=False):
    """natsbridge_rx.json_loads (loaded on first use): strict RFC 8259 JSON."""
    from natsbridge_rx import json_loads as f
    return f(data, ordered)


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
