# vector_runner.py - run conformance/vectors/*.json against natsbridge_mpy.py.
#
# Runs unchanged on CPython and on MicroPython (no f-strings, no re, no typing): the same code
# checks the codec on both interpreters. Entry points:
#   run_dir(path)            -> summary dict; prints "FAIL id: why" lines and a final
#                               "RESULT {json}" line (what run-mpy.mjs and run_vectors.py parse)
#   rt_decode(json_text)     -> JSON text: smartreceive each envelope string in a JSON array
#   rt_encode(json_text)     -> JSON text: smartsend each spec (round trips with natsbridge TS)

try:
    import os
except ImportError:
    import uos as os

import natsbridge_mpy as nb
import natsbridge_rx as rx

SAFE = 9007199254740991
HEADER_FIELDS = nb.ENVELOPE_FIELDS[:-1]
PAYLOAD_FIELDS = ("id", "dataname", "payload_type", "transport", "encoding", "size", "data", "metadata")


class ArrowExpect:
    """Expected Arrow table. A device cannot read Arrow, so the codec returns the IPC bytes and
    the check is that they are exactly the bytes that were sent."""

    def __init__(self, d):
        self.d = d
        ipc = d.get("ipc")
        self.ipc = from_marked(ipc) if ipc is not None else None


def b64decode(s):
    """base64 text (str or bytes-like) -> bytes (a convenience; messages decode in place)."""
    if isinstance(s, str):
        s = s.encode()
    out = bytearray(len(s) // 4 * 3 + 3)
    n = rx.b64_decode_into(s, 0, len(s), out, 0)
    return bytes(memoryview(out)[:n])


def from_marked(v):
    """Vector JSON -> Python: {"$hex"}/{"$base64"} -> bytes, {"$bigint"} -> int, {"$arrow"} -> ArrowExpect."""
    if isinstance(v, dict):
        if len(v) == 1:
            for k in v:
                if k == "$hex":
                    return bytes(nb.binascii.unhexlify(v[k]))
                if k == "$base64":
                    return b64decode(v[k])
                if k == "$bigint":
                    return int(v[k])
                if k == "$arrow":
                    return ArrowExpect(v[k])
                if k == "$float":
                    return float(v[k].lower().replace("infinity", "inf"))
                if k == "$utf16":
                    return utf16_to_str(v[k])
        out = nb.OrderedDict()
        for k in v:
            out[k] = from_marked(v[k])
        return out
    if isinstance(v, list):
        return [from_marked(x) for x in v]
    return v


def utf16_to_str(units):
    """UTF-16 code units -> str; valid pairs are joined, a lone surrogate stays a lone surrogate
    (CPython) - MicroPython builds it too, as CESU-8 internally."""
    out = []
    i = 0
    n = len(units)
    while i < n:
        u = units[i]
        if 0xD800 <= u <= 0xDBFF and i + 1 < n and 0xDC00 <= units[i + 1] <= 0xDFFF:
            out.append(chr(0x10000 + ((u - 0xD800) << 10) + (units[i + 1] - 0xDC00)))
            i += 2
        else:
            out.append(chr(u))
            i += 1
    return "".join(out)


def to_marked(v):
    """Python -> vector-style JSON value (bytes as $base64, unsafe ints as $bigint)."""
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"$base64": nb.b64encode(bytes(v))}
    if v is True or v is False or v is None:
        return v
    if isinstance(v, int):
        if -SAFE <= v <= SAFE:
            return v
        return {"$bigint": str(v)}
    if isinstance(v, dict):
        out = nb.OrderedDict()
        for k in v:
            out[k] = to_marked(v[k])
        return out
    if isinstance(v, (list, tuple)):
        return [to_marked(x) for x in v]
    return v


def _num(v):
    return (isinstance(v, int) or isinstance(v, float)) and v is not True and v is not False


