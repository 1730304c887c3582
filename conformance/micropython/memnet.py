# memnet.py - the heap jobs of heap-unix.ts: natsbridge_mpy over real sockets, against a real
# nats-server and the dev file server, on a MicroPython unix port run with -X heapsize. Kept
# small, since it is in the figures; memcheck.py has the same jobs over an in-heap loopback for
# the WebAssembly port (which has no sockets). Never needed on a board.
import natsbridge_mpy as nb


def run(url, scenario, size, fileserver=None):
    """send: connect and send size bytes; roundtrip: connect, subscribe, send, receive, check;
    link: the file big.bin by link (uploaded from the file) and back into got.bin."""
    c = nb.NATSClient(url, rx_size=1024).connect()
    sid = c.subscribe("mem.t")
    if scenario == "link":
        nb.smartsend("mem.t", [("big", nb.File("big.bin"), "binary")], nats_connection=c,
                     fileserver_url=fileserver, size_threshold=1000)
    else:
        data = bytearray(size)
        for i in range(size):
            data[i] = (i * 7 + 3) & 0xFF
        nb.smartsend("mem.t", [("blob", data, "binary")], nats_connection=c)
        data = None
    ok = True
    if scenario != "send":
        m = c.next_msg(5.0, sid=sid)
        env = nb.smartreceive(m, link_sink=lambda name, n, t: nb.File("got.bin", 0))
        v = env["payloads"][0][1]
        if scenario != "link":
            for i in range(len(v)):
                if v[i] != (i * 7 + 3) & 0xFF:
                    ok = False
            ok = ok and len(v) == size
    c.close()
    print("MEMNET " + scenario + " " + str(size) + (" ok" if ok else " BAD"))
