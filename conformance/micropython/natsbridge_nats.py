# natsbridge_nats.py - the socket NATS client for natsbridge_mpy (MicroPython boards, CPython).
#
# A separate module so importing natsbridge_mpy stays small (docs/micropython.md, "Memory");
# natsbridge_mpy.NATSClient() loads it on first use. Memory: one receive buffer, grown once to the
# largest message read; envelopes go out in pieces (publish_parts), never joined.
import time

import natsbridge_mpy as nb
from natsbridge_mpy import (DEFAULT_BROKER_URL, DEFAULT_MAX_PAYLOAD, VERSION, _IS_MICROPYTHON,
                            _err, js_string, uuid4, write_parts)


# ------------------------------------------------------------------ INFO

def _ws(b, i):
    while i < len(b) and b[i] in b" \t\r\n":
        i += 1
    return i


def _string_end(b, i):
    """Index past the JSON string that starts at b[i] (a quote); ValueError if unterminated."""
    i += 1
    while i < len(b):
        c = b[i]
        if c == 0x22:
            return i + 1
        i += 2 if c == 0x5C else 1
    raise ValueError


def json_members(raw, names):
    """The top-level members of a JSON object whose keys are in names (bytes), as their raw
    value bytes: {b"max_payload": b"1048576"}. A scan, not a JSON reader: INFO and the file
    server's answers are read for a member or two, and a reader would load natsbridge_rx into
    a board that only sends. Strings and nested values are skipped whole, so a value that merely
    contains a key's text is not taken for it; keys are compared in place (no copy per key).
    ValueError when raw is not one JSON object."""
    b = raw
    n = len(b)
    out = {}
    i = _ws(b, 0)
    if i >= n or b[i] != 0x7B:
        raise ValueError
    i = _ws(b, i + 1)
    if i < n and b[i] == 0x7D:
        i += 1
    else:
        while True:
            if i >= n or b[i] != 0x22:
                raise ValueError
            j = _string_end(b, i)
            key = None
            for name in names:
                if len(name) == j - i - 2 and b.find(name, i + 1, j - 1) == i + 1:
                    key = name
            i = _ws(b, j)
            if i >= n or b[i] != 0x3A:
                raise ValueError
            i = v = _ws(b, i + 1)
            depth = 0
            while i < n:
                c = b[i]
                if c == 0x22:
                    i = _string_end(b, i)
                    continue
                if c == 0x7B or c == 0x5B:
                    depth += 1
                elif c == 0x7D or c == 0x5D:
                    if not depth:
                        break
                    depth -= 1
                elif c == 0x2C and not depth:
                    break
                i += 1
            if i >= n or i == v:
                raise ValueError
            if key is not None:
                out[key] = b[v:i].strip()
            i += 1
            if b[i - 1] == 0x7D:
                break
            i = _ws(b, i)
    if _ws(b, i) != n:
        raise ValueError
    return out


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


def reader(sock):
    """f(mv[, timeout]): read what has arrived into mv and return the byte count, 0 at the end of
    the stream, None when nothing came in time (no timeout: wait). Made once per socket (every method lookup
    allocates a bound method on MicroPython): CPython's recv_into (under the socket's own
    timeout), MicroPython's readinto behind poll, or recv + copy for other sockets."""
    f = getattr(sock, "recv_into", None)
    if f is not None:
        return lambda mv, t=None: f(mv)
    if getattr(sock, "readinto", None) is None:
        return lambda mv, t=None: _recv_copy(sock, mv)
    import select
    p = select.poll()
    p.register(sock, select.POLLIN)

    def read(mv, t=None):
        # MicroPython's readinto reads until mv is full ("no short reads") unless the socket is
        # non-blocking, and a timeout then loses what it read: wait for data with poll, then
        # take what is there without blocking (ipoll allocates nothing).
        for _ in p.ipoll(-1 if t is None else int(t * 1000)):
            sock.setblocking(False)
            try:
                return sock.readinto(mv)
            finally:
                sock.settimeout(t)
        return None
    return read


