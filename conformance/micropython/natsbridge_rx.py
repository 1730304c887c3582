# natsbridge_rx.py - the receiving half of natsbridge_mpy: smartreceive, the strict JSON reader,
# base64 decoding in place, strict UTF-8 and the envelope checks.
#
# A separate module so a board that only sends never loads it (docs/micropython.md, "Memory"):
# natsbridge_mpy.smartreceive and natsbridge_mpy.json_loads import it on first use.
import natsbridge_mpy as nb
from natsbridge_mpy import (_B64_ENC, BYTES_TYPES, PAYLOAD_TYPES, NatsBridgeError, OrderedDict,
                            _IS_MICROPYTHON, _MAX_DEPTH, _err, js_string, log_trace, looks_like_arrow_ipc, to_rows)


# ------------------------------------------------------------------ UTF-8

# Well-formed UTF-8 (RFC 3629, table 3-7 of Unicode): rows of five bytes - lead bytes from, to;
# how many continuation bytes follow; the range of the first of them (the rest are 80..BF).
# Excluded that way: overlongs (C0, C1, E0 80..9F, F0 80..8F), surrogates (ED A0..BF), > U+10FFFF.
_UTF8_LEADS = (b"\xc2\xdf\x01\x80\xbf" b"\xe0\xe0\x02\xa0\xbf" b"\xe1\xec\x02\x80\xbf" b"\xed\xed\x02\x80\x9f"
               b"\xee\xef\x02\x80\xbf" b"\xf0\xf0\x03\x90\xbf" b"\xf1\xf3\x03\x80\xbf" b"\xf4\xf4\x03\x80\x8f")


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
        k = 0
        while k < len(_UTF8_LEADS) and not _UTF8_LEADS[k] <= c <= _UTF8_LEADS[k + 1]:
            k += 5
        if k == len(_UTF8_LEADS):
            raise ValueError("invalid UTF-8 lead byte at %d" % i)
        need = _UTF8_LEADS[k + 2]
        lo = _UTF8_LEADS[k + 3]
        hi = _UTF8_LEADS[k + 4]
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


# ------------------------------------------------------------------ base64 (decoding)

# Decoding table: 0-63 a digit, 64 ignored whitespace, 65 "=", 255 anything else.
_B64_DEC = bytearray(b"\xff" * 256)
for _i in range(64):
    _B64_DEC[_B64_ENC[_i]] = _i
for _c in b" \t\r\n":
    _B64_DEC[_c] = 64
_B64_DEC[0x3D] = 65
del _i, _c

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

# JSON's one-character escapes: the letter after the backslash, and what it stands for.
_ESC_IN = b'"\\/bfnrt'
_ESC_OUT = b'"\\/\b\f\n\r\t'
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
                k = _ESC_IN.find(bytes((e,)))
                if k < 0:
                    raise ValueError("invalid escape at %d" % bs)
                out.append(_ESC_OUT[k])
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
        return v - v == 0 and v == int(v)  # v - v is nan for nan and the infinities
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


def parse_envelope(value, spans=False, owned=True):
    """Validate a decoded JSON value as msg_envelope_v1 (natsbridge's receive schema).
    Returns (header dict, list of payload dicts): value itself and its payload objects, each
    field checked and normalised in place (absent optional strings become "", as in natsbridge;
    unknown fields stay, as natsbridge keeps them), so a board holds no second copy of them.
    Every failure is INVALID_ENVELOPE. spans=True: the value came from json_loads_at(spans=True).
    owned=False: value is the caller's (a dict passed to smartreceive), checked in copies."""
    if not isinstance(value, dict):
        raise _err("INVALID_ENVELOPE", "envelope must be a JSON object")
    cid = value.get("correlation_id")
    if not isinstance(cid, str):
        cid = None
    h = value if owned else dict(value)
    for k in ("correlation_id", "msg_id", "timestamp", "send_to"):
        h[k] = _req_str(value, k, "", cid)
    if not is_iso_datetime(h["timestamp"]):
        raise _err("INVALID_ENVELOPE", "invalid envelope field timestamp: not an ISO 8601 date-time", cid)
    for k in nb.ENVELOPE_FIELDS[4:12]:  # the optional string fields
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
        q = p if owned else dict(p)
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
        from natsbridge_link import _is_web_url  # a link payload needs natsbridge_link anyway
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
    env, payloads = parse_envelope(value, b is not None, b is not None)
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
            if log or nb._logger:  # no message is built while nobody listens
                log_trace(cid, "Link transport - fetching '" + p["dataname"] + "' from URL: " + p["data"], log)
            from natsbridge_link import fetch_payload
            value = fetch_payload(p, t, cid, kw)
            if value is not None:
                out.append((p["dataname"], value, t))
                continue
            region = p["_got"]
        else:
            if log or nb._logger:  # no message is built while nobody listens
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
