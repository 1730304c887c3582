# memcheck.py - the heap scenarios of heap.test.ts, run on the real MicroPython runtime at a fixed
# heap size (heap.mjs). Never needed on a board.
#
# Each scenario prints one "MEMCHECK {json}" line. The NATS server is Loopback: a socket that
# answers CONNECT/PING/SUB and hands every PUB back to matching subscriptions, keeping message
# bodies in files (the runtime's file system lives outside the MicroPython heap), so the heap
# holds what a board's would: the module, the caller's payload, the client's buffers.
import os

import natsbridge_mpy as nb

INFO = b'INFO {"server_id":"loopback","version":"2.10.0","proto":1,"max_payload":1048576,"headers":true}\r\n'


class Loopback:
    def __init__(self):
        self.out = [INFO]  # what the client reads next: bytes, or (path, length) of a file
        self.f = None
        self.left = 0
        self.line = bytearray(512)  # one protocol line (PUB/SUB/CONNECT), self.ln bytes of it
        self.ln = 0
        self.body = 0  # bytes of a PUB body (and its CRLF) still to come
        self.pub = None  # (subject, reply, path, n) of that PUB
        self.subs = {}
        self.count = 0

    def settimeout(self, t):
        pass

    def close(self):
        if self.f is not None:
            self.f.close()

    def deliver(self, subject, path):
        """Queue the file at path as a MSG for subject's subscription."""
        n = os.stat(path)[6]
        self.out.append(("MSG %s %d %d\r\n" % (subject, self.subs[subject], n)).encode())
        self.out.append((path, n))
        self.out.append(b"\r\n")

    def sendall(self, data):
        mv = data if isinstance(data, memoryview) else memoryview(data)  # no view per piece
        i = 0
        n = len(mv)
        line = self.line
        while i < n:
            if self.body:
                k = min(self.body, n - i)
                self.pubf.write(mv if (i == 0 and k == n) else mv[i:i + k])
                self.body -= k
                i += k
                if not self.body:
                    self._published()
                continue
            # A protocol line goes into one fixed buffer (this server's own allocations are in
            # the figures: a bytearray grown by append would leave a copy per growth behind).
            c = mv[i]
            i += 1
            line[self.ln] = c
            self.ln += 1
            if c == 0x0A and self.ln > 1 and line[self.ln - 2] == 0x0D:
                if line[0] == 0x50 or line[0] == 0x53:  # PING, PUB, SUB; CONNECT is not read
                    self._op(str(memoryview(line)[:self.ln - 2], "utf-8"))
                self.ln = 0

    def _op(self, line):
        w = line.split(" ")
        if w[0] == "PING":
            self.out.append(b"PONG\r\n")
        elif w[0] == "SUB":
            self.subs[w[1]] = int(w[-1])
        elif w[0] == "PUB":
            path = "pub%d" % self.count
            self.count += 1
            n = int(w[-1])
            self.pub = (w[1], w[2] if len(w) == 4 else None, path, n)
            self.pubf = open(path, "wb")
            self.body = n + 2

    def _published(self):
        self.pubf.close()
        subject, reply, path, n = self.pub
        sid = self.subs.get(subject)
        if sid is not None:
            self.out.append(("MSG %s %d %s%d\r\n" % (subject, sid, reply + " " if reply else "", n)).encode())
            self.out.append((path, n))
            self.out.append(b"\r\n")

    def recv_into(self, mv):
        while self.out:
            item = self.out[0]
            if isinstance(item, bytes):
                k = min(len(item), len(mv))
                mv[:k] = item[:k]
                if k == len(item):
                    self.out.pop(0)
                else:
                    self.out[0] = item[k:]
                return k
            if self.f is None:
                self.f = open(item[0], "rb")
                self.left = item[1]
            k = self.f.readinto(mv[:min(self.left, len(mv))])
            self.left -= k
            if not self.left:
                self.f.close()
                self.f = None
                self.out.pop(0)
            return k
        raise OSError(110)  # ETIMEDOUT: nothing more from this server

    def recv(self, n):  # for clients without recv_into (the measurements of older versions)
        b = bytearray(n)
        return bytes(b[:self.recv_into(memoryview(b))])


def pattern(n):
    b = bytearray(n)
    for i in range(n):
        b[i] = (i * 7 + 3) & 0xFF
    return b


def check_pattern(v):
    """The received bytes, checked where they lie (no copy)."""
    for i in range(len(v)):
        if v[i] != (i * 7 + 3) & 0xFF:
            return False
    return True


def _client(sock):
    return nb.NATSClient("nats://loopback:4222", sock=sock).connect()


def _receive(c, sid, copy):
    m = c.next_msg(1.0, sid=sid)
    if m is None:
        raise OSError("no message")
    if copy:  # what the suite must catch: a whole-message copy
        m = nb.smartreceive(bytes(m.data))
    else:
        m = nb.smartreceive(m)
    return m["payloads"][0][1]


def run(scenario, size, copy=False):
    """encode: smartsend size bytes to /pub0; decode: smartreceive /msg.bin (from the harness);
    roundtrip: connect, subscribe, send, receive and check."""
    sock = Loopback()
    c = _client(sock)
    ok = True
    if scenario == "encode":
        data = pattern(size)
        nb.smartsend("mem.t", [("blob", data, "binary")], nats_connection=c, correlation_id="memcheck")
        c.flush()
    elif scenario == "decode":
        sid = c.subscribe("mem.t")
        sock.deliver("mem.t", "msg.bin")
        ok = check_pattern(_receive(c, sid, copy))
    else:
        data = pattern(size)
        sid = c.subscribe("mem.t")
        nb.smartsend("mem.t", [("blob", data, "binary")], nats_connection=c, correlation_id="memcheck")
        ok = check_pattern(_receive(c, sid, copy))
    c.close()
    print("MEMCHECK " + nb.json_dumps({"scenario": scenario, "size": size, "ok": ok}))
