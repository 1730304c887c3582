#!/usr/bin/env python3
"""Generate conformance/vectors/*.json (format: conformance/README.md).

    python3 -m venv /tmp/v && /tmp/v/bin/pip install pyarrow pandas
    /tmp/v/bin/python conformance/tools/gen_vectors.py

Needs CPython >= 3.9, pyarrow (Arrow IPC bytes), pandas (the pandas-written vector) and `node`
(conformance/tools/js_stringify.mjs is the ground truth for the JSON that JavaScript sends).
The output is deterministic for a given pyarrow/pandas version; the committed vectors are the
reference, so regenerate only when a vector is added or changed, and review the diff.

Peer styles reproduced here (seed documents in shared/seeds):
  natsbridge   what natsbridge (TS) and natsbridge_mpy.py send: compact JSON.stringify output,
               ms "Z" timestamps, padded base64, size = byte count, metadata {"payload_bytes": n}
  julia        NATSBridge.jl: JSON.jl compact JSON (raw UTF-8, Julia float printing 1.0 / 1.0e-7),
               Dates.now() timestamps without zone (with or without ms), Arrow.write(io, df) =
               Arrow IPC *stream* format, non-nullable columns, Timestamp(ms) for DateTime
  python       seed 000's Python: json.dumps defaults (", " / ": ", ensure_ascii \\u escapes,
               surrogate pairs for astral characters), datetime.utcnow().isoformat()+"Z" (µs),
               Arrow IPC *file* format from pyarrow / pandas.DataFrame (pandas schema metadata)
  micropython  seed 003/000 MicroPython module: MicroPython json.dumps (", " / ": ", raw UTF-8,
               hash-ordered keys), seconds timestamps, no payload metadata, base64 from
               binascii.b2a_base64 (trailing "\\n"), list[list] tables
  readme-v0    older README (seeds 002/004): payload field "type" instead of "payload_type",
               "table" for Arrow, no payload metadata, "2024-01-15T10:30:00Z" timestamps
"""
import base64
import datetime
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import zlib
from collections import OrderedDict

import pyarrow as pa
import pyarrow.ipc as ipc

try:
    import pandas as pd
except ImportError:  # the pandas-written vector is then skipped with a loud warning
    pd = None

HERE = os.path.dirname(os.path.abspath(__file__))
CONF = os.path.dirname(HERE)
OUT = os.path.join(CONF, "vectors")
FORMAT = "natsbridge-conformance/1"
SAFE = 2 ** 53 - 1

SUBJECT = "/conformance"
BROKER = "nats://localhost:4222"
NB_TIMESTAMP = "2026-03-13T07:02:50.443Z"


# ------------------------------------------------------------------ helpers

def fixed_uuid(name):
    """Deterministic but well-formed UUID v4 (version and variant bits set)."""
    h = bytearray(hashlib.sha1(name.encode()).digest()[:16])
    h[6] = (h[6] & 0x0F) | 0x40
    h[8] = (h[8] & 0x3F) | 0x80
    x = h.hex()
    return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]


CID = fixed_uuid("correlation")
MID = fixed_uuid("msg")
SID = fixed_uuid("sender")


class Arrow:
    """Expected Arrow table (what a receiver with Arrow support must read)."""

    def __init__(self, ipc_bytes, fmt, table):
        self.ipc = ipc_bytes
        self.fmt = fmt
        self.table = table

    def marked(self):
        schema = [OrderedDict([("name", f.name), ("type", str(f.type)), ("nullable", f.nullable)]) for f in self.table.schema]
        rows = []
        cols = [self.table.column(i) for i in range(self.table.num_columns)]
        for r in range(self.table.num_rows):
            row = OrderedDict()
            for f, c in zip(self.table.schema, cols):
                row[f.name] = arrow_cell(c[r], f.type)
            rows.append(row)
        return {"$arrow": OrderedDict([("format", self.fmt), ("schema", schema), ("num_rows", self.table.num_rows),
                                       ("rows", mark(rows)), ("ipc", {"$base64": b64(self.ipc)})])}


def arrow_cell(scalar, typ):
    if not scalar.is_valid:
        return None
    if pa.types.is_timestamp(typ) or pa.types.is_date32(typ) or pa.types.is_date64(typ):
        return scalar.cast(pa.int64() if not pa.types.is_date32(typ) else pa.int32()).as_py()
    return scalar.as_py()


