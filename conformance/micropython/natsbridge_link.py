# natsbridge_link.py - the link transport for natsbridge_mpy: a plain-socket HTTP/1.1 client and
# the Plik protocol (docs/wire-format.md), streaming in 1 KB pieces both ways, so a payload larger
# than the free heap can go by link from a file (File) or a caller's buffer, and come back
# into one (smartreceive's link_sink).
#
# A separate module: natsbridge_mpy imports it the first time a payload goes by link, so a board
# that only sends direct payloads never loads it (docs/micropython.md, "Memory").
try:
    import os
except ImportError:
    import uos as os

import natsbridge_mpy as nb
import natsbridge_nats as net

_CHUNK = 1024  # bytes per socket write/read of a body
_HEAD_MAX = 1024  # one response header line, and the pieces a body is read in

_URI_KEEP = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()"


def encode_uri_component(s):
    """JavaScript's encodeURIComponent (the download URL's last segment)."""
    out = []
    for c in s.encode("utf-8"):
        if _URI_KEEP.find(bytes((c,))) >= 0:
            out.append(chr(c))
        else:
            out.append("%%%02X" % c)
    return "".join(out)


class File:
    """A payload kept in a file on the board. smartsend streams it (base64 or a link upload) in
    chunks; smartreceive's link_sink may return one to have a link payload written there."""

    def __init__(self, path, size=None):
        self.path = path
        self.size = os.stat(path)[6] if size is None else size

    def __repr__(self):
        return "File(%r, %d)" % (self.path, self.size)


def _read_full(readinto, mv):
    """Fill mv with readinto (a file's) unless the file ends first; returns the byte count."""
    got = 0
    n = len(mv)
    while got < n:
        k = readinto(mv if got == 0 else mv[got:])
        if not k:
            break
        got += k
    return got


def file_chunks(src, size, fn):
    """natsbridge_mpy.for_chunks for a File: read through one buffer of size bytes."""
    mv = memoryview(bytearray(size))
    f = open(src.path, "rb")
    readinto = f.readinto  # looked up once: each lookup allocates a bound method on MicroPython
    try:
        left = src.size
        while left > 0:
            # Whole pieces go out as the buffer itself: a slice per piece would be garbage per KB.
            k = _read_full(readinto, mv if left >= size else mv[:left])
            if k == 0:
                raise OSError("file " + src.path + " is shorter than its size")
            fn(mv if k == size else mv[:k])
            left -= k
    finally:
        f.close()


class _Stream:
    """Reads an HTTP response through one fixed buffer: lines, then body pieces as views."""

    def __init__(self, sock):
        self.sock = sock
        # MicroPython's readinto reads until the buffer is full, which ends here at the latest
        # when the server closes (Connection: close); the NATS client needs net.reader's poll.
        r = getattr(sock, "readinto", None)
        self.recv_into = r if r is not None and not hasattr(sock, "recv_into") else net.reader(sock)
        self.buf = bytearray(_HEAD_MAX)
        self.mv = memoryview(self.buf)
        self.i = 0
        self.n = 0

    def _more(self):
        if self.i:
            k = self.n - self.i
            self.buf[0:k] = self.mv[self.i:self.n]
            self.i = 0
            self.n = k
        if self.n == len(self.buf):
            raise OSError("HTTP header line too long")
        k = self.recv_into(self.mv[self.n:])
        if not k:
            return False
        self.n += k
        return True

    def line(self):
        while True:
            k = self.buf.find(b"\r\n", self.i, self.n)
            if k >= 0:
                s = str(self.mv[self.i:k], "utf-8")
                self.i = k + 2
                return s
            if not self._more():
                raise OSError("HTTP response ended early")

    def copy(self, count, write):
        """Hand count body bytes (None: up to the end of the stream) to write(view)."""
        done = 0
        while count is None or done < count:
            if self.i == self.n:
                self.i = self.n = 0
                k = self.recv_into(self.mv)
                if not k:
                    if count is None:
                        return done
                    raise OSError("HTTP body truncated")
                self.n = k
            k = self.n - self.i
            if count is not None and k > count - done:
                k = count - done
            write(self.mv if k == len(self.buf) else self.mv[self.i:self.i + k])
            self.i += k
            done += k
        return done