def writer(sock):
    """A function that writes all of a buffer to sock (sendall, or write until done)."""
    f = getattr(sock, "sendall", None)
    if f is not None:
        return f
    return lambda data: _sendall(sock, data)


def _recv_copy(sock, mv):
    """Read into mv from a socket that has only recv (a copy)."""
    chunk = sock.recv(len(mv))
    mv[:len(chunk)] = chunk
    return len(chunk)


def open_socket(host, port, timeout):
    """A connected TCP socket (CPython socket, MicroPython socket/usocket)."""
    socket = _socket_module()
    addr = socket.getaddrinfo(host, port)[0][-1]
    s = socket.socket()
    try:
        try:
            s.settimeout(timeout)
        except (AttributeError, OSError):
            pass
        s.connect(addr)
    except BaseException:
        s.close()
        raise
    return s


class Msg:
    """A received NATS message: .data as in nats.js, .payload as in the seeds.

    A message returned by NATSClient.next_msg() (or handed to a callback) lives in the client's
    receive buffer: .data is a memoryview of it, valid until the client reads again, and
    smartreceive decodes it in place. Queued messages and Msg(..., data) hold their own bytes."""

    def __init__(self, subject, sid, reply, data, span=None):
        self.subject = subject
        self.sid = sid
        self.reply = reply
        self._data = data
        self._span = span  # (buffer, start, end) in the client's receive buffer

    @property
    def data(self):
        if self._span is not None:
            b, s, e = self._span
            return memoryview(b)[s:e]
        return self._data

    @property
    def payload(self):
        return self.data

    def detach(self):
        """This message with its own copy of the bytes (to keep it past the next read)."""
        if self._span is not None:
            self._data = bytes(self.data)
            self._span = None
        return self


# The receive buffer starts at this size and grows only to the largest message seen (or to
# rx_size from the start, which a board can set to the largest message it expects).
_RX_INITIAL = 1024
_RX_SLACK = 512  # room for the next protocol line after a message body
_MAX_LINE = 65536  # an INFO line longer than this is a broken or hostile server
_TX_SIZE = 512


