#!/usr/bin/env python3
"""
Command-line Python peer for natsbridge interop tests (see docs/python-peer.md).

  peer.py send    --nats URL --subject S [--fileserver URL] --spec spec.json [--out sent.json]
  peer.py receive --nats URL --subject S --count N [--out result.json] [--timeout SEC]
  peer.py digest  --spec spec.json                 # what `send` would send, no network
  peer.py respond --nats URL --subject S --count N [--fail-on DATANAME] [--out answered.json]
  peer.py request --nats URL --subject S --spec spec.json [--out reply.json] [--timeout SEC]

Protocol on stdout (one line each, flushed): ``READY`` once subscribed (receive),
``RECEIVED <n> <correlation_id>`` / ``SENT <n> <correlation_id>`` per message,
``DONE`` at the end. Everything else (errors, traces) goes to stderr.
Exit codes: 0 ok, 1 error, 2 timeout before ``--count`` messages arrived (or no reply).

Request/reply the seeds' way (shared/seeds/004, "Request-Response Pattern"): ``respond`` answers
each request with ``smartsend(env["reply_to"], ...)`` (same correlation_id, reply_to_msg_id = the
request's msg_id): one ``echo`` dictionary payload holding the digest of what it received, or,
when a payload is named ``--fail-on``, the seeds' error-response form (shared/seeds/001: correlation_id,
msg_id, timestamp, send_to and ``error: {code, message, details}``). It prints ``ANSWERED <n>``.
``request`` sends the first message of a spec with ``reply_to`` set to a fresh inbox it subscribed
to first, prints ``REPLY`` and writes ``{"request": <sent envelope>, "reply": <digest>}`` (the
digest keeps the reply's ``error`` member when there is one).

The spec (JSON) is one message object or ``{"defaults": {...}, "messages": [...]}``.
A message: ``{"payloads": [...], "subject"?, "fileserver"?, "size_threshold"?,
"upload"?: "oneshot" | {"one_shot": bool, "ttl": seconds}, "correlation_id"?, "msg_id"?,
"sender_id"?, "msg_purpose"?, "sender_name"?, "receiver_name"?, "receiver_id"?,
"reply_to"?, "reply_to_msg_id"?, "metadata"?}``; defaults apply to every message.
A payload: ``{"dataname", "type", "value"}`` or ``{"dataname", "type", "gen": {...}}``:

* bytes types, ``gen {"size", "seed"}``: sha256(f"{seed}:{i}") blocks, i = 0, 1, ...
  concatenated and cut to ``size`` bytes; ``value`` is base64 text.
* text, ``gen {"size", "seed"}``: the same bytes, each mapped to TEXT_ALPHABET[b % len];
  ``value`` is the string.
* jsontable / arrowtable, ``gen {"rows", "seed"}``: rows i = 0..rows-1 of
  ``{"id": i, "name": f"row-{seed}-{i}", "score": ((i * 37 + seed) % 1000) / 8, "flag": i % 3 == 0}``;
  ``value`` is a list of row objects. arrowtable is sent as a pandas DataFrame (the seed's type).
* dictionary: ``value`` (any JSON value).

Digests (what ``--out`` holds per payload): dataname, type, and
text -> value (+ sha256/length of its UTF-8); dictionary/jsontable -> value;
bytes -> sha256 + length; arrowtable -> columns, types, num_rows, rows as lists.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import math
import os
import sys
import time
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional

sys.dont_write_bytecode = True  # no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import natsbridge_py as nb  # noqa: E402

TEXT_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-_éü€中😀\n"


# ---------------------------------------------------------------- deterministic data


def gen_bytes(size: int, seed: int) -> bytes:
    out = bytearray()
    i = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{i}".encode()).digest()
        i += 1
    return bytes(out[:size])


def gen_text(size: int, seed: int) -> str:
    return "".join(TEXT_ALPHABET[b % len(TEXT_ALPHABET)] for b in gen_bytes(size, seed))


def gen_rows(rows: int, seed: int) -> List[Dict[str, Any]]:
    return [
        {"id": i, "name": f"row-{seed}-{i}", "score": ((i * 37 + seed) % 1000) / 8, "flag": i % 3 == 0}
        for i in range(rows)
    ]


def build_value(p: Dict[str, Any]) -> Any:
    t = p["type"]
    gen = p.get("gen")
    if t in nb.BYTES_TYPES:
        return gen_bytes(int(gen["size"]), int(gen["seed"])) if gen else base64.b64decode(p["value"])
    if t == "text":
        return gen_text(int(gen["size"]), int(gen["seed"])) if gen else p["value"]
    if t in ("jsontable", "arrowtable"):
        rows = gen_rows(int(gen["rows"]), int(gen["seed"])) if gen else p["value"]
        if t == "arrowtable":
            import pandas as pd

            return pd.DataFrame(rows) if rows else pd.DataFrame({})
        return rows
    if t == "dictionary":
        return p["value"]
    return p.get("value")  # unknown types go through so smartsend can reject them


# ---------------------------------------------------------------- digests


def _plain(v: Any) -> Any:
    """Arrow/pandas/numpy values -> JSON-able values."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if isinstance(v, (bytes, bytearray)):
        return {"base64": base64.b64encode(bytes(v)).decode()}
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if hasattr(v, "item") and callable(v.item):
        return _plain(v.item())
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def digest_value(data: Any, payload_type: str) -> Dict[str, Any]:
    if payload_type in nb.BYTES_TYPES:
        b = bytes(data)
        return {"sha256": hashlib.sha256(b).hexdigest(), "length": len(b)}
    if payload_type == "text":
        raw = data.encode("utf-8")
        return {"value": data, "sha256": hashlib.sha256(raw).hexdigest(), "length": len(raw)}
    if payload_type == "arrowtable":
        import pyarrow as pa

        table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
        return {
            "columns": table.column_names,
            "types": [str(f.type) for f in table.schema],
            "num_rows": table.num_rows,
            "rows": [[_plain(r[c]) for c in table.column_names] for r in table.to_pylist()],
        }
    return {"value": _plain(data)}