def _connect(url, timeout):
    k = url.find("://")
    scheme = url[:k].lower()
    rest = url[k + 3:]
    j = rest.find("/")
    hostport = rest if j < 0 else rest[:j]
    path = "/" if j < 0 else rest[j:]
    host, port = net._split_hostport(hostport, 443 if scheme == "https" else 80)
    s = net.open_socket(host, port, timeout)
    if scheme == "https":
        try:
            import ssl
        except ImportError:
            import ussl as ssl
        if hasattr(ssl, "create_default_context"):
            s = ssl.create_default_context().wrap_socket(s, server_hostname=host)
        else:
            s = ssl.wrap_socket(s, server_hostname=host)
    return s, hostport, path


def _exchange(method, url, headers, body_len, send_body, on_body, timeout):
    """One HTTP/1.1 request (Connection: close): the head, then send_body(write) streams the
    body_len body bytes; on_body(status, headers, length or None, stream) reads the answer."""
    s, hostport, path = _connect(url, timeout)
    try:
        lines = [method + " " + path + " HTTP/1.1", "Host: " + hostport, "Connection: close",
                 "User-Agent: natsbridge-mpy/" + nb.VERSION, "Content-Length: " + str(body_len)]
        for name in (headers or {}):
            lines.append(name + ": " + headers[name])
        send = net.writer(s)
        send(("\r\n".join(lines) + "\r\n\r\n").encode())
        if send_body is not None:
            send_body(send)
        st = _Stream(s)
        status = int(st.line().split(" ")[1])
        hdrs = {}
        while True:
            h = st.line()
            if not h:
                break
            c = h.find(":")
            if c > 0:
                hdrs[h[:c].strip().lower()] = h[c + 1:].strip()
        if hdrs.get("transfer-encoding", "").lower() == "chunked":
            return on_body(status, hdrs, None, _Chunked(st))
        n = int(hdrs["content-length"]) if "content-length" in hdrs else None
        return on_body(status, hdrs, n, st)
    finally:
        try:
            s.close()
        except Exception:
            pass


class _Chunked:
    """A chunked body read as one stream (copy(None, write) only)."""

    def __init__(self, st):
        self.st = st

    def copy(self, count, write):
        done = 0
        while True:
            n = int(self.st.line().split(";")[0].strip(), 16)
            if n == 0:
                return done
            done += self.st.copy(n, write)
            self.st.line()


def _collect(status, hdrs, n, st):
    """A whole (small, or Content-Length-sized) body as one bytearray."""
    if n is not None:
        out = bytearray(n)
        pos = [0]

        def put(v):
            out[pos[0]:pos[0] + len(v)] = v
            pos[0] += len(v)
        st.copy(n, put)
        return status, hdrs, out
    out = bytearray()

    def add(v):
        out.extend(v)
    st.copy(None, add)
    return status, hdrs, out