def mark(v):
    """Python value -> language-neutral JSON with $hex/$base64/$bigint/$arrow markers."""
    if isinstance(v, Arrow):
        return v.marked()
    if isinstance(v, (bytes, bytearray)):
        return {"$hex": bytes(v).hex()} if len(v) <= 64 else {"$base64": b64(v)}
    if isinstance(v, bool) or v is None or isinstance(v, (str, float)):
        return v
    if isinstance(v, int):
        return v if -SAFE <= v <= SAFE else {"$bigint": str(v)}
    if isinstance(v, dict):
        return OrderedDict((k, mark(x)) for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return [mark(x) for x in v]
    raise TypeError(type(v))


def b64(b):
    return base64.b64encode(bytes(b)).decode()


def js_stringify_many(values):
    """JSON.stringify each marked value in node (bigints as integer literals)."""
    r = subprocess.run(["node", os.path.join(HERE, "js_stringify.mjs")], input=json.dumps(values).encode(),
                       capture_output=True, check=True)
    return json.loads(r.stdout)


def js(v):
    return js_stringify_many([mark(v)])[0]


def py_dumps(v):
    """seed 000 Python peer: json.dumps with its defaults."""
    return json.dumps(v)


def julia_float(x):
    """Julia's shortest float printing as JSON.jl writes it (1.0, 0.5, 1.0e-7, 2.5e6)."""
    r = repr(float(x))
    if "e" in r:
        m, e = r.split("e")
        if "." not in m:
            m += ".0"
        return m + "e" + str(int(e))
    ax = abs(x)
    if ax != 0 and (ax >= 1e6 or ax < 1e-4):
        m, e = ("%.17e" % x).split("e")
        # shortest mantissa that round-trips
        for p in range(1, 18):
            s = "%.*e" % (p - 1, x)
            if float(s) == x:
                m, e = s.split("e")
                break
        if "." not in m:
            m += ".0"
        m = m.rstrip("0")
        if m.endswith("."):
            m += "0"
        return m + "e" + str(int(e))
    return r


def julia_dumps(v):
    """JSON.jl compact output: raw UTF-8, Julia float printing, big Int64 literals."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return julia_float(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + julia_dumps(x) for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(julia_dumps(x) for x in v) + "]"
    raise TypeError(type(v))


def mpy_dumps(v, order=None):
    """MicroPython's json.dumps: ", " / ": " separators, raw UTF-8. `order` scrambles envelope keys
    the way MicroPython's hash-ordered dicts do (a fixed permutation, for determinism)."""
    if isinstance(v, dict):
        keys = list(v.keys())
        if order:
            keys = [k for k in order if k in v] + [k for k in keys if k not in order]
        return "{" + ", ".join(json.dumps(k, ensure_ascii=False) + ": " + mpy_dumps(v[k], order) for k in keys) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(mpy_dumps(x, order) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


# MicroPython 1.27 iteration order of the seed's envelope / payload dicts (observed).
MPY_ORDER = ["payloads", "metadata", "send_to", "sender_id", "timestamp", "msg_purpose", "sender_name",
             "receiver_id", "reply_to_msg_id", "reply_to", "msg_id", "broker_url", "correlation_id", "receiver_name",
             "size", "transport", "data", "dataname", "encoding", "id", "payload_type"]


def header(**over):
    h = OrderedDict([
        ("correlation_id", CID), ("msg_id", MID), ("timestamp", NB_TIMESTAMP), ("send_to", SUBJECT),
        ("msg_purpose", "chat"), ("sender_name", "NATSBridge"), ("sender_id", SID), ("receiver_name", ""),
        ("receiver_id", ""), ("reply_to", ""), ("reply_to_msg_id", ""), ("broker_url", BROKER), ("metadata", OrderedDict()),
    ])
    for k, v in over.items():
        h[k] = v
    return h


def nb_payload(pid, dataname, ptype, raw):
    return OrderedDict([("id", pid), ("dataname", dataname), ("payload_type", ptype), ("transport", "direct"),
                        ("encoding", "base64"), ("size", len(raw)), ("data", b64(raw)),
                        ("metadata", OrderedDict([("payload_bytes", len(raw))]))])


def link_payload(pid, dataname, ptype, size, url):
    return OrderedDict([("id", pid), ("dataname", dataname), ("payload_type", ptype), ("transport", "link"),
                        ("encoding", "none"), ("size", size), ("data", url), ("metadata", OrderedDict())])


def envelope(hdr, payloads):
    e = OrderedDict(hdr)
    e["payloads"] = payloads
    return e


def expected_env(hdr, tuples):
    e = OrderedDict(hdr)
    e["payloads"] = [[n, mark(v), t] for (n, v, t) in tuples]
    return e


def msg_text(s):
    return {"text": s}


def msg_hex(b):
    return {"hex": bytes(b).hex()}


# ------------------------------------------------------------------ sample data

def png_1x1():
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00\xff", 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def wav_tiny():
    samples = struct.pack("<8h", 0, 12000, 23000, 32767, 0, -12000, -23000, -32768)
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(samples)) + samples
    return b"RIFF" + struct.pack("<I", len(body)) + body


def mp4_ftyp():
    ftyp = b"ftyp" + b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41"
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", 8) + b"free"


ALL_BYTES = bytes(range(256))
PLUS_SLASH = bytes([0xFB, 0xEF, 0xBE, 0xFF, 0xFF, 0xFF])  # base64 "++++////"

# ------------------------------------------------------------------ arrow

def arrow_stream(table):
    sink = io.BytesIO()
    with ipc.new_stream(sink, table.schema) as w:
        if table.num_rows:
            w.write_table(table)
    return sink.getvalue()


def arrow_file(table):
    sink = io.BytesIO()
    with ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue()


def julia_df_table():
    """What Arrow.jl writes for DataFrame(id=[1,2,3], name=[...], score=[...], active=[...],
    ts=DateTime[...], day=Date[...]): non-nullable columns, Int64, Float64, Utf8, Bool,
    Timestamp(MILLISECOND, no zone), Date32(DAY)."""
    schema = pa.schema([
        pa.field("id", pa.int64(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("score", pa.float64(), nullable=False),
        pa.field("active", pa.bool_(), nullable=False),
        pa.field("ts", pa.timestamp("ms"), nullable=False),
        pa.field("day", pa.date32(), nullable=False),
    ])
    ts = [datetime.datetime(2026, 3, 13, 7, 2, 50, 443000), datetime.datetime(2026, 3, 13, 7, 2, 51),
          datetime.datetime(1969, 12, 31, 23, 59, 59, 999000)]
    days = [datetime.date(2026, 3, 13), datetime.date(1970, 1, 1), datetime.date(1999, 12, 31)]
    return pa.table([
        pa.array([1, 2, 9007199254740993], pa.int64()),
        pa.array(["Alice", "Bob", "Zoë 😀"], pa.string()),
        pa.array([88.5, 92.0, -79.25], pa.float64()),
        pa.array([True, False, True], pa.bool_()),
        pa.array(ts, pa.timestamp("ms")),
        pa.array(days, pa.date32()),
    ], schema=schema)


def nullable_table():
    schema = pa.schema([pa.field("id", pa.int64()), pa.field("label", pa.string()), pa.field("value", pa.float64())])
    return pa.table([pa.array([1, None, 3], pa.int64()), pa.array(["a", None, "ünïcödé"], pa.string()),
                     pa.array([None, 0.5, 1e-7], pa.float64())], schema=schema)


def empty_table():
    schema = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("name", pa.string(), nullable=False)])
    return pa.table([pa.array([], pa.int64()), pa.array([], pa.string())], schema=schema)


def pandas_table():
    """seed 000 Python: pa.Table.from_pandas(df) written with ipc.new_file (pandas schema metadata)."""
    df = pd.DataFrame({
        "Name": pd.Series(["Alice", "Bob", "Charlie"], dtype=object),
        "Age": pd.Series([25, 30, 35], dtype="int64"),
        "Score": pd.Series([88.5, 92.0, 79.5], dtype="float64"),
        "When": pd.Series(pd.to_datetime(["2026-03-13T07:02:50.443123", "2026-03-13T07:02:51", "2000-01-01"], format="ISO8601")).astype("datetime64[ns]"),
    })
    return pa.Table.from_pandas(df)


def large_string_table():
    """pandas 3 / polars style: large_string and int32 columns, nullable."""
    return pa.table({"city": pa.array(["Zürich", "東京", "São Paulo"], pa.large_string()),
                     "pop": pa.array([421878, 13960000, 12330000], pa.int32())})


# ------------------------------------------------------------------ vector builders

ENCODE = []  # (file, vector) pending JS stringify


def enc(file, vid, desc, dataname, ptype, value, raw, decoded, senders=("ts", "mpy"), input_value=None):
    """Encode vector: sending `value` as `ptype` must serialize to exactly `raw`."""
    pid = fixed_uuid("payload:" + vid)
    payload = nb_payload(pid, dataname, ptype, raw)
    v = OrderedDict([
        ("id", vid), ("kind", "encode"), ("description", desc), ("senders", list(senders)),
        ("input", OrderedDict([("dataname", dataname), ("payload_type", ptype),
                               ("data", mark(value if input_value is None else input_value))])),
        ("payload_id", pid),
        ("serialized", {"$hex": raw.hex()} if len(raw) <= 64 else {"$base64": b64(raw)}),
        ("payload", payload),
        ("payload_json", None),
        ("decoded", mark(decoded)),
    ])
    ENCODE.append(v)
    return v


def enc_json(file, vid, desc, dataname, ptype, value, decoded, rows_for_wire=None, senders=("ts", "mpy")):
    """Encode vector for dictionary/jsontable: bytes are node's JSON.stringify of the wire value."""
    wire = value if rows_for_wire is None else rows_for_wire
    raw = js(wire).encode("utf-8")
    return enc(file, vid, desc, dataname, ptype, value, raw, decoded, senders)


def dec(vid, style, desc, message, expected, downloads=None):
    v = OrderedDict([("id", vid), ("kind", "decode"), ("style", style), ("description", desc), ("message", message)])
    if downloads:
        v["downloads"] = OrderedDict((u, mark(b)) for u, b in downloads.items())
    v["expected"] = expected
    return v


def rej(vid, style, desc, message, code, downloads=None):
    v = OrderedDict([("id", vid), ("kind", "reject"), ("style", style), ("description", desc), ("message", message)])
    if downloads:
        v["downloads"] = OrderedDict((u, mark(b)) for u, b in downloads.items())
    v["error"] = code
    return v


def one_payload_msg(payload, **hdr):
    """A natsbridge-style envelope (compact) around one payload object, as message text."""
    return msg_text(json.dumps(envelope(header(**hdr), [payload]), separators=(",", ":"), ensure_ascii=False))


def single(payload_tuple, **hdr):
    return expected_env(header(**hdr), [payload_tuple])


# ------------------------------------------------------------------ per-type files

def text_vectors():
    vs = []
    cases = [
        ("text/encode/ascii", "Seeds' example message", "message", "Hello World"),
        ("text/encode/empty", "Empty string: zero bytes, empty base64, size 0", "empty", ""),
        ("text/encode/unicode-bmp", "Latin-1, CJK and punctuation outside ASCII", "greeting", "héllo wörld — ¿qué tal? 日本語"),
        ("text/encode/astral", "Astral-plane characters (4-byte UTF-8, surrogate pairs in JS)", "emoji", "emoji 😀 clef 𝄞 and 🇯🇵"),
        ("text/encode/controls", "Control characters travel inside base64 untouched", "raw", "line1\nline2\r\n\ttab\u0000nul\u007fdel"),
        ("text/encode/leading-bom", "A leading U+FEFF is content, not a BOM to strip", "bom", "\ufeffstarts with U+FEFF"),
        ("text/encode/long", "300+ bytes: base64 must not be wrapped into lines", "long", "The quick brown fox jumps over the lazy dog. " * 8),
    ]
    for vid, desc, name, s in cases:
        vs.append(enc("text", vid, desc, name, "text", s, s.encode("utf-8"), s))

    hello = b"Hello World"
    # MicroPython module style: base64 with b2a_base64's newline, no metadata, seconds timestamp.
    mp_env = OrderedDict(header(timestamp="2026-03-13T07:02:50Z", sender_id=SID))
    p = OrderedDict([("id", fixed_uuid("mpy-text")), ("dataname", "message"), ("payload_type", "text"), ("transport", "direct"),
                     ("encoding", "base64"), ("size", len(hello)), ("data", b64(hello) + "\n")])
    vs.append(dec("text/decode/micropython-b2a-newline", "micropython",
                  "MicroPython peer: hash-ordered keys, ', ' separators, seconds timestamp, no payload metadata, base64 ending in \\n",
                  msg_text(mpy_dumps(envelope(mp_env, [p]), MPY_ORDER)),
                  single(("message", "Hello World", "text"), timestamp="2026-03-13T07:02:50Z")))
    p = nb_payload(fixed_uuid("unpadded"), "message", "text", hello)
    p["data"] = p["data"].rstrip("=")
    vs.append(dec("text/decode/unpadded-base64", "julia", "Padding is optional on receive", one_payload_msg(p),
                  single(("message", "Hello World", "text"))))
    long = ("The quick brown fox jumps over the lazy dog. " * 4).encode()
    p = nb_payload(fixed_uuid("wrapped"), "long", "text", long)
    p["data"] = base64.encodebytes(long).decode()  # 76-column lines, trailing newline
    vs.append(dec("text/decode/wrapped-base64", "python", "MIME-wrapped base64 (base64.encodebytes): whitespace is ignored",
                  one_payload_msg(p), single(("long", long.decode(), "text"))))
    name = "café_😀"
    raw = "Grüße aus Köln 😀".encode()
    pe = nb_payload(fixed_uuid("py-text"), name, "text", raw)
    hp = header(timestamp="2026-03-13T07:02:50.443123Z", sender_name="python-peer")
    vs.append(dec("text/decode/python-ensure-ascii", "python",
                  "Python json.dumps: \\u00e9 escapes and a \\ud83d\\ude00 surrogate pair in the dataname, µs timestamp",
                  msg_text(py_dumps(envelope(hp, [pe]))),
                  expected_env(hp, [(name, "Grüße aus Köln 😀", "text")])))
    minimal = OrderedDict([("dataname", "m"), ("payload_type", "text"), ("transport", "direct"), ("data", b64(b"hi"))])
    vs.append(dec("text/decode/minimal-payload", "readme-v0", "Payload with only dataname, payload_type, transport and data",
                  one_payload_msg(minimal), single(("m", "hi", "text"))))
    bad = [("text/reject/invalid-utf8", "0xFF 0xFE is not UTF-8", b"\xff\xfe"),
           ("text/reject/truncated-utf8", "Truncated 3-byte sequence", b"abc\xe2\x82"),
           ("text/reject/encoded-surrogate", "UTF-8 encoded surrogate U+D800 (CESU-8)", b"\xed\xa0\x80"),
           ("text/reject/overlong", "Overlong encoding of '/'", b"\xc0\xaf")]
    for vid, desc, raw in bad:
        vs.append(rej(vid, "natsbridge", desc, one_payload_msg(nb_payload(fixed_uuid(vid), "t", "text", raw)), "DESERIALIZATION_ERROR"))
    return vs


def dictionary_vectors():
    vs = []
    cfg = OrderedDict([("wifi_ssid", "MyNetwork"), ("wifi_password", "password123"), ("update_interval", 60)])
    nested = OrderedDict([
        ("device", OrderedDict([("id", "esp32-01"), ("sensors", [OrderedDict([("type", "temp"), ("value", 21.5)]),
                                                                 OrderedDict([("type", "hum"), ("value", 40)])])])),
        ("tags", ["a", "b"]), ("active", True), ("none", None), ("empty_obj", OrderedDict()), ("empty_arr", []),
        ("deep", OrderedDict([("l1", OrderedDict([("l2", OrderedDict([("l3", OrderedDict([("l4", [[[1]]])]))]))]))])),
    ])
    uni = OrderedDict([("name", "Zoë"), ("city", "Zürich"), ("emoji", "😀"), ("cjk", "日本"), ("key_ü", "value")])
    esc = OrderedDict([("quote", 'say "hi"'), ("backslash", "C:\\path\\x"), ("newline", "a\nb"), ("tab", "\t"),
                       ("ctrl", "\u0001\u001f\b\f\r"), ("del", "\u007f"), ("slash", "a/b"), ("ls", "\u2028\u2029")])
    floats = OrderedDict([("pi", 3.14159), ("half", 0.5), ("neg", -2.25), ("one_float", 1.0), ("third", 1 / 3),
                          ("small", 1e-7), ("micro", 0.000001), ("tiny", 5e-324), ("e20", 1e20), ("e21", 1e21),
                          ("max", 1.7976931348623157e308), ("sci", 1.5e-10), ("sum", 0.1 + 0.2), ("negzero", -0.0)])
    floats_decoded = OrderedDict(floats)
    floats_decoded["negzero"] = 0
    # JSON.stringify(1e20) is "100000000000000000000": an integer literal beyond 2^53, which a
    # receiver returns exactly (bigint in TS, int in Python) - the wire cannot say "float".
    floats_decoded["e20"] = 10 ** 20
    bigs = OrderedDict([("max_safe", SAFE), ("min_safe", -SAFE), ("two53", 2 ** 53), ("above", 2 ** 53 + 1),
                        ("neg_above", -(2 ** 53 + 1)), ("u64_max", 2 ** 64 - 1), ("i64_min", -(2 ** 63)),
                        ("huge", 10 ** 30), ("in_array", [1, 2 ** 63 - 1])])
    cases = [
        ("dictionary/encode/config", "Seeds' device configuration", "config", cfg),
        ("dictionary/encode/nested", "Nested objects, arrays, booleans, null, empty containers", "state", nested),
        ("dictionary/encode/unicode", "Non-ASCII is raw UTF-8, never \\u-escaped, in keys and values", "names", uni),
        ("dictionary/encode/escapes", "JSON.stringify escaping: \\\" \\\\ \\n \\t \\b \\f \\r, other controls as \\u00xx (lowercase), DEL / U+2028 / '/' raw", "esc", esc),
        ("dictionary/encode/floats", "ECMAScript number formatting: 1 not 1.0, 1e-7, 0.000001, 100000000000000000000 "
         "(read back as an exact integer: bigint in TS), 1e+21, -0 as 0", "floats", floats),
        ("dictionary/encode/bigint", "Integers beyond ±(2^53-1) are exact integer literals (bigint in TS)", "ids", bigs),
        ("dictionary/encode/top-level-array", "A dictionary payload may be any JSON value (seeds send lists too)", "list", [1, "two", OrderedDict([("three", 3)])]),
        ("dictionary/encode/empty-object", "Empty object", "nothing", OrderedDict()),
        ("dictionary/encode/nul-and-marker-lookalikes", "Strings with U+0000 and text that looks like an internal bigint "
         "marker stay strings, next to a real big integer (\\u0000 escape on the wire)", "nul",
         OrderedDict([("nul", "\u0000natsbridge-bigint:5"), ("plain_nul", "a\u0000b"), ("big", 2 ** 64)])),
    ]
    for vid, desc, name, value in cases:
        decoded = floats_decoded if vid.endswith("floats") else value
        vs.append(enc_json("dictionary", vid, desc, name, "dictionary", value, decoded))

    # peer styles
    payload_value = OrderedDict([("name", "Zoë 😀"), ("big", 9007199254740993), ("f", 1.0), ("e", 1e-7), ("m", 2.5e6),
                                 ("nested", OrderedDict([("list", [1, 2.5, None, True])]))])
    raw_py = py_dumps(payload_value).encode()
    hp = header(timestamp="2026-03-13T07:02:50.443123Z", sender_name="python-peer")
    vs.append(dec("dictionary/decode/python-json-dumps", "python",
                  "Python json.dumps payload: ', ' separators, \\u00eb and surrogate-pair escapes, 1.0, 1e-07, big int",
                  msg_text(py_dumps(envelope(hp, [nb_payload(fixed_uuid("py-dict"), "cfg", "dictionary", raw_py)]))),
                  expected_env(hp, [("cfg", payload_value, "dictionary")])))
    raw_jl = julia_dumps(payload_value).encode()
    hj = header(timestamp="2026-03-13T07:02:50.443", sender_name="julia-peer")
    vs.append(dec("dictionary/decode/julia-json-jl", "julia",
                  "JSON.jl payload: compact, raw UTF-8, 1.0 / 1.0e-7 / 2.5e6 float printing, Int64 above 2^53; zone-less timestamp",
                  msg_text(julia_dumps(envelope(hj, [nb_payload(fixed_uuid("jl-dict"), "cfg", "dictionary", raw_jl)]))),
                  expected_env(hj, [("cfg", payload_value, "dictionary")])))
    raw_mp = mpy_dumps(payload_value).encode()
    hm = header(timestamp="2026-03-13T07:02:50Z")
    pm = OrderedDict([("id", fixed_uuid("mp-dict")), ("dataname", "cfg"), ("payload_type", "dictionary"), ("transport", "direct"),
                      ("encoding", "base64"), ("size", len(raw_mp)), ("data", b64(raw_mp) + "\n")])
    vs.append(dec("dictionary/decode/micropython-json-dumps", "micropython",
                  "MicroPython json.dumps payload (', ' separators, raw UTF-8) in a hash-ordered envelope",
                  msg_text(mpy_dumps(envelope(hm, [pm]), MPY_ORDER)), expected_env(hm, [("cfg", payload_value, "dictionary")])))
    raw_esc = b'{"url":"http:\\/\\/example.com\\/x","A":"\\u0041\\u00E9\\u00e9","pair":"\\uD83D\\uDE00"}'
    vs.append(dec("dictionary/decode/escaped-solidus-uppercase-hex", "python",
                  "Escaped solidus \\/ and upper-case \\u00E9 / \\uD83D\\uDE00 escapes are valid JSON",
                  one_payload_msg(nb_payload(fixed_uuid("esc-dict"), "d", "dictionary", raw_esc)),
                  single(("d", OrderedDict([("url", "http://example.com/x"), ("A", "Aéé"), ("pair", "😀")]), "dictionary"))))
    dup = b'{"a":1,"b":2,"a":3}'
    vs.append(dec("dictionary/decode/duplicate-key-last-wins", "natsbridge", "Duplicate keys: the last one wins (JSON.parse, json.loads)",
                  one_payload_msg(nb_payload(fixed_uuid("dup"), "d", "dictionary", dup)),
                  single(("d", OrderedDict([("a", 3), ("b", 2)]), "dictionary"))))
    ws = b' \r\n\t{ "a" : [ 1 , 2 ] }\n '
    vs.append(dec("dictionary/decode/whitespace", "python", "Insignificant JSON whitespace around and inside the value",
                  one_payload_msg(nb_payload(fixed_uuid("ws"), "d", "dictionary", ws)),
                  single(("d", OrderedDict([("a", [1, 2])]), "dictionary"))))
    bad = [
        ("dictionary/reject/trailing-comma", "Trailing comma (MicroPython's own json.loads accepts it)", b'{"a": 1,}'),
        ("dictionary/reject/python-nan", "Python json.dumps writes NaN, which is not JSON", b'{"v": NaN}'),
        ("dictionary/reject/invalid-utf8", "Invalid UTF-8 inside the JSON text", b'{"v": "\xff"}'),
        ("dictionary/reject/empty", "Zero bytes is not a JSON value", b""),
        ("dictionary/reject/single-quotes", "Python repr() instead of JSON", b"{'a': 1}"),
        ("dictionary/reject/missing-colon", "Missing colon (MicroPython's json.loads accepts it)", b'{"a" 1}'),
        ("dictionary/reject/trailing-garbage", "A second value after the first", b'{"a":1}{"b":2}'),
        ("dictionary/reject/bare-control-char", "Unescaped control character inside a string", b'{"a":"x\x01y"}'),
        ("dictionary/reject/leading-zero", "Number with a leading zero", b'{"a":01}'),
        ("dictionary/reject/utf8-bom", "UTF-8 BOM before the JSON text", b'\xef\xbb\xbf{"a":1}'),
    ]
    for vid, desc, raw in bad:
        vs.append(rej(vid, "natsbridge", desc, one_payload_msg(nb_payload(fixed_uuid(vid), "d", "dictionary", raw)), "DESERIALIZATION_ERROR"))
    return vs


def jsontable_vectors():
    vs = []
    rows = [OrderedDict([("Name", "Alice"), ("Age", 25), ("Score", 88.5)]),
            OrderedDict([("Name", "Bob"), ("Age", 30), ("Score", 92.0)]),
            OrderedDict([("Name", "Charlie"), ("Age", 35), ("Score", 79.5)])]
    cols = OrderedDict([("Name", ["Alice", "Bob", "Charlie"]), ("Age", [25, 30, 35]), ("Score", [88.5, 92.0, 79.5])])
    lol = [["Alice", 25, 88.5], ["Bob", 30, 92.0]]
    mixed = [OrderedDict([("id", 1), ("label", "ünï"), ("v", None), ("big", 2 ** 63 - 1)]),
             OrderedDict([("id", 2), ("label", None), ("v", 0.25), ("big", -(2 ** 63))])]
    vs.append(enc_json("jsontable", "jsontable/encode/rows", "Seeds' row-oriented table (92.0 is written 92)", "users", "jsontable", rows, rows))
    vs.append(enc_json("jsontable", "jsontable/encode/columns", "Column-oriented {col: [...]} input is sent as rows", "users",
                       "jsontable", cols, rows, rows_for_wire=rows))
    vs.append(enc_json("jsontable", "jsontable/encode/list-of-lists", "MicroPython list[list] rows pass through unchanged", "matrix", "jsontable", lol, lol))
    vs.append(enc_json("jsontable", "jsontable/encode/empty-rows", "Empty table", "none", "jsontable", [], []))
    vs.append(enc_json("jsontable", "jsontable/encode/empty-columns", "Empty column object is zero rows", "none", "jsontable",
                       OrderedDict(), [], rows_for_wire=[]))
    vs.append(enc_json("jsontable", "jsontable/encode/nulls-unicode-bigint", "Nulls, non-ASCII cells and 64-bit integers in rows",
                       "mixed", "jsontable", mixed, mixed))

    hp = header(timestamp="2026-03-13T07:02:50.443123Z", sender_name="python-peer")
    raw = py_dumps(cols).encode()
    vs.append(dec("jsontable/decode/python-columns", "python", "pandas df.to_dict('list') sent with json.dumps: columns become rows",
                  msg_text(py_dumps(envelope(hp, [nb_payload(fixed_uuid("py-cols"), "users", "jsontable", raw)]))),
                  expected_env(hp, [("users", rows, "jsontable")])))
    hj = header(timestamp="2026-03-13T07:02:50", sender_name="julia-peer")
    raw = julia_dumps(rows).encode()
    vs.append(dec("jsontable/decode/julia-rows", "julia", "JSON.jl Vector{NamedTuple} rows (92.0 stays 92.0 on the wire); timestamp without ms or zone",
                  msg_text(julia_dumps(envelope(hj, [nb_payload(fixed_uuid("jl-rows"), "users", "jsontable", raw)]))),
                  expected_env(hj, [("users", rows, "jsontable")])))
    raw = mpy_dumps(lol).encode()
    hm = header(timestamp="2026-03-13T07:02:50Z")
    pm = OrderedDict([("id", fixed_uuid("mp-lol")), ("dataname", "matrix"), ("payload_type", "jsontable"), ("transport", "direct"),
                      ("encoding", "base64"), ("size", len(raw)), ("data", b64(raw) + "\n")])
    vs.append(dec("jsontable/decode/micropython-list-of-lists", "micropython", "MicroPython list[list] table",
                  msg_text(mpy_dumps(envelope(hm, [pm]), MPY_ORDER)), expected_env(hm, [("matrix", lol, "jsontable")])))
    bad = [
        ("jsontable/reject/unequal-columns", "Column arrays of different lengths", b'{"a":[1,2],"b":[1]}'),
        ("jsontable/reject/scalar", "A number is not a table", b"42"),
        ("jsontable/reject/scalar-rows", "Rows must be objects or arrays", b"[1,2,3]"),
        ("jsontable/reject/column-not-array", "Column object whose value is not an array", b'{"a":[1],"b":2}'),
        ("jsontable/reject/not-json", "Not JSON at all", b"Name,Age\nAlice,25\n"),
    ]
    for vid, desc, raw in bad:
        vs.append(rej(vid, "natsbridge", desc, one_payload_msg(nb_payload(fixed_uuid(vid), "t", "jsontable", raw)), "DESERIALIZATION_ERROR"))
    return vs


def binary_vectors():
    vs = []
    cases = [
        ("image/encode/png-1x1", "1x1 RGBA PNG", "avatar.png", "image", png_1x1()),
        ("audio/encode/wav-pcm16", "Tiny 16-bit PCM WAV", "clip.wav", "audio", wav_tiny()),
        ("video/encode/mp4-ftyp", "MP4 ftyp + free boxes", "movie.mp4", "video", mp4_ftyp()),
        ("binary/encode/all-bytes", "Every byte value 0x00..0xFF", "blob", "binary", ALL_BYTES),
        ("binary/encode/empty", "Zero bytes: data \"\", size 0", "empty", "binary", b""),
        ("binary/encode/one-byte", "One byte: '==' padding", "one", "binary", b"\x00"),
        ("binary/encode/two-bytes", "Two bytes: '=' padding", "two", "binary", b"\xff\xfe"),
        ("binary/encode/plus-slash", "Bytes whose base64 uses '+' and '/' (standard, not URL-safe, alphabet)", "ps", "binary", PLUS_SLASH),
    ]
    for vid, desc, name, t, raw in cases:
        vs.append(enc(t, vid, desc, name, t, raw, raw, raw))
    img = png_1x1()
    hm = header(timestamp="2026-03-13T07:02:50Z")
    pm = OrderedDict([("id", fixed_uuid("mp-img")), ("dataname", "cam"), ("payload_type", "image"), ("transport", "direct"),
                      ("encoding", "base64"), ("size", len(img)), ("data", base64.b64encode(img).decode() + "\n")])
    vs.append(dec("image/decode/micropython-bytearray", "micropython", "MicroPython camera frame: b2a_base64 with newline, no metadata",
                  msg_text(mpy_dumps(envelope(hm, [pm]), MPY_ORDER)), expected_env(hm, [("cam", img, "image")])))
    p = nb_payload(fixed_uuid("unpad-bin"), "two", "binary", b"\xff\xfe")
    p["data"] = "//4"
    vs.append(dec("binary/decode/unpadded", "julia", "Unpadded base64 (length 3 mod 4)", one_payload_msg(p), single(("two", b"\xff\xfe", "binary"))))
    p = nb_payload(fixed_uuid("wrap-bin"), "blob", "binary", ALL_BYTES)
    p["data"] = base64.encodebytes(ALL_BYTES).decode()
    vs.append(dec("binary/decode/mime-wrapped", "python", "base64.encodebytes output (76-column lines)", one_payload_msg(p),
                  single(("blob", ALL_BYTES, "binary"))))
    p = nb_payload(fixed_uuid("crlf-bin"), "blob", "audio", wav_tiny())
    d = p["data"]
    p["data"] = "\r\n".join(d[i:i + 64] for i in range(0, len(d), 64)) + "\r\n"
    vs.append(dec("audio/decode/crlf-wrapped", "natsbridge", "PEM-style 64-column CRLF-wrapped base64", one_payload_msg(p),
                  single(("blob", wav_tiny(), "audio"))))
    p = nb_payload(fixed_uuid("nosize-vid"), "movie.mp4", "video", mp4_ftyp())
    del p["size"]
    del p["encoding"]
    del p["metadata"]
    vs.append(dec("video/decode/no-size-no-encoding", "readme-v0", "size, encoding and metadata are optional", one_payload_msg(p),
                  single(("movie.mp4", mp4_ftyp(), "video"))))
    bad = [
        ("binary/reject/invalid-char", "'$' is not base64", "YW$j"),
        ("binary/reject/url-safe-alphabet", "URL-safe alphabet ('-', '_') is not the standard alphabet", "-_8="),
        ("binary/reject/padding-in-middle", "Padding followed by more data", "YQ==YQ=="),
        ("binary/reject/length-1-mod-4", "Five characters cannot be base64", "QUJDR"),
        ("binary/reject/short-padding", "One '=' where two are needed", "YQ="),
        ("binary/reject/non-ascii", "Non-ASCII character in base64", "YWJj\u00e9"),
    ]
    for vid, desc, data in bad:
        p = nb_payload(fixed_uuid(vid), "b", "binary", b"abc")
        p["data"] = data
        del p["size"]
        vs.append(rej(vid, "natsbridge", desc, one_payload_msg(p), "DESERIALIZATION_ERROR"))
    p = nb_payload(fixed_uuid("size-mismatch"), "b", "binary", b"abc")
    p["size"] = 10
    vs.append(rej("binary/reject/size-mismatch", "natsbridge", "size says 10 but data holds 3 bytes (truncated payload)", one_payload_msg(p),
                  "DESERIALIZATION_ERROR"))
    p = nb_payload(fixed_uuid("size-mismatch-0"), "b", "binary", b"abc")
    p["size"] = 0
    vs.append(rej("binary/reject/size-zero-for-data", "natsbridge", "size 0 but data holds 3 bytes", one_payload_msg(p), "DESERIALIZATION_ERROR"))
    return vs


def arrowtable_vectors():
    vs = []
    # natsbridge (TS) sends row objects as an Arrow IPC *file*; bytes are apache-arrow's, so the
    # vector fixes the format and the decoded content, not the bytes.
    rows = [OrderedDict([("id", 1), ("name", "Alice"), ("score", 88.5), ("active", True)]),
            OrderedDict([("id", 2), ("name", "Zoë 😀"), ("score", -1.25), ("active", False)]),
            OrderedDict([("id", 3), ("name", ""), ("score", 0.0), ("active", True)])]
    t = pa.table({"id": pa.array([1, 2, 3], pa.int32()), "name": pa.array(["Alice", "Zoë 😀", ""], pa.string()),
                  "score": pa.array([88.5, -1.25, 0.0], pa.float64()), "active": pa.array([True, False, True], pa.bool_())})
    vid = "arrowtable/encode/rows"
    v = OrderedDict([
        ("id", vid), ("kind", "encode"),
        ("description", "Row objects sent as Arrow IPC file format (ARROW1 magic at both ends); natsbridge infers "
                        "int32 for small integers, float64 for other numbers, utf8 strings, bool"),
        ("senders", ["ts"]),
        ("input", OrderedDict([("dataname", "users"), ("payload_type", "arrowtable"), ("data", mark(rows))])),
        ("payload_id", fixed_uuid("payload:" + vid)),
        ("serialized", {"arrow_format": "file"}),
        ("payload", None),
        ("payload_json", None),
        ("decoded", Arrow(arrow_file(t), "file", t).marked()),
    ])
    vs.append(v)
    del v["decoded"]["$arrow"]["ipc"]  # not fixed: apache-arrow writes its own bytes
    bigrows = [OrderedDict([("id", 2 ** 53 + 1), ("n", 1)]), OrderedDict([("id", -5), ("n", 2)])]
    tb = pa.table({"id": pa.array([2 ** 53 + 1, -5], pa.int64()), "n": pa.array([1, 2], pa.int32())})
    vid = "arrowtable/encode/bigint-int64"
    v = OrderedDict([
        ("id", vid), ("kind", "encode"), ("description", "bigint cells become an int64 column"), ("senders", ["ts"]),
        ("input", OrderedDict([("dataname", "ids"), ("payload_type", "arrowtable"), ("data", mark(bigrows))])),
        ("payload_id", fixed_uuid("payload:" + vid)), ("serialized", {"arrow_format": "file"}), ("payload", None),
        ("payload_json", None), ("decoded", Arrow(arrow_file(tb), "file", tb).marked()),
    ])
    del v["decoded"]["$arrow"]["ipc"]
    vs.append(v)
    # A MicroPython device cannot build Arrow; it forwards IPC bytes it was given, unchanged.
    ft = julia_df_table()
    fb = arrow_file(ft)
    vs.append(enc("arrowtable", "arrowtable/encode/mpy-forward-ipc-bytes",
                  "natsbridge_mpy forwards Arrow IPC bytes unchanged (a device cannot build Arrow)", "fwd", "arrowtable", fb, fb,
                  Arrow(fb, "file", ft), senders=("mpy",)))

    jt = julia_df_table()
    jb = arrow_stream(jt)
    hj = header(timestamp="2026-03-13T07:02:50.443", sender_name="julia-peer")
    vs.append(dec("arrowtable/decode/julia-stream", "julia",
                  "Arrow.write(io, df): IPC stream format; non-nullable Int64 (one above 2^53), Utf8, Float64, Bool, "
                  "Timestamp(ms, no zone; one before 1970), Date32",
                  msg_text(julia_dumps(envelope(hj, [nb_payload(fixed_uuid("jl-arrow"), "df", "arrowtable", jb)]))),
                  expected_env(hj, [("df", Arrow(jb, "stream", jt), "arrowtable")])))
    if pd is None:
        print("WARNING: pandas missing, arrowtable/decode/python-pandas-file not generated", file=sys.stderr)
    else:
        pt = pandas_table()
        pb = arrow_file(pt)
        hp = header(timestamp="2026-03-13T07:02:50.443123Z", sender_name="python-peer")
        vs.append(dec("arrowtable/decode/python-pandas-file", "python",
                      "pa.Table.from_pandas(df) + ipc.new_file: file format, pandas schema metadata, nullable int64/double/"
                      "string, timestamp[ns]",
                      msg_text(py_dumps(envelope(hp, [nb_payload(fixed_uuid("py-arrow"), "df", "arrowtable", pb)]))),
                      expected_env(hp, [("df", Arrow(pb, "file", pt), "arrowtable")])))
    lt = large_string_table()
    lb = arrow_file(lt)
    vs.append(dec("arrowtable/decode/large-string-int32", "python", "large_string and int32 columns (pandas 3 / polars writers)",
                  one_payload_msg(nb_payload(fixed_uuid("ls-arrow"), "cities", "arrowtable", lb)),
                  single(("cities", Arrow(lb, "file", lt), "arrowtable"))))
    nt = nullable_table()
    nbytes = arrow_stream(nt)
    vs.append(dec("arrowtable/decode/nulls-stream", "julia", "Nullable columns (Union{Missing,T} in Julia) with nulls",
                  one_payload_msg(nb_payload(fixed_uuid("null-arrow"), "sparse", "arrowtable", nbytes)),
                  single(("sparse", Arrow(nbytes, "stream", nt), "arrowtable"))))
    et = empty_table()
    eb = arrow_stream(et)
    vs.append(dec("arrowtable/decode/empty-stream", "julia", "Zero rows: schema message and end-of-stream marker only",
                  one_payload_msg(nb_payload(fixed_uuid("empty-arrow"), "none", "arrowtable", eb)),
                  single(("none", Arrow(eb, "stream", et), "arrowtable"))))
    # Older README: "table" type name in a "type" field.
    rt = julia_df_table()
    rb = arrow_stream(rt)
    p = OrderedDict([("id", fixed_uuid("v0-table")), ("dataname", "large_table"), ("type", "table"), ("transport", "direct"),
                     ("encoding", "base64"), ("size", len(rb)), ("data", b64(rb))])
    h0 = header(timestamp="2024-01-15T10:30:00Z", msg_purpose="updateStatus", sender_name="agent-backend")
    vs.append(dec("arrowtable/decode/readme-v0-table-type", "readme-v0",
                  "Older README: field \"type\" with value \"table\" is read as arrowtable (and returned as \"arrowtable\")",
                  msg_text(json.dumps(envelope(h0, [p]), indent=2, ensure_ascii=False)),
                  expected_env(h0, [("large_table", Arrow(rb, "stream", rt), "arrowtable")])))
    bad = [("arrowtable/reject/not-arrow", "Bytes that are not Arrow IPC", b"PAR1 this is parquet, not arrow PAR1"),
           ("arrowtable/reject/too-short", "Fewer bytes than any IPC message", b"ARROW")]
    for vid, desc, raw in bad:
        vs.append(rej(vid, "natsbridge", desc, one_payload_msg(nb_payload(fixed_uuid(vid), "t", "arrowtable", raw)), "DESERIALIZATION_ERROR"))
    return vs


def envelope_vectors():
    vs = []
    # encode_envelope: the complete envelope a sender builds (timestamp and payload ids vary).
    def env_enc(vid, desc, subject, options, payload_specs, hdr_over):
        payloads = []
        inputs = []
        for (name, value, t, raw) in payload_specs:
            pid = fixed_uuid("payload:" + vid + ":" + name)
            payloads.append(nb_payload(pid, name, t, raw))
            inputs.append(OrderedDict([("dataname", name), ("payload_type", t), ("data", mark(value)), ("payload_id", pid)]))
        h = header(send_to=subject, **hdr_over)
        env = envelope(h, payloads)
        return OrderedDict([
            ("id", vid), ("kind", "encode_envelope"), ("description", desc), ("senders", ["ts", "mpy"]),
            ("subject", subject), ("options", options), ("payloads", inputs),
            ("timestamp_pattern", "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$"),
            ("envelope", env), ("envelope_json", js(env)),
        ])
    base_opts = OrderedDict([("correlation_id", CID), ("msg_id", MID), ("sender_id", SID), ("broker_url", BROKER)])
    vs.append(env_enc("envelope/encode/defaults", "Only ids and broker_url given: every other field at its default, wire field order",
                      "/chat/room1", base_opts, [("message", "Hello World", "text", b"Hello World")], {}))
    full = OrderedDict(base_opts)
    full.update([("msg_purpose", "updateStatus"), ("sender_name", "agent-wine-web-frontend"), ("receiver_name", "agent-backend"),
                 ("receiver_id", fixed_uuid("receiver")), ("reply_to", "/device/response"), ("reply_to_msg_id", "cmd-001"),
                 ("metadata", OrderedDict([("trace", "abc"), ("hops", 2), ("note", "Zoë")]))])
    d = OrderedDict([("action", "read_sensor"), ("id", 7)])
    vs.append(env_enc("envelope/encode/all-options", "Every option set, three payloads of different types, envelope metadata",
                      "/device/command", full,
                      [("message_text", "Hello!", "text", b"Hello!"), ("command", d, "dictionary", js(d).encode()),
                       ("user_image", png_1x1(), "image", png_1x1())],
                      {k: full[k] for k in full if k not in ("correlation_id", "msg_id", "sender_id", "broker_url")}))
    vs.append(env_enc("envelope/encode/no-payloads", "Zero payloads is a valid envelope", "/ping", base_opts, [], {}))

    # decode: full envelopes in each peer style
    jl_rows = [OrderedDict([("Name", "Alice"), ("Age", 25)])]
    jl_dict = OrderedDict([("temperature", 21.5), ("count", 1000000), ("big", 9223372036854775807)])
    jt = julia_df_table()
    jb = arrow_stream(jt)
    hj = header(timestamp="2026-03-13T07:02:50.443", sender_name="julia-agent", correlation_id=fixed_uuid("jl-corr"))
    pls = [nb_payload(fixed_uuid("jl1"), "message_text", "text", "Hello from Julia ∀x∈ℝ".encode()),
           nb_payload(fixed_uuid("jl2"), "stats", "dictionary", julia_dumps(jl_dict).encode()),
           nb_payload(fixed_uuid("jl3"), "rows", "jsontable", julia_dumps(jl_rows).encode()),
           nb_payload(fixed_uuid("jl4"), "df", "arrowtable", jb)]
    vs.append(dec("envelope/decode/julia-multi", "julia", "NATSBridge.jl envelope: JSON.jl compact, zone-less ms timestamp, four payload types",
                  msg_text(julia_dumps(envelope(hj, pls))),
                  expected_env(hj, [("message_text", "Hello from Julia ∀x∈ℝ", "text"), ("stats", jl_dict, "dictionary"),
                                    ("rows", jl_rows, "jsontable"), ("df", Arrow(jb, "stream", jt), "arrowtable")])))
    hp = header(timestamp="2026-03-13T07:02:50.443123Z", sender_name="python-agent", correlation_id=fixed_uuid("py-corr"),
                receiver_name="Zoë", metadata=OrderedDict([("source", "naïve")]))
    pyd = OrderedDict([("x", [1.5, 2.0]), ("ok", True)])
    pls = [nb_payload(fixed_uuid("py1"), "message_text", "text", "Привет 😀".encode()),
           nb_payload(fixed_uuid("py2"), "cfg", "dictionary", py_dumps(pyd).encode()),
           nb_payload(fixed_uuid("py3"), "blob", "binary", ALL_BYTES)]
    vs.append(dec("envelope/decode/python-multi", "python", "Python json.dumps envelope: ensure_ascii escapes everywhere, µs timestamp",
                  msg_text(py_dumps(envelope(hp, pls))),
                  expected_env(hp, [("message_text", "Привет 😀", "text"), ("cfg", pyd, "dictionary"), ("blob", ALL_BYTES, "binary")])))
    hp0 = header(timestamp="2026-03-13T07:02:50Z", sender_name="python-agent")
    vs.append(dec("envelope/decode/python-isoformat-no-fraction", "python",
                  "datetime.isoformat() omits the fraction when microsecond == 0",
                  msg_text(py_dumps(envelope(hp0, [nb_payload(fixed_uuid("py0"), "m", "text", b"x")]))),
                  expected_env(hp0, [("m", "x", "text")])))
    hm = header(timestamp="2026-03-13T07:02:50Z", sender_name="esp32")
    mpl = []
    for i, (name, t, raw) in enumerate([("message", "text", "Température 23°C".encode()), ("reading", "dictionary", mpy_dumps(OrderedDict([("t", 23.5), ("ok", True)])).encode()),
                                        ("table", "jsontable", mpy_dumps([[1, "a"], [2, "b"]]).encode()), ("raw", "binary", b"\x00\x01\x02")]):
        mpl.append(OrderedDict([("id", fixed_uuid("mp%d" % i)), ("dataname", name), ("payload_type", t), ("transport", "direct"),
                                ("encoding", "base64"), ("size", len(raw)), ("data", base64.b64encode(raw).decode() + "\n")]))
    vs.append(dec("envelope/decode/micropython-multi", "micropython", "MicroPython envelope: hash-ordered keys, ', ' separators, raw UTF-8, seconds timestamp",
                  msg_text(mpy_dumps(envelope(hm, mpl), MPY_ORDER)),
                  expected_env(hm, [("message", "Température 23°C", "text"), ("reading", OrderedDict([("t", 23.5), ("ok", True)]), "dictionary"),
                                    ("table", [[1, "a"], [2, "b"]], "jsontable"), ("raw", b"\x00\x01\x02", "binary")])))
    h0 = header(timestamp="2024-01-15T10:30:00Z", msg_purpose="chat", sender_name="agent-wine-web-frontend")
    p = OrderedDict([("id", fixed_uuid("v0img")), ("dataname", "login_image"), ("type", "image"), ("transport", "direct"),
                     ("encoding", "base64"), ("size", len(png_1x1())), ("data", b64(png_1x1()))])
    vs.append(dec("envelope/decode/readme-v0-type-field", "readme-v0", "Older README payload: \"type\" instead of \"payload_type\", pretty-printed JSON",
                  msg_text(json.dumps(envelope(h0, [p]), indent=2)), expected_env(h0, [("login_image", png_1x1(), "image")])))
    for vid, ts, desc in [("envelope/decode/timestamp-offset", "2026-03-13T09:02:50.443+02:00", "Timestamp with a +02:00 offset"),
                          ("envelope/decode/timestamp-space", "2026-03-13 07:02:50.443123", "Python str(datetime): space separator, no zone"),
                          ("envelope/decode/timestamp-julia-no-ms", "2026-03-13T07:02:50", "Julia DateTime with zero milliseconds prints no fraction"),
                          ("envelope/decode/timestamp-ns", "2026-03-13T07:02:50.443123456Z", "Nanosecond fraction")]:
        h = header(timestamp=ts)
        vs.append(dec(vid, "natsbridge", desc + " (passed through unchanged)", one_payload_msg(nb_payload(fixed_uuid(vid), "m", "text", b"x"), timestamp=ts),
                      expected_env(h, [("m", "x", "text")])))
    minimal = OrderedDict([("correlation_id", CID), ("msg_id", MID), ("timestamp", NB_TIMESTAMP), ("send_to", SUBJECT), ("payloads", [])])
    exp = expected_env(header(msg_purpose="", sender_name="", sender_id="", broker_url=""), [])
    vs.append(dec("envelope/decode/minimal", "natsbridge", "Only the required fields: optional strings read as \"\", metadata as {}",
                  msg_text(json.dumps(minimal, separators=(",", ":"))), exp))
    nulls = OrderedDict([("correlation_id", CID), ("msg_id", MID), ("timestamp", NB_TIMESTAMP), ("send_to", SUBJECT),
                         ("msg_purpose", None), ("sender_name", None), ("sender_id", None), ("receiver_name", None), ("receiver_id", None),
                         ("reply_to", None), ("reply_to_msg_id", None), ("broker_url", None), ("metadata", None),
                         ("payloads", [OrderedDict([("id", None), ("dataname", "m"), ("payload_type", "text"), ("transport", "direct"),
                                                    ("encoding", None), ("size", None), ("data", b64(b"x")), ("metadata", None)])])])
    vs.append(dec("envelope/decode/python-none-fields", "python", "Python None / Julia nothing (JSON null) in optional fields reads as the default",
                  msg_text(py_dumps(nulls)), expected_env(header(msg_purpose="", sender_name="", sender_id="", broker_url=""), [("m", "x", "text")])))
    extra = envelope(header(), [nb_payload(fixed_uuid("extra"), "m", "text", b"x")])
    extra["schema_version"] = 2
    extra["x-trace"] = OrderedDict([("span", "abc")])
    extra["payloads"][0]["checksum"] = "sha256:..."
    vs.append(dec("envelope/decode/unknown-fields", "natsbridge", "Unknown envelope and payload fields are ignored (forward compatibility)",
                  msg_text(json.dumps(extra, separators=(",", ":"))), expected_env(header(), [("m", "x", "text")])))
    both = nb_payload(fixed_uuid("both-types"), "m", "text", b"x")
    both["type"] = "table"
    vs.append(dec("envelope/decode/payload-type-wins-over-type", "readme-v0",
                  "Both payload_type and the older type field: payload_type decides", one_payload_msg(both),
                  single(("m", "x", "text"))))
    vs.append(dec("envelope/decode/no-payloads", "natsbridge", "Zero payloads", msg_text(json.dumps(envelope(header(), []), separators=(",", ":"))),
                  expected_env(header(), [])))
    # link transport, with the download answered from the vector's "downloads" map
    blob = bytes(range(200)) * 3
    url = "http://127.0.0.1:8080/file/UPLOADID/FILEID/large%20file.bin"
    vs.append(dec("envelope/decode/link", "julia", "Link payload: the receiver downloads the URL (bytes given in downloads)",
                  one_payload_msg(link_payload(fixed_uuid("link1"), "large file.bin", "binary", len(blob), url)),
                  single(("large file.bin", blob, "binary")), downloads={url: blob}))
    url2 = "HTTPS://files.example.com/file/u/f/data.json"
    d = OrderedDict([("k", "v")])
    p = link_payload(fixed_uuid("link2"), "data.json", "dictionary", 0, url2)
    del p["size"]
    vs.append(dec("envelope/decode/link-https-no-size", "python", "https link (scheme in capitals), no size field", one_payload_msg(p),
                  single(("data.json", d, "dictionary")), downloads={url2: js(d).encode()}))
    return vs


def reject_vectors():
    vs = []
    good = lambda: nb_payload(fixed_uuid("good"), "m", "text", b"x")

    def env_with(mut):
        e = envelope(header(), [good()])
        mut(e)
        return msg_text(json.dumps(e, separators=(",", ":"), ensure_ascii=False))

    def drop(k):
        return lambda e: e.pop(k)

    def setv(k, v):
        def f(e):
            e[k] = v
        return f

    def pset(k, v):
        def f(e):
            e["payloads"][0][k] = v
        return f

    def pdrop(k):
        return lambda e: e["payloads"][0].pop(k)

    IE = "INVALID_ENVELOPE"
    cases = [
        ("envelope/reject/bad-json", "Truncated JSON", msg_text('{"correlation_id": "' + CID + '", "msg_id": '), IE),
        ("envelope/reject/empty-message", "Empty message", msg_text(""), IE),
        ("envelope/reject/not-an-object", "A JSON array is not an envelope", msg_text("[]"), IE),
        ("envelope/reject/json-string", "A JSON string is not an envelope", msg_text('"hello"'), IE),
        ("envelope/reject/invalid-utf8", "Envelope bytes are not UTF-8", msg_hex(b'{"correlation_id":"\xff"}'), IE),
    ]
    for k in ("correlation_id", "msg_id", "timestamp", "send_to", "payloads"):
        cases.append(("envelope/reject/missing-" + k.replace("_", "-"), "Required field " + k + " missing", env_with(drop(k)), IE))
    cases += [
        ("envelope/reject/correlation-id-number", "correlation_id is a number", env_with(setv("correlation_id", 12345)), IE),
        ("envelope/reject/send-to-null", "send_to is null (required)", env_with(setv("send_to", None)), IE),
        ("envelope/reject/payloads-object", "payloads is an object, not an array", env_with(setv("payloads", OrderedDict([("m", "x")]))), IE),
        ("envelope/reject/metadata-array", "metadata is an array", env_with(setv("metadata", [1, 2])), IE),
        ("envelope/reject/metadata-string", "metadata is a string", env_with(setv("metadata", "{}")), IE),
        ("envelope/reject/sender-name-number", "sender_name is a number", env_with(setv("sender_name", 7)), IE),
        ("envelope/reject/reply-to-bool", "reply_to is a boolean", env_with(setv("reply_to", False)), IE),
        ("envelope/reject/timestamp-not-iso", "timestamp is not an ISO 8601 date-time", env_with(setv("timestamp", "yesterday")), IE),
        ("envelope/reject/timestamp-epoch-number", "timestamp as epoch seconds number", env_with(setv("timestamp", 1773385370)), IE),
        ("envelope/reject/payload-not-object", "A payload that is a string", env_with(setv("payloads", ["x"])), IE),
        ("envelope/reject/payload-missing-dataname", "Payload without dataname", env_with(pdrop("dataname")), IE),
        ("envelope/reject/payload-dataname-number", "dataname is a number", env_with(pset("dataname", 1)), IE),
        ("envelope/reject/payload-missing-data", "Payload without data", env_with(pdrop("data")), IE),
        ("envelope/reject/payload-data-array", "data is an array of byte values", env_with(pset("data", [120])), IE),
        ("envelope/reject/payload-missing-type", "Neither payload_type nor type", env_with(pdrop("payload_type")), IE),
        ("envelope/reject/payload-type-number", "payload_type is a number", env_with(pset("payload_type", 1)), IE),
        ("envelope/reject/payload-missing-transport", "Payload without transport", env_with(pdrop("transport")), IE),
        ("envelope/reject/size-negative", "size is negative", env_with(pset("size", -1)), IE),
        ("envelope/reject/size-string", "size is a string", env_with(pset("size", "1")), IE),
        ("envelope/reject/size-fraction", "size is not an integer", env_with(pset("size", 1.5)), IE),
        ("envelope/reject/payload-metadata-string", "payload metadata is a string", env_with(pset("metadata", "none")), IE),
        ("envelope/reject/payload-id-number", "payload id is a number", env_with(pset("id", 5)), IE),
        ("envelope/reject/unknown-payload-type", "payload_type nobody knows", env_with(pset("payload_type", "spreadsheet")), "INVALID_PAYLOAD_TYPE"),
        ("envelope/reject/payload-type-case", "Payload types are case-sensitive", env_with(pset("payload_type", "Text")), "INVALID_PAYLOAD_TYPE"),
        ("envelope/reject/readme-v0-unknown-type", "Older README \"type\" field with an unknown value", env_with(lambda e: (e["payloads"][0].pop("payload_type"), e["payloads"][0].__setitem__("type", "tabular"))), "INVALID_PAYLOAD_TYPE"),
        ("envelope/reject/unknown-transport", "transport nobody knows", env_with(pset("transport", "carrier-pigeon")), "INVALID_TRANSPORT"),
        ("envelope/reject/transport-case", "Transports are case-sensitive", env_with(pset("transport", "Direct")), "INVALID_TRANSPORT"),
        ("envelope/reject/transport-empty", "Empty transport", env_with(pset("transport", "")), "INVALID_TRANSPORT"),
        ("envelope/reject/direct-encoding-none", "direct with encoding \"none\"", env_with(pset("encoding", "none")), IE),
        ("envelope/reject/direct-encoding-hex", "direct with encoding \"hex\"", env_with(pset("encoding", "hex")), IE),
    ]

    def link_with(url, **over):
        def f(e):
            p = link_payload(fixed_uuid("lnk"), "f.bin", "binary", 3, url)
            for k, v in over.items():
                p[k] = v
            e["payloads"] = [p]
        return env_with(f)

    cases += [
        ("envelope/reject/link-encoding-base64", "link with encoding \"base64\"", link_with("http://127.0.0.1:8080/file/a/b/f.bin", encoding="base64"), IE),
        ("envelope/reject/link-ftp", "ftp: link URL", link_with("ftp://example.com/f.bin"), IE),
        ("envelope/reject/link-file", "file: link URL", link_with("file:///etc/passwd"), IE),
        ("envelope/reject/link-javascript", "javascript: link URL", link_with("javascript:alert(1)"), IE),
        ("envelope/reject/link-data-url", "data: link URL", link_with("data:application/octet-stream;base64,AAEC"), IE),
        ("envelope/reject/link-relative", "Relative path is not a URL", link_with("/file/a/b/f.bin"), IE),
        ("envelope/reject/link-empty", "Empty URL", link_with(""), IE),
    ]
    for vid, desc, message, code in cases:
        vs.append(rej(vid, "natsbridge", desc, message, code))
    url = "http://127.0.0.1:8080/file/UP/FI/f.bin"
    vs.append(rej("envelope/reject/link-size-mismatch", "natsbridge", "Downloaded 2 bytes but size says 3: never returned as if whole",
                  link_with(url), "DOWNLOAD_FAILED", downloads={url: b"ab"}))
    return vs


def encode_reject_vectors():
    """What a sender must refuse rather than send something else (strict in what we send)."""
    def rj(vid, desc, ptype, data, code, senders=("ts", "mpy")):
        return OrderedDict([("id", vid), ("kind", "encode_reject"), ("description", desc), ("senders", list(senders)),
                            ("input", OrderedDict([("dataname", "x"), ("payload_type", ptype), ("data", data)])), ("error", code)])
    SE = "SERIALIZATION_ERROR"
    return [
        rj("send/reject/text-lone-surrogate", "A lone UTF-16 surrogate has no UTF-8 form: refuse instead of sending U+FFFD",
           "text", {"$utf16": [0x61, 0xD800, 0x62]}, SE),
        rj("send/reject/text-not-a-string", "text must be a string", "text", 42, SE),
        rj("send/reject/binary-given-text", "binary must be bytes, not a string", "binary", "abc", SE),
        rj("send/reject/image-given-array", "image must be bytes, not an array of numbers", "image", [137, 80, 78, 71], SE),
        rj("send/reject/dictionary-nan", "NaN is not JSON: refuse instead of sending null (or Python's bare NaN)",
           "dictionary", OrderedDict([("v", {"$float": "NaN"})]), SE),
        rj("send/reject/dictionary-infinity", "Infinity is not JSON", "dictionary", [1, {"$float": "-Infinity"}], SE),
        rj("send/reject/unknown-type", "Unknown payload_type on send", "spreadsheet", "a,b", "INVALID_PAYLOAD_TYPE"),
        rj("send/reject/jsontable-scalar", "A number is not a table", "jsontable", 42, SE),
        rj("send/reject/jsontable-unequal-columns", "Column arrays of different lengths", "jsontable",
           OrderedDict([("a", [1, 2]), ("b", [1])]), SE),
        rj("send/reject/jsontable-scalar-rows", "Rows must be objects or arrays", "jsontable", [1, 2, 3], SE),
        rj("send/reject/arrowtable-no-rows", "Zero row objects: no schema to infer (TS); not Arrow IPC bytes (mpy)",
           "arrowtable", [], SE),
    ]


# ------------------------------------------------------------------ output

FILES = [
    ("text", "text payloads: UTF-8 without BOM handling", text_vectors),
    ("dictionary", "dictionary payloads: compact JSON (JSON.stringify) on send, any peer's JSON on receive", dictionary_vectors),
    ("jsontable", "jsontable payloads: rows as a JSON array; column objects converted to rows", jsontable_vectors),
    ("binary", "image, audio, video and binary payloads: raw bytes, standard base64", binary_vectors),
    ("arrowtable", "arrowtable payloads (desktop only): Arrow IPC file format sent, file or stream format read", arrowtable_vectors),
    ("envelope", "whole envelopes: field order and defaults on send, every peer style on receive, link transport", envelope_vectors),
    ("reject", "malformed envelopes a receiver must reject, with the error code", reject_vectors),
    ("encode_reject", "values a sender must refuse (with the error code) rather than send something else", encode_reject_vectors),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    docs = []
    for name, desc, fn in FILES:
        vectors = fn()
        docs.append((name, desc, vectors))
    # Fill payload_json for encode vectors with JSON.stringify output from node.
    pending = [v for v in ENCODE if v["payload"] is not None]
    outs = js_stringify_many([v["payload"] for v in pending])
    for v, s in zip(pending, outs):
        v["payload_json"] = s
    seen = set()
    for name, desc, vectors in docs:
        for v in vectors:
            if v["id"] in seen:
                raise SystemExit("duplicate vector id " + v["id"])
            seen.add(v["id"])
        doc = OrderedDict([("format", FORMAT), ("name", name), ("description", desc),
                           ("generator", "conformance/tools/gen_vectors.py (pyarrow " + pa.__version__ +
                            (", pandas " + pd.__version__ if pd is not None else "") + ")"),
                           ("vectors", vectors)])
        path = os.path.join(OUT, name + ".json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        print("%-45s %3d vectors" % (os.path.relpath(path, os.path.dirname(CONF)), len(vectors)))


if __name__ == "__main__":
    main()