def diff(actual, expected, path):
    """None when equal, else a description of the first difference."""
    if isinstance(expected, ArrowExpect):
        if expected.ipc is None:
            return None
        if not isinstance(actual, (bytes, bytearray)):
            return path + ": expected Arrow IPC bytes, got " + type(actual).__name__
        if bytes(actual) != expected.ipc:
            return path + ": Arrow IPC bytes differ"
        return None
    if isinstance(expected, bytes):
        if not isinstance(actual, (bytes, bytearray)):
            return path + ": expected bytes, got " + type(actual).__name__
        if bytes(actual) != expected:
            return path + ": bytes differ (" + str(len(actual)) + " vs " + str(len(expected)) + " bytes)"
        return None
    if expected is True or expected is False or expected is None:
        if actual is not expected:
            return path + ": expected " + repr(expected) + ", got " + repr(actual)
        return None
    if _num(expected):
        if not _num(actual) or actual != expected:
            return path + ": expected " + repr(expected) + ", got " + repr(actual)
        return None
    if isinstance(expected, str):
        if not isinstance(actual, str) or actual != expected:
            return path + ": expected " + repr(expected) + ", got " + repr(actual)
        return None
    if isinstance(expected, list):
        if not isinstance(actual, (list, tuple)):
            return path + ": expected array, got " + type(actual).__name__
        if len(actual) != len(expected):
            return path + ": expected " + str(len(expected)) + " items, got " + str(len(actual))
        for i in range(len(expected)):
            d = diff(actual[i], expected[i], path + "[" + str(i) + "]")
            if d:
                return d
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return path + ": expected object, got " + type(actual).__name__
        ka = sorted(list(actual.keys()))
        ke = sorted(list(expected.keys()))
        if ka != ke:
            return path + ": keys " + repr(ka) + " != expected " + repr(ke)
        for k in expected:
            d = diff(actual[k], expected[k], path + "." + k)
            if d:
                return d
        return None
    return path + ": cannot compare " + type(expected).__name__


def message_bytes(m):
    if "text" in m:
        return m["text"].encode("utf-8")
    if "hex" in m:
        return bytes(nb.binascii.unhexlify(m["hex"]))
    if "base64" in m:
        return b64decode(m["base64"])
    raise ValueError("message needs text, hex or base64")


def download_stub(downloads):
    table = {}
    for url in (downloads or {}):
        table[url] = from_marked(downloads[url])

    def handler(url, max_retries, base_delay, max_delay, correlation_id):
        if url not in table:
            raise nb.NatsBridgeError("DOWNLOAD_FAILED", "no such URL in the vector: " + url, correlation_id)
        return table[url]
    return handler


def compare_envelope(env, expected):
    for k in HEADER_FIELDS:
        d = diff(env.get(k), from_marked(expected[k]), k)
        if d:
            return d
    exp = expected["payloads"]
    got = env["payloads"]
    if len(got) != len(exp):
        return "payloads: expected " + str(len(exp)) + ", got " + str(len(got))
    for i in range(len(exp)):
        name, value, ptype = exp[i]
        g = got[i]
        if g[0] != name:
            return "payloads[" + str(i) + "] dataname " + repr(g[0]) + " != " + repr(name)
        if g[2] != ptype:
            return "payloads[" + str(i) + "] type " + repr(g[2]) + " != " + repr(ptype)
        d = diff(g[1], from_marked(value), "payloads[" + str(i) + "].data")
        if d:
            return d
    return None


def _ts_shape(ts):
    out = []
    for c in ts:
        out.append("9" if "0" <= c <= "9" else c)
    return "".join(out)


WRAP_TIMESTAMP = "2026-03-13T07:02:50.443Z"


def wrap_payload_json(payload_json):
    """The envelope every runner wraps an encode vector's payload in for its decode check."""
    return ('{"correlation_id":"c","msg_id":"m","timestamp":"' + WRAP_TIMESTAMP +
            '","send_to":"/conformance","payloads":[' + payload_json + "]}")


def payload_to_json(p):
    parts = []
    for k in PAYLOAD_FIELDS:
        if k == "data" and p["encoding"] == "base64":
            parts.append('"data":"' + p[k] + '"')  # base64 needs no escaping: skip the scan
            continue
        parts.append(nb.js_string(k) + ":" + nb.json_dumps(p[k]))
    return "{" + ",".join(parts) + "}"