def http_request(method, url, headers=None, body=b"", timeout=10.0):
    """HTTP/1.1 over a plain socket. Returns (status, headers, body as bytearray).
    body: bytes-like or File, sent 1 KB at a time. https:// needs an ssl module."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    n = nb.source_len(body)
    return _exchange(method, url, headers, n, (lambda w: nb.for_chunks(body, _CHUNK, w)) if n else None, _collect, timeout)


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
        for ch in port:
            if not "0" <= ch <= "9":
                return False
    if not host:
        return False
    for ch in host:
        if ch <= " " or ch in "<>\\^`{|}%\"":
            return False
    return True


def _json_str(body, name, default=None):
    """The string member name of the JSON object body (the file server's answers). Read by a
    scan (natsbridge_nats.json_members); only a value with escapes goes to the JSON reader."""
    v = net.json_members(body, (name,)).get(name)
    if v is None and default is not None:
        return default
    if v is None or v[:1] != b'"':
        raise ValueError("no string " + str(name, "ascii") + " in the file server's answer")
    if v.find(b"\\") < 0:
        return str(v[1:-1], "utf-8")
    return nb.json_loads(v)


def plik_upload(fileserver_url, dataname, data, one_shot=True, ttl=None):
    """Plik protocol (docs/wire-format.md): create an upload, post the file, build the URL.
    data: bytes-like or File, streamed inside the multipart body without being copied."""
    base = fileserver_url.rstrip("/")
    opts = nb.OrderedDict()
    opts["OneShot"] = bool(one_shot)
    if ttl is not None:
        opts["TTL"] = ttl
    st, _, body = http_request("POST", base + "/upload", {"Content-Type": "application/json"}, nb.json_dumps(opts))
    if st != 200:
        return {"status": st, "url": None}
    uploadid = _json_str(body, b"id")
    token = _json_str(body, b"uploadToken", "")
    boundary = "----natsbridge" + nb.uuid4().replace("-", "")
    fname = dataname.replace('"', "%22").replace("\r", "").replace("\n", "")
    pre = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + fname +
           "\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode("utf-8")
    post = ("\r\n--" + boundary + "--\r\n").encode()

    def send(write):
        write(pre)
        nb.for_chunks(data, _CHUNK, write)
        write(post)
    st, _, body = _exchange("POST", base + "/file/" + uploadid,
                            {"X-UploadToken": token, "Content-Type": "multipart/form-data; boundary=" + boundary},
                            len(pre) + nb.source_len(data) + len(post), send, _collect, 30.0)
    if st != 200:
        return {"status": st, "url": None}
    fileid = _json_str(body, b"id")
    url = base + "/file/" + uploadid + "/" + fileid + "/" + encode_uri_component(dataname)
    return {"status": 200, "uploadid": uploadid, "fileid": fileid, "url": url}


def _retry(fn, max_retries, base_delay, max_delay, correlation_id):
    """fn() until it returns a value, sleeping base_delay, 2x, ... (capped at max_delay ms)."""
    delay = base_delay
    last = None
    for attempt in range(1, max_retries + 1):
        try:
            return fn()
        except nb.NatsBridgeError:
            raise  # a decided failure (too long for its target): retrying cannot help
        except Exception as e:
            last = str(e)
        nb.log_trace(correlation_id, "Attempt " + str(attempt) + " failed: " + str(last))
        if attempt < max_retries:
            net._sleep_ms(delay)
            delay = min(delay * 2, max_delay)
    raise nb.NatsBridgeError("DOWNLOAD_FAILED", "Failed to fetch data after " + str(max_retries) + " attempts: " + str(last), correlation_id)


def _ok(status, hdrs, n, st, then):
    if status != 200:
        raise OSError("HTTP " + str(status))
    return then(status, hdrs, n, st)


def fetch_with_backoff(url, max_retries=5, base_delay=100, max_delay=5000, correlation_id=""):
    """GET url until 200; the body as one bytearray (read straight into it when its length is
    announced)."""
    return _retry(lambda: _exchange("GET", url, None, 0, None, lambda s, h, n, st: _ok(s, h, n, st, _collect), 30.0)[2],
                  max_retries, base_delay, max_delay, correlation_id)


def fetch_into(url, target, max_retries=5, base_delay=100, max_delay=5000, correlation_id="", size=None):
    """GET url until 200, writing the body 1 KB at a time into target: an File (its path is
    written) or a writable buffer (bytearray/memoryview, at least as long as the body).
    Returns the byte count. A body longer than size or the buffer is DOWNLOAD_FAILED."""
    cap = size if size is not None else (None if isinstance(target, File) else len(target))

    def body(status, hdrs, n, st):
        if n is not None and cap is not None and n > cap:
            raise nb.NatsBridgeError("DOWNLOAD_FAILED", "the file server announces " + str(n) + " bytes, more than " + str(cap), correlation_id)
        pos = [0]
        if isinstance(target, File):
            f = open(target.path, "wb")
            fw = f.write  # looked up once: each lookup allocates a bound method on MicroPython
        else:
            f = None
            mv = memoryview(target)

        def put(v):
            k = len(v)
            if cap is not None and pos[0] + k > cap:
                raise nb.NatsBridgeError("DOWNLOAD_FAILED", "the download is longer than " + str(cap) + " bytes", correlation_id)
            if f is not None:
                fw(v)
            else:
                mv[pos[0]:pos[0] + k] = v
            pos[0] += k
        try:
            st.copy(n, put)
        finally:
            if f is not None:
                f.close()
        if isinstance(target, File):
            target.size = pos[0]
        return pos[0]

    return _retry(lambda: _exchange("GET", url, None, 0, None, lambda s, h, n, st: _ok(s, h, n, st, body), 30.0),
                  max_retries, base_delay, max_delay, correlation_id)


# ------------------------------------------------------------------ smartsend / smartreceive hooks

def _guarded(code, what, cid, fn, *args):
    """fn(*args): a NatsBridgeError keeps its code and gets the correlation id, anything else
    (OSError, a handler's bug) becomes code."""
    try:
        return fn(*args)
    except nb.NatsBridgeError as e:
        if e.correlation_id is None:
            e.correlation_id = cid
        raise e
    except Exception as e:
        raise nb._err(code, what + " failed: " + str(e), cid)


def upload_payload(upload, fileserver_url, dataname, b, cid, log):
    """smartsend's upload of one payload (the user's handler, or Plik); returns its URL."""
    nb.log_trace(cid, "Using link transport, uploading to fileserver", log)
    res = _guarded("UPLOAD_FAILED", "upload of " + nb.js_string(dataname), cid, upload, fileserver_url, dataname, b)
    url = res.get("url") if isinstance(res, dict) else None
    if not isinstance(res, dict) or res.get("status") != 200 or not isinstance(url, str) or not _is_web_url(url):
        raise nb._err("UPLOAD_FAILED", "Failed to upload data to fileserver: " + repr(res), cid)
    if log or nb._logger:  # no message is built while nobody listens
        nb.log_trace(cid, "Uploaded to URL: " + url, log)
    return url


def fetch_payload(p, t, cid, kw):
    """smartreceive's download of one link payload. Returns the value when link_sink took it,
    else None with the downloaded bytes left in p["_got"] as a region."""
    name = p["dataname"]
    got = _guarded("DOWNLOAD_FAILED", "download of " + nb.js_string(name), cid, _download, p, t, cid, kw)
    if not isinstance(got, (bytes, bytearray, memoryview)):
        return got  # link_sink's File or view
    if p["size"] is not None and p["size"] != len(got):
        raise nb._err("DOWNLOAD_FAILED", "downloaded " + str(len(got)) + " bytes for " + nb.js_string(name) + " but size says " + str(p["size"]), cid)
    p["_got"] = (got, 0, len(got))
    return None


def _download(p, t, cid, kw):
    """Into link_sink's target (a File, or a memoryview of its buffer), else the handler's bytes.
    Without a handler and with a size, the body goes straight into one buffer of that size (a
    longer body is DOWNLOAD_FAILED, not a bigger allocation)."""
    size = p["size"]
    retry = (kw.get("max_retries", 5), kw.get("base_delay", 100), kw.get("max_delay", 5000), cid)
    sink = kw.get("link_sink")
    target = sink(p["dataname"], size, t) if sink is not None and (t in nb.BYTES_TYPES or t == "arrowtable") else None
    handler = kw.get("fileserver_download_handler")
    if target is None and handler is None and size is not None:
        target = bytearray(size)
        n = fetch_into(p["data"], target, *retry, size=size)
        return target if n == size else memoryview(target)[:n]
    if target is not None:
        n = fetch_into(p["data"], target, *retry, size=size)
        if size is not None and size != n:
            raise nb._err("DOWNLOAD_FAILED", "downloaded " + str(n) + " bytes for " + nb.js_string(p["dataname"]) + " but size says " + str(size), cid)
        return target if isinstance(target, File) else memoryview(target)[:n]
    return (handler or fetch_with_backoff)(p["data"], *retry)
