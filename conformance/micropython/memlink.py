# memlink.py - the link job of heap.test.ts (memcheck.py's NATS loopback plus a file server),
# kept apart so the other jobs do not carry its code. Never needed on a board.
import os

import natsbridge_mpy as nb
from memcheck import Loopback, _client


class FileServer:
    """An HTTP socket that answers the Plik calls natsbridge_link makes (create an upload, post
    its file, get it back), keeping the file in the runtime's file system."""

    post_len = 0  # the multipart trailer's length, from the upload's Content-Type

    def __init__(self, store):
        self.store = store  # where the posted multipart body goes
        self.head = bytearray(1024)
        self.hn = 0
        self.body = 0
        self.out = None
        self.f = None

    def settimeout(self, t):
        pass

    def close(self):
        if self.f is not None:
            self.f.close()

    def connect(self, addr):
        pass

    def sendall(self, data):
        mv = data if isinstance(data, memoryview) else memoryview(data)  # no view per piece
        i = 0
        h = self.head
        while i < len(mv):
            if self.body:
                k = min(self.body, len(mv) - i)
                self.fw(mv if (i == 0 and k == len(mv)) else mv[i:i + k])
                self.body -= k
                i += k
                if not self.body:
                    self.f.close()
                    self.f = None
                    self.out = [b'HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n{"id":"file1"}']
                continue
            h[self.hn] = mv[i]  # the request head, in one fixed buffer
            self.hn += 1
            i += 1
            k = self.hn
            if k >= 4 and h[k - 1] == 0x0A and h[k - 2] == 0x0D and h[k - 3] == 0x0A and h[k - 4] == 0x0D:
                self._request(str(memoryview(h)[:k], "utf-8"))
                self.hn = 0

    def _request(self, head):
        lines = head.split("\r\n")
        method, path = lines[0].split(" ")[0:2]
        n = 0
        for h in lines:
            if h.lower().startswith("content-length:"):
                n = int(h[15:])
            if h.lower().startswith("content-type: multipart"):
                FileServer.post_len = len(h.split("boundary=")[1]) + 8  # CRLF -- boundary -- CRLF
        if path == "/upload":
            self.body = 0
            body = b'{"id":"up1","uploadToken":"t"}'
            self.out = [b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body]
        elif method == "POST":
            self.f = open(self.store, "wb")
            self.fw = self.f.write
            self.body = n
            self.out = []
        else:
            f = open(self.store, "rb")
            first = f.read(512)
            pre = first.find(b"\r\n\r\n") + 4
            size = os.stat(self.store)[6] - pre - FileServer.post_len
            f.seek(pre)
            self.f = f
            self.fr = f.readinto
            self.left = size
            self.out = [b"HTTP/1.1 200 OK\r\nContent-Length: " + str(size).encode() + b"\r\n\r\n"]

    def recv_into(self, mv):
        if self.out:
            item = self.out.pop(0)
            mv[:len(item)] = item
            return len(item)
        if self.f is not None and self.left > 0:
            k = self.fr(mv if self.left >= len(mv) else mv[:self.left])
            self.left -= k
            return k
        return 0  # Connection: close


def run_link(path):
    """The payload in the file at path goes by link (uploaded from the file) and comes back into
    /got.bin (downloaded into a file by link_sink), through Loopback and FileServer."""
    import natsbridge_nats
    natsbridge_nats.open_socket = lambda host, port, timeout: FileServer("store.bin")
    c = _client(Loopback())
    sid = c.subscribe("mem.t")
    nb.smartsend("mem.t", [("big", nb.File(path), "binary")], nats_connection=c, fileserver_url="http://files", size_threshold=1000)
    m = c.next_msg(1.0, sid=sid)
    env = nb.smartreceive(m, link_sink=lambda name, size, t: nb.File("got.bin", 0))
    c.close()
    print("MEMCHECK " + nb.json_dumps({"scenario": "link", "size": env["payloads"][0][1].size, "ok": True}))