def envelope_to_json(env):
    """The envelope in wire field order (MicroPython dicts are unordered)."""
    parts = []
    for k in nb.ENVELOPE_FIELDS:
        if k == "payloads":
            parts.append('"payloads":[' + ",".join([payload_to_json(p) for p in env["payloads"]]) + "]")
        else:
            parts.append(nb.js_string(k) + ":" + nb.json_dumps(env[k]))
    return "{" + ",".join(parts) + "}"


def run_encode(v):
    if "mpy" not in v["senders"]:
        if v.get("payload_json"):
            return run_wrapped_decode(v)
        return "n/a"
    inp = v["input"]
    value = from_marked(inp["data"])
    env, js = nb.smartsend("/conformance", [(inp["dataname"], value, inp["payload_type"])], is_publish=False,
                           correlation_id="c", msg_id="m", sender_id="s", broker_url="nats://localhost:4222",
                           payload_ids=[v["payload_id"]])
    p = env["payloads"][0]
    d = diff(p, from_marked(v["payload"]), "payload")
    if d:
        return d
    pj = payload_to_json(p)
    if pj != v["payload_json"]:
        return "payload JSON differs:\n  got      " + pj + "\n  expected " + v["payload_json"]
    if js.find(v["payload_json"]) < 0:
        return "envelope JSON does not contain the payload JSON"
    raw = b64decode(p["data"])
    if raw != from_marked(v["serialized"]):
        return "serialized bytes differ"
    return run_wrapped_decode(v)


def run_wrapped_decode(v):
    env = nb.smartreceive(wrap_payload_json(v["payload_json"]).encode("utf-8"))
    got = env["payloads"][0]
    if got[0] != v["input"]["dataname"] or got[2] != v["input"]["payload_type"]:
        return "decoded name/type " + repr((got[0], got[2]))
    return diff(got[1], from_marked(v["decoded"]), "decoded")


def run_encode_envelope(v):
    if "mpy" not in v["senders"]:
        return "n/a"
    opts = {}
    for k in v["options"]:
        opts[k] = from_marked(v["options"][k])
    data = []
    ids = []
    for p in v["payloads"]:
        data.append((p["dataname"], from_marked(p["data"]), p["payload_type"]))
        ids.append(p["payload_id"])
    env, js = nb.smartsend(v["subject"], data, is_publish=False, timestamp=v["envelope"]["timestamp"],
                           payload_ids=ids, **opts)
    if js != v["envelope_json"]:
        return "envelope JSON differs:\n  got      " + js + "\n  expected " + v["envelope_json"]
    # and with the clock: same bytes apart from the timestamp, whose shape is fixed
    env2, js2 = nb.smartsend(v["subject"], data, is_publish=False, payload_ids=ids, **opts)
    ts = env2["timestamp"]
    if _ts_shape(ts) != "9999-99-99T99:99:99.999Z":
        return "timestamp " + ts + " is not YYYY-MM-DDTHH:MM:SS.mmmZ"
    if js2.replace(ts, v["envelope"]["timestamp"], 1) != v["envelope_json"]:
        return "envelope JSON with a live timestamp differs"
    back = nb.smartreceive(js)
    exp = nb.OrderedDict()
    for k in HEADER_FIELDS:
        exp[k] = v["envelope"][k]
    exp["payloads"] = [[p["dataname"], p["data"], p["payload_type"]] for p in v["payloads"]]
    return compare_envelope(back, exp)


def run_decode(v):
    stub = download_stub(v.get("downloads"))
    env = nb.smartreceive(message_bytes(v["message"]), fileserver_download_handler=stub)
    d = compare_envelope(env, v["expected"])
    if d or "text" not in v["message"]:
        return d
    # the same message handed over as a str must decode the same
    d = compare_envelope(nb.smartreceive(v["message"]["text"], fileserver_download_handler=stub), v["expected"])
    return ("as str: " + d) if d else None