def envelope_summary(env: Dict[str, Any], raw: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    out: Dict[str, Any] = {k: v for k, v in env.items() if k != "payloads"}
    if raw is not None:
        out["raw_keys"] = list(raw.keys())
    payloads = []
    raw_payloads = raw.get("payloads", []) if isinstance(raw, dict) else []
    for i, (dataname, data, payload_type) in enumerate(env["payloads"]):
        entry: Dict[str, Any] = {"dataname": dataname, "type": payload_type}
        entry.update(digest_value(data, payload_type))
        if i < len(raw_payloads) and isinstance(raw_payloads[i], dict):
            rp = raw_payloads[i]
            entry["wire"] = {k: rp.get(k) for k in ("id", "transport", "encoding", "size", "metadata") if k in rp}
            entry["wire"]["keys"] = list(rp.keys())
            if rp.get("transport") == "link":
                entry["wire"]["url"] = rp.get("data")
        payloads.append(entry)
    out["payloads"] = payloads
    return out


# ---------------------------------------------------------------- spec


def load_spec(path: str) -> List[Dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    if isinstance(spec, list):
        spec = {"messages": spec}
    if "messages" not in spec:
        spec = {"messages": [spec]}
    defaults = spec.get("defaults", {})
    return [{**defaults, **m} for m in spec["messages"]]


def upload_handler(upload: Any):
    if upload in (None, "oneshot"):
        return nb.plik_oneshot_upload
    if isinstance(upload, dict):
        return nb.make_plik_upload_handler(one_shot=bool(upload.get("one_shot", True)), ttl=upload.get("ttl"))
    raise SystemExit(f"peer: bad upload spec {upload!r}")


def emit(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def write_json(path: Optional[str], obj: Any) -> None:
    if not path:
        return
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
    os.replace(tmp, path)


# ---------------------------------------------------------------- commands


SEND_KW = ("correlation_id", "msg_id", "sender_id", "msg_purpose", "sender_name", "receiver_name",
           "receiver_id", "reply_to", "reply_to_msg_id", "metadata")


async def cmd_send(args: argparse.Namespace) -> int:
    import nats

    messages = load_spec(args.spec)
    nc = await nats.connect(args.nats, connect_timeout=5, max_reconnect_attempts=0, allow_reconnect=False)
    results = []
    code = 0
    try:
        for n, m in enumerate(messages):
            payloads = [(p["dataname"], build_value(p), p["type"]) for p in m["payloads"]]
            kw = {k: m[k] for k in SEND_KW if k in m}
            subject = m.get("subject", args.subject)
            try:
                env, env_json = await nb.smartsend(
                    subject,
                    payloads,
                    broker_url=args.nats,
                    fileserver_url=m.get("fileserver", args.fileserver or nb.DEFAULT_FILESERVER_URL),
                    fileserver_upload_handler=upload_handler(m.get("upload")),
                    size_threshold=int(m.get("size_threshold", nb.DEFAULT_SIZE_THRESHOLD)),
                    nats_connection=nc,
                    **kw,
                )
            except nb.NATSBridgeError as e:
                print(f"peer: send #{n}: {e}", file=sys.stderr)
                results.append({"error": {"code": e.code, "message": str(e)}})
                code = 1
                continue
            raw = json.loads(env_json)
            sent = {**{k: v for k, v in env.items() if k != "payloads"}, "raw_keys": list(raw.keys()), "payloads": []}
            for (dataname, value, ptype), wp in zip(payloads, env["payloads"]):
                entry = {"dataname": dataname, "type": ptype, **digest_value(value, ptype)}
                entry["wire"] = {k: wp[k] for k in ("id", "transport", "encoding", "size", "metadata")}
                entry["wire"]["keys"] = list(wp.keys())
                if wp["transport"] == "link":
                    entry["wire"]["url"] = wp["data"]
                sent["payloads"].append(entry)
            results.append(sent)
            write_json(args.out, results)
            emit(f"SENT {n} {env['correlation_id']}")
    finally:
        await nc.close()
    write_json(args.out, results)
    emit("DONE")
    return code


async def serve(nc: Any, args: argparse.Namespace, what: str, handle: Callable[[int, Any], Awaitable[None]]) -> int:
    """Subscribe to --subject, print READY, and hand each message to ``handle(n, msg)`` until
    --count were handled. Returns 0, or 2 when --timeout ran out first."""
    queue: asyncio.Queue = asyncio.Queue()

    async def on_msg(msg):
        await queue.put(msg)

    sub = await nc.subscribe(args.subject, cb=on_msg)
    await nc.flush()
    emit("READY")
    deadline = time.monotonic() + args.timeout
    handled = 0
    try:
        while handled < args.count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                print(f"peer: timeout after {handled}/{args.count} {what}", file=sys.stderr)
                return 2
            try:
                msg = await asyncio.wait_for(queue.get(), timeout=remaining)
            except asyncio.TimeoutError:
                continue
            await handle(handled, msg)
            handled += 1
    finally:
        await sub.unsubscribe()
    return 0


async def cmd_receive(args: argparse.Namespace) -> int:
    import nats

    nc = await nats.connect(args.nats, connect_timeout=5, max_reconnect_attempts=0, allow_reconnect=False)
    results: List[Dict[str, Any]] = []

    async def receive(n: int, msg: Any) -> None:
        try:
            raw = json.loads(msg.data.decode("utf-8"))
        except Exception:
            raw = None
        try:
            env = await nb.smartreceive(
                msg,
                max_retries=args.max_retries,
                base_delay=args.base_delay,
                max_delay=args.max_delay,
                arrowtable_as="arrow",
            )
            summary = envelope_summary(env, raw)
        except nb.NATSBridgeError as e:
            print(f"peer: receive #{n}: {e}", file=sys.stderr)
            summary = {"error": {"code": e.code, "message": str(e)}}
            if isinstance(raw, dict):
                summary["correlation_id"] = raw.get("correlation_id")
        results.append(summary)
        write_json(args.out, results)
        emit(f"RECEIVED {n} {summary.get('correlation_id', '')}")

    try:
        code = await serve(nc, args, "messages", receive)
    finally:
        await nc.close()
    write_json(args.out, results)
    emit("DONE")
    return code


def cmd_digest(args: argparse.Namespace) -> int:
    out = []
    for m in load_spec(args.spec):
        out.append({"payloads": [{"dataname": p["dataname"], "type": p["type"], **digest_value(build_value(p), p["type"])} for p in m["payloads"]]})
    if args.out:
        write_json(args.out, out)
    else:
        json.dump(out, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    return 0


FAIL_CODE = "SENSOR_OFFLINE"


def error_response(request: Dict[str, Any], message: str) -> bytes:
    """The seeds' error-response envelope (shared/seeds/001), as a seed peer would write it."""
    env = {
        "correlation_id": request["correlation_id"],
        "msg_id": str(uuid.uuid4()),
        "timestamp": nb._utc_timestamp(),
        "send_to": request["reply_to"],
        "reply_to_msg_id": request["msg_id"],
        "error": {"code": FAIL_CODE, "message": message, "details": {"correlation_id": request["correlation_id"]}},
    }
    return json.dumps(env).encode("utf-8")


async def cmd_respond(args: argparse.Namespace) -> int:
    import nats

    nc = await nats.connect(args.nats, connect_timeout=5, max_reconnect_attempts=0, allow_reconnect=False)
    answered: List[Dict[str, Any]] = []

    async def respond(n: int, msg: Any) -> None:
        env = await nb.smartreceive(msg, arrowtable_as="arrow")
        summary = envelope_summary(env, None)
        if args.fail_on and any(p["dataname"] == args.fail_on for p in summary["payloads"]):
            await nc.publish(env["reply_to"], error_response(env, f"payload {args.fail_on} asked me to fail"))
            await nc.flush()
        else:
            await nb.smartsend(
                env["reply_to"],
                [("echo", summary, "dictionary")],
                broker_url=args.nats,
                nats_connection=nc,
                correlation_id=env["correlation_id"],
                reply_to_msg_id=env["msg_id"],
                sender_name="python-peer",
            )
        answered.append(summary)
        write_json(args.out, answered)
        emit(f"ANSWERED {n} {env['correlation_id']}")

    try:
        code = await serve(nc, args, "requests", respond)
    finally:
        await nc.close()
    emit("DONE")
    return code


async def cmd_request(args: argparse.Namespace) -> int:
    import nats

    m = load_spec(args.spec)[0]
    nc = await nats.connect(args.nats, connect_timeout=5, max_reconnect_attempts=0, allow_reconnect=False)
    inbox = f"_INBOX.py.{uuid.uuid4().hex}"
    replies: asyncio.Queue = asyncio.Queue()

    async def on_reply(msg):
        await replies.put(msg)

    sub = await nc.subscribe(inbox, cb=on_reply)
    await nc.flush()
    try:
        payloads = [(p["dataname"], build_value(p), p["type"]) for p in m["payloads"]]
        kw = {k: m[k] for k in SEND_KW if k in m and k != "reply_to"}
        env, _ = await nb.smartsend(args.subject, payloads, broker_url=args.nats, nats_connection=nc, reply_to=inbox, **kw)
        try:
            msg = await asyncio.wait_for(replies.get(), timeout=args.timeout)
        except asyncio.TimeoutError:
            print(f"peer: no reply on {inbox} within {args.timeout} s", file=sys.stderr)
            return 2
        raw = json.loads(msg.data.decode("utf-8"))
        if isinstance(raw, dict) and raw.get("error") is not None:
            reply = {k: v for k, v in raw.items() if k != "payloads"}
        else:
            reply = envelope_summary(await nb.smartreceive(msg, arrowtable_as="arrow"), raw)
        write_json(args.out, {"request": {k: v for k, v in env.items() if k != "payloads"}, "reply": reply})
        emit("REPLY")
    finally:
        await sub.unsubscribe()
        await nc.close()
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="peer.py", description="natsbridge Python conformance peer")
    ap.add_argument("-v", "--verbose", action="store_true", help="correlation-id traces on stderr")
    sub = ap.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("send", help="smartsend the messages of a spec")
    s.add_argument("--nats", required=True)
    s.add_argument("--subject", required=True)
    s.add_argument("--fileserver", default=None)
    s.add_argument("--spec", required=True)
    s.add_argument("--out", default=None)

    r = sub.add_parser("receive", help="smartreceive --count messages and write their summaries")
    r.add_argument("--nats", required=True)
    r.add_argument("--subject", required=True)
    r.add_argument("--count", type=int, default=1)
    r.add_argument("--out", default=None)
    r.add_argument("--timeout", type=float, default=60.0, help="seconds for all messages")
    r.add_argument("--max-retries", type=int, default=5)
    r.add_argument("--base-delay", type=int, default=100)
    r.add_argument("--max-delay", type=int, default=5000)

    d = sub.add_parser("digest", help="print the digests of a spec's payloads, no network")
    d.add_argument("--spec", required=True)
    d.add_argument("--out", default=None)

    a = sub.add_parser("respond", help="answer --count requests on their reply_to, seeds-style")
    a.add_argument("--nats", required=True)
    a.add_argument("--subject", required=True)
    a.add_argument("--count", type=int, default=1)
    a.add_argument("--fail-on", default=None, help="answer with the error-response form when a payload has this dataname")
    a.add_argument("--out", default=None)
    a.add_argument("--timeout", type=float, default=60.0, help="seconds for all requests")

    q = sub.add_parser("request", help="send the spec's first message with reply_to and wait for the answer")
    q.add_argument("--nats", required=True)
    q.add_argument("--subject", required=True)
    q.add_argument("--spec", required=True)
    q.add_argument("--out", default=None)
    q.add_argument("--timeout", type=float, default=30.0)

    args = ap.parse_args(argv)
    if args.verbose:
        nb.VERBOSE = True
    if args.cmd == "digest":
        return cmd_digest(args)
    try:
        commands = {"send": cmd_send, "receive": cmd_receive, "respond": cmd_respond, "request": cmd_request}
        return asyncio.run(commands[args.cmd](args))
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        print(f"peer: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