class NATSClient:
    """Minimal NATS core client over a plain socket (CPython socket, MicroPython socket/usocket).

    Protocol: INFO / CONNECT / PUB / SUB / UNSUB / MSG / PING / PONG / +OK / -ERR.
    No TLS, no headers, no JetStream. Messages for subscriptions without a callback are queued
    and returned by next_msg(); callbacks run inside next_msg()/process()/flush().

    Memory: one receive buffer (rx_size bytes, grown once to the largest message read, never
    past the server's max_payload); envelopes are sent in pieces (publish_parts).
    """

    def __init__(self, url=DEFAULT_BROKER_URL, name="natsbridge-mpy", timeout=5.0, verbose=False, sock=None, rx_size=_RX_INITIAL):
        self.url = url
        self.name = name
        self.timeout = timeout
        self.verbose = verbose
        self.info = b""  # the server's INFO JSON as bytes (nb.json_loads(c.info) reads all of it)
        self.tls_required = False
        self.max_payload = DEFAULT_MAX_PAYLOAD
        self.server_errors = []
        self._sock = sock
        self._rx = bytearray(rx_size)
        self._read = None  # reader(self._sock), made on connect
        self._rs = 0  # unread bytes are _rx[_rs:_re]
        self._re = 0
        self._sid = 0
        self._subs = {}
        self._pending = []
        self._pongs = 0
        self._pings = 0
        self._connected = False
        self._tx = None  # allocated on connect, before the heap fills with smaller objects
        self._txn = 0

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
                k = self._rx.find(b"-ERR", self._rs, self._re)
                if k >= 0:
                    e = self._rx.find(b"\r\n", k, self._re)
                    return str(self._rx[k + 4:e if e > 0 else self._re], "utf-8").strip().strip("'")
                if not self._room(256) or not _recv_more(self):
                    return None
        except Exception:
            return None
        return None

    def _room(self, want):
        """Make want free bytes after _re: move unread bytes to the front, grow if still short.
        Growing allocates the new buffer once; a view of the old one (a message the caller still
        holds) stays valid."""
        if len(self._rx) - self._re >= want:
            return True
        keep = self._re - self._rs
        if len(self._rx) - keep >= want:
            if self._rs:
                self._rx[0:keep] = memoryview(self._rx)[self._rs:self._re]
        else:
            nb = bytearray(keep + want)
            nb[0:keep] = memoryview(self._rx)[self._rs:self._re]
            self._rx = nb
        self._rs = 0
        self._re = keep
        return True

    def _fill(self, timeout, want=1):
        if timeout is not None:
            try:
                self._sock.settimeout(timeout)
            except (AttributeError, OSError):
                pass
        self._room(want if want > 256 else 256)
        try:
            k = self._read(memoryview(self._rx)[self._re:], timeout)
        except OSError as e:
            if _is_timeout(e):
                return False
            self._connected = False
            raise _err("NATS_CONNECTION_FAILED", "receive failed: " + str(e))
        if k is None:
            return False
        if not k:
            self._connected = False
            why = self._pending_error()
            raise _err("NATS_CONNECTION_FAILED", "connection closed by server" + (": " + why if why else ""))
        self._re += k
        return True

    def _read_line(self, timeout):
        while True:
            k = self._rx.find(b"\r\n", self._rs, self._re)
            if k >= 0:
                line = bytes(memoryview(self._rx)[self._rs:k])
                self._rs = k + 2
                return line
            if self._re - self._rs > _MAX_LINE:
                self._connected = False
                raise _err("NATS_CONNECTION_FAILED", "protocol line longer than " + str(_MAX_LINE) + " bytes")
            if not self._fill(timeout):
                return None

    def _read_body(self, n, timeout):
        """n bytes plus CRLF, read into the receive buffer; returns the body's start there."""
        need = n + 2
        if len(self._rx) - self._rs < need:
            self._room(need + _RX_SLACK - (self._re - self._rs))
        while self._re - self._rs < need:
            if not self._fill(timeout, need - (self._re - self._rs)):
                raise _err("NATS_CONNECTION_FAILED", "timed out in the middle of a message")
        s = self._rs
        if self._rx[s + n] != 0x0D or self._rx[s + n + 1] != 0x0A:
            raise _err("NATS_CONNECTION_FAILED", "MSG payload not terminated by CRLF")
        self._rs = s + need
        return s

    def _handle_op(self, line, timeout):
        """Process one protocol line; returns a Msg (in the receive buffer) for MSG, else None."""
        if line[:4] == b"MSG ":
            parts = line.decode().split(" ")
            try:
                if len(parts) == 4:
                    subject, sid, reply, n = parts[1], int(parts[2]), None, int(parts[3])
                elif len(parts) == 5:
                    subject, sid, reply, n = parts[1], int(parts[2]), parts[3], int(parts[4])
                else:
                    raise ValueError()
            except ValueError:
                raise _err("NATS_CONNECTION_FAILED", "malformed MSG line: " + line.decode())
            if n < 0 or n > self.max_payload:
                self._connected = False
                raise _err("NATS_CONNECTION_FAILED", "MSG of " + str(n) + " bytes; max_payload is " + str(self.max_payload))
            s = self._read_body(n, timeout)
            return Msg(subject, sid, reply, None, (self._rx, s, s + n))
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
            f = json_members(raw, (b"max_payload", b"tls_required"))
        except ValueError:
            raise _err("NATS_CONNECTION_FAILED", "malformed INFO from server")
        self.info = raw  # bytes, not decoded: the scan needs no more, and a reader checks UTF-8
        mp = f.get(b"max_payload")
        if mp and mp.isdigit() and int(mp) > 0:
            self.max_payload = int(mp)
        self.tls_required = f.get(b"tls_required") == b"true"

    def _dispatch(self, m, keep):
        """Hand m to its subscription: callback, or the queue (which keeps its own copy unless
        keep says the caller takes m right away)."""
        sub = self._subs.get(m.sid)
        if sub is None:
            return None
        sub[2] += 1
        if sub[3] is not None and sub[2] >= sub[3]:
            del self._subs[m.sid]
        cb = sub[1]
        if cb is not None:
            cb(m)
            return None
        if keep:
            return m
        self._pending.append(m.detach())
        return None

    # -- public
    def connect(self):
        host, port, user, password, token = parse_nats_url(self.url)
        if self._sock is None:
            try:
                self._sock = open_socket(host, port, self.timeout)
            except OSError as e:
                raise _err("NATS_CONNECTION_FAILED", "cannot connect to " + host + ":" + str(port) + ": " + str(e))
        self._read = reader(self._sock)
        if self._tx is None:
            self._tx = bytearray(_TX_SIZE)
        line = self._read_line(self.timeout)
        if line is None or line[:5] != b"INFO ":
            raise _err("NATS_CONNECTION_FAILED", "server did not send INFO")
        self._set_info(line[5:])
        if self.tls_required:
            raise _err("NATS_CONNECTION_FAILED", "server requires TLS, which this client does not do")
        self._connected = True
        # CONNECT's JSON: one template, the few string values escaped by js_string.
        auth = ""
        if user is not None:
            auth = ',"user":' + js_string(user) + ',"pass":' + js_string(password)
        if token is not None:
            auth = ',"auth_token":' + js_string(token)
        self._send(('CONNECT {"verbose":%s,"pedantic":false,"tls_required":false,"lang":"%s","version":%s,'
                    '"protocol":1,"name":%s,"headers":false%s}\r\nPING\r\n' % (
                        "true" if self.verbose else "false", "micropython" if _IS_MICROPYTHON else "python-natsbridge-mpy",
                        js_string(VERSION), js_string(self.name), auth)).encode("utf-8"))
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
                self._dispatch(m, False)

    @property
    def is_connected(self):
        return self._connected

    def _pub_head(self, subject, reply, n):
        if n > self.max_payload:
            raise _err("ENVELOPE_TOO_LARGE", "message is " + str(n) + " bytes; the server accepts " + str(self.max_payload))
        return ("PUB " + subject + (" " + reply if reply else "") + " " + str(n) + "\r\n").encode()

    def publish(self, subject, payload, reply=None):
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        self._send(self._pub_head(subject, reply, len(payload)))
        self._send(payload)
        self._send(b"\r\n")

    def publish_parts(self, subject, parts, total, reply=None):
        """Publish an envelope given as envelope_parts(): written piece by piece, never joined.
        Small pieces are gathered in one 512-byte buffer, so the socket sees few writes."""
        self._txn = 0
        self._put(self._pub_head(subject, reply, total))
        write_parts(parts, self._put)
        self._put(b"\r\n")
        self._flush_tx()

    def _put(self, piece):
        n = len(piece)
        if self._txn + n > _TX_SIZE:
            self._flush_tx()
        if n >= _TX_SIZE:
            self._send(piece)
            return
        self._tx[self._txn:self._txn + n] = piece
        self._txn += n

    def _flush_tx(self):
        if self._txn:
            self._send(memoryview(self._tx)[:self._txn])
            self._txn = 0

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
                self._dispatch(m, False)

    def next_msg(self, timeout=None, sid=None):
        """Next queued message (optionally for one subscription); None after timeout seconds.
        A message read now is returned where it lies in the receive buffer (see Msg)."""
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
                m = self._dispatch(m, sid is None or m.sid == sid)
                if m is not None:
                    return m

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


def _recv_more(client):
    try:
        k = client._read(memoryview(client._rx)[client._re:], 0.2)
    except OSError:
        return False
    if not k:
        return False
    client._re += k
    return True


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


class NATSBridge:
    """The seeds' class-style facade."""

    def __init__(self, broker_url=None, fileserver_url=None):
        self.broker_url = broker_url or DEFAULT_BROKER_URL
        self.fileserver_url = fileserver_url or nb.DEFAULT_FILESERVER_URL

    def smartsend(self, subject, data, **kw):
        if kw.get("broker_url") is None:
            kw["broker_url"] = self.broker_url
        if kw.get("fileserver_url") is None:
            kw["fileserver_url"] = self.fileserver_url
        return nb.smartsend(subject, data, **kw)

    def smartreceive(self, msg, **kw):
        return nb.smartreceive(msg, **kw)
