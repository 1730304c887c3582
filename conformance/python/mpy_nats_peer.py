#!/usr/bin/env python3
"""natsbridge_mpy.py's socket NATS client as a live peer (run under CPython by
conformance/micropython/nats_client.test.ts; the same code runs on MicroPython boards).

    mpy_nats_peer.py send    NATS_URL SUBJECT            < spec.json   publish one envelope
    mpy_nats_peer.py receive NATS_URL SUBJECT COUNT [SINK_DIR]         print COUNT decoded envelopes
                     (SINK_DIR: link payloads of bytes types are downloaded into files there,
                     reported as {"$file": path})
    mpy_nats_peer.py echo    NATS_URL SUBJECT COUNT                    answer COUNT requests on reply_to

spec.json: {"payloads": [[dataname, marked value, type], ...], "options": {...smartsend options},
            "files": [[dataname, path, type], ...]}  (files: sent from the file, as nb.File)
Output: one JSON line per event ({"ready": ...}, {"sent": envelope_json}, {"received": marked env},
{"error": code, "message": ...}); values use the vector markers ($base64, $bigint).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "micropython"))

import natsbridge_mpy as nb  # noqa: E402
import vector_runner as vr  # noqa: E402

TIMEOUT = 20.0


def emit(obj):
    sys.stdout.write(nb.json_dumps(obj) + "\n")
    sys.stdout.flush()


def connect(url):
    c = nb.NATSClient(url, name="mpy-nats-peer", timeout=TIMEOUT)
    c.connect()
    return c


def cmd_send(url, subject):
    spec = nb.json_loads(sys.stdin.buffer.read(), True)
    data = [(p[0], vr.from_marked(p[1]), p[2]) for p in spec["payloads"]]
    data += [(f[0], nb.File(f[1]), f[2]) for f in spec.get("files", [])]
    opts = {}
    for k in spec.get("options", {}):
        opts[k] = vr.from_marked(spec["options"][k])
    c = connect(url)
    try:
        # return_json: the test compares the streamed wire bytes with the JSON text
        env, js = nb.smartsend(subject, data, nats_connection=c, broker_url=url, return_json=True, **opts)
        c.flush()
        emit({"sent": js, "max_payload": c.max_payload})
    finally:
        c.close()


def file_sink(directory):
    """link_sink for smartreceive: each bytes-type link payload goes to its own file."""
    made = []

    def sink(dataname, size, payload_type):
        made.append(1)
        return nb.File(os.path.join(directory, "link-%d.bin" % len(made)), 0)
    return sink


def report(env):
    """The envelope as vector-marked JSON; payloads received into files become {"$file": path}."""
    env["payloads"] = [(n, {"$file": v.path} if hasattr(v, "path") else v, t)
                       for n, v, t in env["payloads"]]
    return vr.to_marked(env)


def cmd_receive(url, subject, count, sink_dir=None):
    kw = {"link_sink": file_sink(sink_dir)} if sink_dir else {}
    c = connect(url)
    try:
        sid = c.subscribe(subject)
        c.flush()
        emit({"ready": subject, "max_payload": c.max_payload})
        for _ in range(count):
            m = c.next_msg(TIMEOUT, sid=sid)
            if m is None:
                emit({"error": "TIMEOUT", "message": "no message within %.0f s" % TIMEOUT})
                return 1
            try:
                env = nb.smartreceive(m, **kw)
                emit({"received": report(env), "subject": m.subject})
            except nb.NatsBridgeError as e:
                emit({"error": e.code, "message": e.message})
    finally:
        c.close()
    return 0


def cmd_echo(url, subject, count):
    """Request/reply the NATSBridge way: answer each envelope on its reply_to with the same
    payloads and reply_to_msg_id = the request's msg_id."""
    c = connect(url)
    try:
        sid = c.subscribe(subject)
        c.flush()
        emit({"ready": subject})
        for _ in range(count):
            m = c.next_msg(TIMEOUT, sid=sid)
            if m is None:
                emit({"error": "TIMEOUT", "message": "no request"})
                return 1
            env = nb.smartreceive(m)
            target = env["reply_to"] or m.reply
            reply_env, js = nb.smartsend(target, env["payloads"], nats_connection=c, broker_url=url,
                                         correlation_id=env["correlation_id"], reply_to_msg_id=env["msg_id"],
                                         msg_purpose="ACK", sender_name="mpy-echo")
            c.flush()
            emit({"replied": target, "msg_id": reply_env["msg_id"]})
    finally:
        c.close()
    return 0


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    op, url, subject = argv[0], argv[1], argv[2]
    try:
        if op == "send":
            cmd_send(url, subject)
            return 0
        if op == "receive":
            return cmd_receive(url, subject, int(argv[3]) if len(argv) > 3 else 1, argv[4] if len(argv) > 4 else None)
        if op == "echo":
            return cmd_echo(url, subject, int(argv[3]) if len(argv) > 3 else 1)
    except nb.NatsBridgeError as e:
        emit({"error": e.code, "message": e.message})
        return 2
    sys.exit("unknown command " + op)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