def run_reject(v):
    forms = [message_bytes(v["message"])]
    if "text" in v["message"]:
        forms.append(v["message"]["text"])
    for m in forms:
        try:
            nb.smartreceive(m, fileserver_download_handler=download_stub(v.get("downloads")))
        except nb.NatsBridgeError as e:
            if e.code != v["error"]:
                return "expected " + v["error"] + ", got " + e.code + " (" + e.message + ")"
            continue
        return "accepted; expected " + v["error"]
    return None


def run_encode_reject(v):
    if "mpy" not in v["senders"]:
        return "n/a"
    inp = v["input"]
    try:
        nb.smartsend("/conformance", [(inp["dataname"], from_marked(inp["data"]), inp["payload_type"])], is_publish=False)
    except nb.NatsBridgeError as e:
        if e.code != v["error"]:
            return "expected " + v["error"] + ", got " + e.code + " (" + e.message + ")"
        return None
    return "sent; expected " + v["error"]


RUNNERS = {"encode_reject": run_encode_reject, "encode": run_encode, "encode_envelope": run_encode_envelope, "decode": run_decode, "reject": run_reject}


def load_dir(path):
    names = sorted([n for n in os.listdir(path) if n.endswith(".json")])
    docs = []
    for n in names:
        f = open(path + "/" + n, "rb")
        try:
            raw = f.read()
        finally:
            f.close()
        docs.append((n, nb.json_loads(raw, True)))
    return docs


def run_dir(path, quiet=False):
    summary = nb.OrderedDict()
    summary["runtime"] = nb.sys.implementation.name
    summary["files"] = 0
    summary["vectors"] = 0
    summary["passed"] = 0
    summary["not_applicable"] = 0
    summary["failed"] = 0
    summary["failures"] = []
    for name, doc in load_dir(path):
        summary["files"] += 1
        if doc.get("format") != "natsbridge-conformance/1":
            summary["failed"] += 1
            summary["failures"].append([name, "unknown vector format " + repr(doc.get("format"))])
            continue
        for v in doc["vectors"]:
            summary["vectors"] += 1
            fn = RUNNERS.get(v["kind"])
            try:
                why = fn(v) if fn is not None else "unknown kind " + repr(v["kind"])
            except nb.NatsBridgeError as e:
                why = "unexpected NatsBridgeError " + e.code + ": " + e.message
            except Exception as e:
                why = "crashed: " + type(e).__name__ + ": " + str(e)
            if why is None:
                summary["passed"] += 1
            elif why == "n/a":
                summary["not_applicable"] += 1
            else:
                summary["failed"] += 1
                summary["failures"].append([v["id"], why])
                if not quiet:
                    print("FAIL " + v["id"] + ": " + why)
    print("RESULT " + nb.json_dumps(summary))
    return summary


# ------------------------------------------------------------------ round trips

def rt_decode(json_text):
    """[envelope JSON string, ...] -> [{"ok": marked envelope} | {"error": code, "message": ...}]"""
    out = []
    for s in nb.json_loads(json_text):
        try:
            env = nb.smartreceive(s.encode("utf-8"))
            out.append({"ok": to_marked(env)})
        except nb.NatsBridgeError as e:
            out.append({"error": e.code, "message": e.message})
    return nb.json_dumps(out)


def rt_reencode(json_text):
    """Parse (order-preserving) and re-serialize: must give JSON.stringify's bytes back."""
    return nb.json_dumps(nb.json_loads(json_text, True))


def rt_encode(json_text):
    """[{"subject", "payloads": [[dataname, marked value, type], ...], "options": {...}}, ...]
    -> [envelope JSON string | {"error": code, "message": ...}]"""
    out = []
    for spec in nb.json_loads(json_text, True):
        data = [(p[0], from_marked(p[1]), p[2]) for p in spec["payloads"]]
        opts = {}
        for k in spec.get("options", {}):
            opts[k] = from_marked(spec["options"][k])
        try:
            env, js = nb.smartsend(spec["subject"], data, is_publish=False, **opts)
            out.append(js)
        except nb.NatsBridgeError as e:
            out.append({"error": e.code, "message": e.message})
    return nb.json_dumps(out)
