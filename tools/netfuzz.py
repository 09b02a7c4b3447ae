#!/usr/bin/python3
"""netfuzz.py — a manual tool: crafted and fuzzed frames from scapy against
a booted Aerie's network stack, the way an outside evaluator would. NOT
part of `make test` (scapy is not a build dependency); every bug it found
has a C regression test (tests/host/net/, tools/netframe.c).

It plays the host 10.0.2.2 on the guest's subnet like tools/netframe:
QEMU's socket backend (tools/qemu.sh --framesock MINE:QEMU) carries each
Ethernet frame as one UDP datagram on 127.0.0.1, so we send raw frames to
QEMU's port and read the guest's from ours. The guest is the image of
tests/net/net_frames.sh (build/boot-net-frames.img): UDP echo on 7, TCP
echo on 7007, `nettest stats` on UDP 7101.

    tools/qemu.sh --test --framesock 41000:41001 \\
        --initrd build/root.elf,build/boot-net-frames.img build/kernel.elf &
    /usr/bin/python3 tools/netfuzz.py 41000 41001 [--seed N] [--only NAME,...]

Debian: apt-get install python3-scapy (use /usr/bin/python3 if python3 is
another interpreter). After each kind of attack it checks that the guest
still answers ARP, ping, the UDP echo and a TCP connect, and prints the
counters that moved; TCP checks against RFC 9293 / RFC 5961 print FAIL
lines. The exit status is the number of failures.
"""
import random
import socket
import sys
import time

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Ether, Raw,
                       RandShort, conf, fragment, fuzz)

conf.verb = 0
GUEST_IP = "10.0.2.15"
HOST_IP = "10.0.2.2"
HOST_MAC = "52:55:0a:00:02:02"
BCAST = "ff:ff:ff:ff:ff:ff"

failures = []


def note(ok, name, why=""):
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why), flush=True)
    if not ok:
        failures.append(name)


class Wire:
    def __init__(self, mine, theirs):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", mine))
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.qemu = ("127.0.0.1", theirs)
        self.gmac = None

    def send(self, frame):
        b = bytes(frame)
        self.s.sendto(b, self.qemu)

    def frames(self, secs):
        """The guest's frames for secs seconds; ARP for us answered on the way."""
        end = time.time() + secs
        while True:
            left = end - time.time()
            if left <= 0:
                return
            self.s.settimeout(left)
            try:
                b = self.s.recv(65536)
            except socket.timeout:
                return
            f = Ether(b)
            if ARP in f and f[ARP].op == 1 and f[ARP].pdst == HOST_IP:
                self.send(Ether(dst=f.src, src=HOST_MAC) /
                          ARP(op=2, hwsrc=HOST_MAC, psrc=HOST_IP, hwdst=f.src, pdst=f[ARP].psrc))
                continue
            yield f

    def wait(self, pred, secs=2.0):
        for f in self.frames(secs):
            if pred(f):
                return f
        return None

    def drain(self, secs=0.2):
        for _ in self.frames(secs):
            pass

    def eth(self, type=0x800):
        return Ether(dst=self.gmac or BCAST, src=HOST_MAC, type=type)

    def ip(self, **kw):
        kw.setdefault("src", HOST_IP)
        kw.setdefault("dst", GUEST_IP)
        return self.eth() / IP(**kw)


# ---- health and counters ---------------------------------------------------

def udp_data(f):
    """A UDP datagram's payload without the Ethernet padding scapy keeps."""
    return bytes(f[UDP])[8:f[UDP].len]


def tcp_raw(w, sport, dport, flags, seq, ack, opts, data=b"", win=65535):
    """A TCP segment with these raw option bytes (any garbage, padded to 4),
    checksummed as scapy would not for options it cannot parse."""
    import struct
    opts = opts + b"\0" * (-len(opts) % 4)
    fl = sum(b for c, b in zip("FSRPAUEC", (1, 2, 4, 8, 16, 32, 64, 128)) if c in flags)
    hdr = bytearray(struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                                (20 + len(opts)) // 4 << 4, fl, win, 0, 0) + opts)
    seg = bytes(hdr) + data
    ph = socket.inet_aton(HOST_IP) + socket.inet_aton(GUEST_IP) + struct.pack("!BBH", 0, 6, len(seg))
    b = ph + seg + b"\0" * (len(seg) & 1)
    s = sum(b[i] << 8 | b[i + 1] for i in range(0, len(b), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    hdr[16:18] = struct.pack("!H", ~s & 0xffff)
    return w.eth() / IP(src=HOST_IP, dst=GUEST_IP, proto=6) / Raw(bytes(hdr) + data)


def fs_(fs):
    return repr(["%s seq=%d ack=%d len=%d" % (f[TCP].flags, f[TCP].seq, f[TCP].ack, len(tcp_data(f))) for f in fs])


def tcp_data(f):
    """A TCP segment's payload without the Ethernet padding."""
    return bytes(f[IP])[f[IP].ihl * 4 + f[TCP].dataofs * 4:f[IP].len]


def arp_ok(w):
    w.send(Ether(dst=BCAST, src=HOST_MAC) /
           ARP(op=1, hwsrc=HOST_MAC, psrc=HOST_IP, pdst=GUEST_IP))
    f = w.wait(lambda f: ARP in f and f[ARP].op == 2 and f[ARP].psrc == GUEST_IP)
    if f:
        w.gmac = f[ARP].hwsrc
    return f is not None


def ping_ok(w, ident=0x7777):
    seq = random.randrange(65536)
    w.send(w.ip() / ICMP(id=ident, seq=seq) / Raw(b"x" * 32))
    return w.wait(lambda f: ICMP in f and f[ICMP].type == 0 and f[ICMP].seq == seq) is not None


def udp_call(w, dport, data, sport=None, secs=2.0):
    sport = sport or random.randrange(20000, 60000)
    w.send(w.ip() / UDP(sport=sport, dport=dport) / Raw(data))
    f = w.wait(lambda f: UDP in f and f[UDP].dport == sport and f[IP].src == GUEST_IP, secs)
    return udp_data(f) if f else None


def tcp_connect_ok(w, dport=7007):
    sport = random.randrange(20000, 60000)
    w.send(w.ip() / TCP(sport=sport, dport=dport, flags="S", seq=1000, options=[("MSS", 1460)]))
    f = w.wait(lambda f: TCP in f and f[TCP].dport == sport)
    ok = f is not None and f[TCP].flags == "SA"
    if ok:
        w.send(w.ip() / TCP(sport=sport, dport=dport, flags="R", seq=1001))
    return ok


def stats(w):
    for _ in range(3):
        r = udp_call(w, 7101, b"stats", secs=3)
        if r:
            d = {}
            for tok in r.decode(errors="replace").split():
                if "=" in tok:
                    k, v = tok.split("=", 1)
                    try:
                        d[k] = int(v)
                    except ValueError:
                        pass
            return d
    return None


def healthy(w, name):
    w.drain(0.3)
    ok = {"arp": arp_ok(w), "ping": ping_ok(w), "udp": udp_call(w, 7, b"echo?") == b"echo?",
          "tcp": tcp_connect_ok(w)}
    if not all(ok.values()):           # one retry: a loaded host loses a frame now and then
        time.sleep(1)
        ok = {k: v or {"arp": arp_ok, "ping": ping_ok,
                       "udp": lambda w: udp_call(w, 7, b"echo?") == b"echo?",
                       "tcp": tcp_connect_ok}[k](w) for k, v in ok.items()}
    note(all(ok.values()), name + ":still_answers", str(ok))


# ---- TCP connection helper --------------------------------------------------

class Conn:
    """One connection to the guest's TCP echo, driven by hand."""

    def __init__(self, w, dport=7007, opts=None, win=65535):
        self.w, self.dport = w, dport
        self.sport = random.randrange(20000, 60000)
        self.iss = random.randrange(1 << 32)
        self.snd = (self.iss + 1) & 0xffffffff
        w.send(w.ip() / TCP(sport=self.sport, dport=dport, flags="S", seq=self.iss, window=win,
                            options=opts if opts is not None else [("MSS", 1460)]))
        f = self.get()
        self.ok = f is not None and f[TCP].flags == "SA"
        if self.ok:
            self.rcv = (f[TCP].seq + 1) & 0xffffffff
            self.synack = f
            # with timestamps agreed every segment carries one (RFC 7323 3.2);
            # a SYN cookie's connection only knows of them from this ACK
            ts = [o for o in (opts or []) if o[0] == "Timestamp"]
            self.seg("A", win=win, opts=[("NOP", None), ("NOP", None), ("Timestamp", (ts[0][1][0], 0))] if ts else None)

    def seg(self, flags, data=b"", seq=None, ack=None, win=65535, opts=None, urg=0):
        t = TCP(sport=self.sport, dport=self.dport, flags=flags,
                seq=self.snd if seq is None else seq & 0xffffffff,
                ack=self.rcv if ack is None else ack & 0xffffffff, window=win, urgptr=urg,
                options=opts or [])
        self.w.send(self.w.ip() / t / Raw(data) if data else self.w.ip() / t)

    def send(self, data, **kw):
        self.seg("PA", data, **kw)
        self.snd = (self.snd + len(data)) & 0xffffffff

    def get(self, secs=2.0):
        return self.w.wait(lambda f: TCP in f and f[TCP].dport == self.sport, secs)

    def all(self, secs=1.0):
        return [f for f in self.w.frames(secs) if TCP in f and f[TCP].dport == self.sport]

    def collect(self, n, secs=3.0):
        """Echoed bytes until n arrived, ACKing as we go."""
        out = b""
        end = time.time() + secs
        while len(out) < n and time.time() < end:
            f = self.get(end - time.time())
            if f is None:
                break
            p = tcp_data(f)
            if f[TCP].flags & 4:
                break
            if p and f[TCP].seq == self.rcv:
                out += p
                self.rcv = (self.rcv + len(p)) & 0xffffffff
                self.seg("A")
        return out

    def close(self):
        self.seg("R", ack=0)


def echo_works(c, tag=b"ping"):
    c.send(tag)
    return c.collect(len(tag)) == tag


# ---- attacks ---------------------------------------------------------------

def a_ether(w):
    w.send(Raw(b"\x01\x02\x03"))                                  # runt
    w.send(Ether(dst=w.gmac, src=HOST_MAC, type=0x86dd) / Raw(b"\x60" + b"\0" * 60))
    w.send(Ether(dst=w.gmac, src=HOST_MAC, type=0x8100) / Raw(b"\x00\x01\x08\x00" + bytes(IP(dst=GUEST_IP) / ICMP())))
    w.send(Ether(dst=w.gmac, src="01:00:5e:00:00:01") / IP(src=HOST_IP, dst=GUEST_IP) / ICMP())
    w.send(Ether(dst=w.gmac, src="00:00:00:00:00:00") / IP(src=HOST_IP, dst=GUEST_IP) / ICMP())
    w.send(Ether(dst=w.gmac, src=w.gmac) / IP(src=HOST_IP, dst=GUEST_IP) / ICMP())
    for n in (1515, 1518, 1600, 4000, 9000, 16000, 65000):     # oversize / jumbo
        w.send(w.ip() / ICMP(id=9, seq=n) / Raw(b"J" * (n - 42)))
    # never a 0-byte datagram: QEMU's socket backend takes one for the end
    # of the connection and stops reading its socket for good (a host-side
    # artefact; no wire carries an empty frame)
    for n in range(1, 60):                                      # every truncation of a ping
        w.send(bytes(w.ip() / ICMP(id=8, seq=n) / Raw(b"t" * 18))[:n])


def a_ip_header(w):
    base = bytes(IP(src=HOST_IP, dst=GUEST_IP) / ICMP(id=5, seq=5) / Raw(b"h" * 16))
    for ihl in range(0, 16):
        w.send(w.eth() / IP(src=HOST_IP, dst=GUEST_IP, ihl=ihl) / ICMP() / Raw(b"x" * 80))
    for tl in (0, 1, 19, 20, 21, 27, 28, 29, len(base) - 1, len(base) + 1, 1500, 65535):
        w.send(w.eth() / IP(src=HOST_IP, dst=GUEST_IP, len=tl) / ICMP(id=6, seq=tl) / Raw(b"l" * 16))
    for v in (0, 5, 6, 15):
        w.send(w.eth() / IP(src=HOST_IP, dst=GUEST_IP, version=v) / ICMP())
    w.send(w.eth() / IP(src=HOST_IP, dst=GUEST_IP, chksum=0x1234) / ICMP())
    w.send(w.eth() / IP(src=HOST_IP, dst=GUEST_IP, chksum=0) / ICMP())
    for p in (0, 2, 4, 41, 47, 50, 89, 132, 255):
        w.send(w.eth() / IP(src=HOST_IP, dst=GUEST_IP, proto=p) / Raw(b"p" * 40))


def ip_with_options(w, opts, payload, proto=1):
    """An IPv4 header carrying these raw option bytes (any garbage), checksummed."""
    import struct
    opts = opts + b"\0" * (-len(opts) % 4)
    hl = 20 + len(opts)
    h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x40 | hl // 4, 0, hl + len(payload), 0x77, 0, 64, proto, 0,
                              socket.inet_aton(HOST_IP), socket.inet_aton(GUEST_IP)) + opts)
    s = sum(h[i] << 8 | h[i + 1] for i in range(0, hl, 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    h[10:12] = struct.pack("!H", ~s & 0xffff)
    return w.eth() / Raw(bytes(h) + payload)


def a_ip_options(w):
    opts = [b"\x01" * 4, b"\x00" * 4, b"\x07\x27\x04" + b"\0" * 37, b"\x83\x03\x04\x00",
            b"\x44\x00\x00\x00", b"\x44\x01\x00\x00", b"\x44\xff\x00\x00", b"\x89\x28" + b"\0" * 38,
            b"\x94\x04\x00\x00", b"\x01\x01\x01\x00\x07\x00\x00\x00", b"\xff" * 40, b"\x07\x02",
            b"\x07"]
    for i, o in enumerate(opts):
        w.send(ip_with_options(w, o, bytes(ICMP(id=0x0b, seq=i) / Raw(b"o" * 8))))
    # the options must be skipped, the ping answered
    w.send(ip_with_options(w, b"\x01\x01\x01\x00", bytes(ICMP(id=0x0c, seq=1))))
    f = w.wait(lambda f: ICMP in f and f[ICMP].type == 0 and f[ICMP].id == 0x0c)
    note(f is not None, "ip_options:nops_are_skipped_and_ping_answered")


def a_ip_addrs(w):
    for src in ("0.0.0.0", "255.255.255.255", "10.0.2.255", "224.0.0.1", "239.1.2.3", "240.0.0.1",
                "127.0.0.1", GUEST_IP, "10.0.2.0"):
        w.send(w.ip(src=src) / ICMP(id=0x0d, seq=1))
        w.send(w.ip(src=src) / UDP(sport=7, dport=7) / Raw(b"loop?"))
        w.send(w.ip(src=src) / TCP(sport=7007, dport=7007, flags="S"))
    got = [f for f in w.frames(1.0) if IP in f and f[IP].src == GUEST_IP and f[IP].dst != HOST_IP]
    note(not got, "ip_addrs:no_answer_to_bad_sources", repr([f.summary() for f in got[:3]]))
    for dst in ("10.0.2.99", "127.0.0.1", "224.0.0.1", "0.0.0.0"):
        w.send(w.ip(dst=dst) / ICMP(id=0x0e, seq=2))
    w.send(w.ip(ttl=0) / ICMP(id=0x0f, seq=3))
    f = w.wait(lambda f: ICMP in f and f[ICMP].id in (0x0e, 0x0f), 1.0)
    note(f is None, "ip_addrs:ttl0_and_not_ours_unanswered", f.summary() if f else "")
    w.send(w.ip(ttl=1) / ICMP(id=0x10, seq=3))
    note(w.wait(lambda f: ICMP in f and f[ICMP].id == 0x10 and f[ICMP].type == 0) is not None,
         "ip_addrs:ttl1_answered")


def a_fragments(w):
    # teardrop: second fragment inside the first, short
    for i in range(20):
        ident = 0x100 + i
        w.send(w.ip(id=ident, flags="MF", frag=0, proto=17) / Raw(bytes(UDP(sport=9, dport=7, len=64)) + b"A" * 32))
        w.send(w.ip(id=ident, frag=2, proto=17) / Raw(b"B" * 4))
    # overlapping with different data then a complete one
    data = bytes(UDP(sport=40100, dport=7) / Raw(b"C" * 2000))
    frs = fragment(IP(src=HOST_IP, dst=GUEST_IP, id=0x200, proto=17) / Raw(data), fragsize=800)
    for fr in frs:
        w.send(w.eth() / fr)
    w.send(w.ip(id=0x200, frag=50, flags="MF", proto=17) / Raw(b"Z" * 800))  # overlap after completion
    # tiny fragments: 8 bytes each, a UDP header split
    p = bytes(UDP(sport=40101, dport=7, len=8 + 64) / Raw(b"t" * 64))
    p = p[:6] + b"\0\0" + p[8:]                                  # no checksum
    for off in range(0, len(p), 8):
        w.send(w.ip(id=0x300, proto=17, frag=off // 8, flags="MF" if off + 8 < len(p) else 0) / Raw(p[off:off + 8]))
    r = w.wait(lambda f: UDP in f and f[UDP].dport == 40101, 2)
    note(r is not None and udp_data(r) == b"t" * 64, "frag:tiny_8_byte_fragments_reassembled")
    # huge: ping of death (offset*8 + len > 65535), ends past 8200
    w.send(w.ip(id=0x400, proto=1, frag=8189) / Raw(b"D" * 1000))
    w.send(w.ip(id=0x401, proto=17, frag=1000) / Raw(b"D" * 1000))
    w.send(w.ip(id=0x402, proto=17, frag=0, flags="MF") / Raw(b"D" * 13))      # not a multiple of 8
    # a flood that never completes: many ids and sources
    for i in range(3000):
        src = "10.0.2.%d" % (3 + i % 200) if i % 2 else HOST_IP
        w.send(w.ip(src=src, id=i, proto=17, flags="MF", frag=random.randrange(0, 1000)) / Raw(b"F" * 1000))
    # ICMP / TCP in fragments: not reassembled
    for fr in fragment(IP(src=HOST_IP, dst=GUEST_IP, id=0x500) / ICMP(id=0x11) / Raw(b"I" * 3000), fragsize=1000):
        w.send(w.eth() / fr)
    # reassembly must still work after the flood
    ok = False
    for fr in fragment(IP(src=HOST_IP, dst=GUEST_IP, id=0x600, proto=17) /
                       Raw(bytes(UDP(sport=40102, dport=7) / Raw(b"R" * 3000))), fragsize=1480):
        w.send(w.eth() / fr)
    out = b""
    for f in w.frames(3):
        if IP in f and f[IP].src == GUEST_IP and f[IP].proto == 17:
            out += bytes(f[IP].payload)
    ok = out.endswith(b"R" * 100)
    note(ok, "frag:reassembly_works_after_flood")


def a_link_bcast(w):
    """Our unicast address in frames to the Ethernet broadcast: taken as a
    broadcast, never answered (RFC 1122 3.2.2: no ICMP error for a
    link-layer broadcast). Before the fix each of these drew an answer."""
    time.sleep(1.1)                                             # the unreachable bucket refills
    b = Ether(dst=BCAST, src=HOST_MAC) / IP(src=HOST_IP, dst=GUEST_IP)
    s = random.randrange(20000, 60000)
    w.send(b / UDP(sport=s, dport=31000) / Raw(b"closed"))
    w.send(b / ICMP(id=0x4242))
    w.send(b / TCP(sport=s, dport=7008, flags="S"))
    w.send(b / TCP(sport=s + 1, dport=7007, flags="S"))
    got = [f for f in w.frames(1.5) if IP in f and f[IP].src == GUEST_IP and
           ((ICMP in f and (f[ICMP].type == 3 or f[ICMP].id == 0x4242)) or (TCP in f and f[TCP].dport in (s, s + 1)))]
    note(not got, "link_bcast:our_address_in_ethernet_broadcast_not_answered", repr([f.summary() for f in got]))
    w.send(b / UDP(sport=s, dport=7) / Raw(b"bcast-echo"))       # a bound port still gets it
    r = w.wait(lambda f: UDP in f and f[UDP].dport == s)
    note(r is not None and udp_data(r) == b"bcast-echo", "link_bcast:bound_udp_port_still_gets_it")


def a_edges(w):
    """Boundaries: pings of every short and odd length, an off-subnet
    source, UDP datagrams of 8192 and 8193 bytes in fragments."""
    bad = []
    for n in range(0, 40):
        data = bytes(random.getrandbits(8) for _ in range(n))
        w.send(w.ip() / ICMP(id=0x6000, seq=n) / Raw(data))
        f = w.wait(lambda f: ICMP in f and f[ICMP].type == 0 and f[ICMP].id == 0x6000 and f[ICMP].seq == n)
        if f is None or bytes(f[IP])[28:f[IP].len] != data:
            bad.append(n)
    note(not bad, "edges:pings_of_every_short_length_echo_their_data", "lengths %s" % bad[:8])
    w.send(w.ip(src="8.8.8.8") / ICMP(id=0x6001))
    w.send(w.ip(src="8.8.8.8") / TCP(sport=1, dport=7007, flags="S"))
    w.send(Ether(dst=BCAST, src=HOST_MAC) / ARP(op=1, hwsrc=HOST_MAC, psrc="8.8.8.8", pdst=GUEST_IP))
    got = [f for f in w.frames(1) if (IP in f and f[IP].dst == "8.8.8.8") or (ARP in f and f[ARP].pdst == "8.8.8.8")]
    note(not got, "edges:off_subnet_source_unanswered_without_gateway", repr([f.summary() for f in got]))
    for size, want in ((8192, True), (8193, False)):
        sport = 42000 + size % 100
        body = bytes(random.getrandbits(8) for _ in range(size))
        pkt = IP(src=HOST_IP, dst=GUEST_IP, id=0x6100 + size % 100, proto=17) / UDP(sport=sport, dport=7) / Raw(body)
        pkt = IP(bytes(pkt))                                    # lengths and checksum filled in
        for fr in fragment(pkt, fragsize=1480):
            w.send(w.eth() / fr)
        pieces = {}
        for f in w.frames(3):
            if IP in f and f[IP].src == GUEST_IP and f[IP].proto == 17:
                pieces[f[IP].frag * 8] = bytes(f[IP])[f[IP].ihl * 4:f[IP].len]
        whole = b"".join(pieces[k] for k in sorted(pieces))
        ok = whole[8:] == body if want else not pieces
        note(ok, "edges:udp_%d_bytes_in_fragments_%s" % (size, "echoed" if want else "refused"),
             "%d bytes back" % max(0, len(whole) - 8))


def a_arp(w):
    for i in range(2000):                                       # gratuitous / spoof floods
        ip = "10.0.2.%d" % (3 + i % 250)
        mac = "02:00:00:%02x:%02x:%02x" % (i >> 16 & 255, i >> 8 & 255, i & 255)
        op = 1 if i % 2 else 2
        w.send(Ether(dst=BCAST, src=mac) / ARP(op=op, hwsrc=mac, psrc=ip, pdst=ip if i % 3 else GUEST_IP))
    w.send(Ether(dst=BCAST, src="02:66:66:66:66:66") / ARP(op=2, hwsrc="02:66:66:66:66:66", psrc=GUEST_IP, pdst=GUEST_IP))
    w.send(Ether(dst=BCAST, src="02:66:66:66:66:66") / ARP(op=1, hwsrc="02:66:66:66:66:66", psrc=HOST_IP, pdst="10.0.2.200"))
    for hl, pl, ptype in ((0, 4, 0x800), (6, 0, 0x800), (6, 16, 0x800), (255, 255, 0x800), (6, 4, 0x86dd)):
        w.send(Ether(dst=BCAST, src=HOST_MAC) / ARP(hwlen=hl, plen=pl, ptype=ptype, op=1, psrc=HOST_IP, pdst=GUEST_IP))
    for op in (0, 3, 4, 8, 65535):
        w.send(Ether(dst=BCAST, src=HOST_MAC) / ARP(op=op, hwsrc=HOST_MAC, psrc=HOST_IP, pdst=GUEST_IP))
    w.send(Ether(dst=BCAST, src=HOST_MAC, type=0x806) / Raw(b"\0\x01\x08\x00\x06\x04\0\x01"))  # truncated


def a_icmp(w):
    for t in range(256):
        for code in (0, 1, 255):
            w.send(w.ip() / ICMP(type=t, code=code, id=0x20, seq=t) / Raw(b"i" * (t % 40)))
    for n in range(0, 8):
        w.send(w.ip(proto=1) / Raw((b"\x08\x00" + b"\0" * 6)[:n]) if n else w.ip(proto=1))
    w.send(w.ip() / ICMP(chksum=0xdead, id=0x21))
    w.send(w.ip(dst="10.0.2.255") / ICMP(id=0x22))
    w.send(w.eth() / IP(src=HOST_IP, dst="255.255.255.255") / ICMP(id=0x22))
    w.send(w.ip() / ICMP(id=0x23, seq=1))                       # empty echo
    note(w.wait(lambda f: ICMP in f and f[ICMP].id == 0x23 and f[ICMP].type == 0) is not None,
         "icmp:empty_echo_answered")
    # ICMP errors quoting our own packets (port unreachable, frag needed): must be ignored
    inner = IP(src=GUEST_IP, dst=HOST_IP) / TCP(sport=7007, dport=1234)
    for t, c in ((3, 4), (3, 3), (3, 1), (11, 0), (12, 0), (4, 0), (5, 1)):
        w.send(w.ip() / ICMP(type=t, code=c, nexthopmtu=68) / Raw(bytes(inner)[:28]))


def a_udp(w):
    for ln in (0, 1, 7, 8, 9, 100, 1000, 65535):
        w.send(w.ip() / UDP(sport=40200, dport=7, len=ln) / Raw(b"u" * 20))
    w.send(w.ip() / UDP(sport=40201, dport=7, len=12, chksum=0) / Raw(b"trimXXXXXXXX"))
    r = w.wait(lambda f: UDP in f and f[UDP].dport == 40201)
    note(r is not None and udp_data(r) == b"trim", "udp:short_length_trims")
    p = w.ip() / UDP(sport=40202, dport=7) / Raw(b"nocsum")
    p[UDP].chksum = 0
    w.send(p)
    r = w.wait(lambda f: UDP in f and f[UDP].dport == 40202)
    note(r is not None and udp_data(r) == b"nocsum", "udp:zero_checksum_accepted")
    w.send(w.ip() / UDP(sport=40203, dport=7, chksum=0x1111) / Raw(b"bad"))
    w.send(w.ip() / UDP(sport=40204, dport=0) / Raw(b"port0"))
    w.send(w.ip() / UDP(sport=0, dport=7) / Raw(b"sport0"))
    got = [f for f in w.frames(1) if UDP in f and f[UDP].dport in (0, 40203, 40204)]
    note(not got, "udp:bad_csum_and_port0_unanswered", repr([f.summary() for f in got[:3]]))
    for i in range(200):                                        # closed ports: rate-limited unreachables
        w.send(w.ip() / UDP(sport=40205, dport=30000 + i) / Raw(b"?"))
    n = sum(1 for f in w.frames(1) if ICMP in f and f[ICMP].type == 3)
    note(n <= 25, "udp:port_unreachable_rate_limited", "%d unreachables for 200" % n)


def a_tcp_listen(w):
    s = random.randrange(20000, 60000)
    res = {}
    for name, flags in (("none", ""), ("fin", "F"), ("synfin", "SF"), ("synrst", "SR"), ("xmas", "FSRPAUEC"),
                        ("fpu", "FPU"), ("ack", "A"), ("rst", "R"), ("urg", "U"), ("synack", "SA"), ("psh", "P")):
        s += 1
        w.send(w.ip() / TCP(sport=s, dport=7007, flags=flags, seq=5000, ack=7000))
        fs = [f for f in w.frames(0.5) if TCP in f and f[TCP].dport == s]
        res[name] = [str(f[TCP].flags) + " seq=%d ack=%d" % (f[TCP].seq, f[TCP].ack) for f in fs]
        for f in fs:
            if f[TCP].flags & 2:
                w.send(w.ip() / TCP(sport=s, dport=7007, flags="R", seq=5001))
    print("  listener answers:", res)
    # RFC 9293 3.10.7.2 LISTEN: RST ignored; ACK -> RST seq=SEG.ACK; no SYN/ACK/RST -> drop
    note(res["rst"] == [], "tcp_listen:rst_ignored", str(res["rst"]))
    note(res["ack"] == ["R seq=7000 ack=0"] or (len(res["ack"]) == 1 and res["ack"][0].startswith("R seq=7000")),
         "tcp_listen:ack_gets_rst_at_seg_ack", str(res["ack"]))
    note(res["none"] == [] and res["fin"] == [] and res["fpu"] == [] and res["urg"] == [] and res["psh"] == [],
         "tcp_listen:no_syn_no_ack_dropped", str(res))
    note(res["xmas"] == [] and res["synrst"] == [], "tcp_listen:rst_with_syn_ignored", str(res))
    # closed port: RST (RFC 9293 3.10.7.1)
    w.send(w.ip() / TCP(sport=s + 1, dport=7008, flags="S", seq=100))
    f = w.wait(lambda f: TCP in f and f[TCP].dport == s + 1)
    note(f is not None and f[TCP].flags == "RA" and f[TCP].ack == 101 and f[TCP].seq == 0,
         "tcp_closed:syn_gets_rst_ack", f.summary() if f else "none")


def a_tcp_options(w):
    optsets = {
        "mss0": [("MSS", 0)], "mss1": [("MSS", 1)], "mss64": [("MSS", 64)], "mss65535": [("MSS", 65535)],
        "ws255": [("MSS", 1460), ("WScale", 255)], "ws15": [("WScale", 15)],
        "ts_short": [(8, b"\0\0\0\1")], "sackok_long": [(4, b"\0" * 10)],
        "sack_bad": [(5, b"\0" * 3)], "len0": [(99, b"")], "eol_first": [("EOL", None), ("MSS", 10)],
        "garbage": [(200, b"\xff" * 20)],
    }
    results = {}
    for name, o in optsets.items():
        c = Conn(w, opts=o)
        ok = c.ok and echo_works(c, b"opt-" + name.encode())
        results[name] = ok
        if c.ok:
            c.close()
    # raw option bytes scapy will not build: length 0, length 1, past the header
    for name, raw in (("optlen0", b"\x02\x00\x05\xb4"), ("optlen1", b"\x03\x01\x00\x00"),
                      ("optpast", b"\x02\x04\x05\xb4\x08\x40\x00\x00"), ("optlen0b", b"\x08\x00\x00\x00\x00\x00\x00\x00"),
                      ("wsnolen", b"\x01\x01\x01\x03")):
        s = random.randrange(20000, 60000)
        w.send(tcp_raw(w, s, 7007, "S", 1, 0, raw))
        f = w.wait(lambda f: TCP in f and f[TCP].dport == s, 1)
        results[name] = f is not None
        if f:
            w.send(w.ip() / TCP(sport=s, dport=7007, flags="R", seq=2))
    print("  options:", results)
    # with MSS 1..64 the echo must still work (and in segments no longer than that)
    for name in ("mss0", "mss1", "mss64", "mss65535", "ws255", "ws15"):
        note(results[name], "tcp_opts:%s_connection_echoes" % name)
    # data offset lies
    for off in (0, 1, 4, 15):
        s = random.randrange(20000, 60000)
        w.send(w.ip() / TCP(sport=s, dport=7007, flags="S", dataofs=off))
    # MSS tiny: echo a long message and look at segment sizes
    c = Conn(w, opts=[("MSS", 1)])
    if c.ok:
        c.send(b"M" * 300)
        sizes = []
        out = b""
        end = time.time() + 5
        while len(out) < 300 and time.time() < end:
            f = c.get(1)
            if f is None:
                break
            p = tcp_data(f)
            sizes.append(len(p))
            if p and f[TCP].seq == c.rcv:
                out += p
                c.rcv += len(p)
                c.seg("A")
        note(out == b"M" * 300, "tcp_opts:mss1_echo_300_bytes", "got %d in %d segs max %s" %
             (len(out), len(sizes), max(sizes) if sizes else None))
        c.close()


def a_tcp_established(w):
    c = Conn(w)
    if not c.ok:
        note(False, "tcp_est:open")
        return
    note(echo_works(c, b"first"), "tcp_est:echo")
    # RST out of window: ignored. RST in window not exact: challenge ACK (RFC 5961 3.2)
    c.seg("R", seq=c.snd + 10_000_000, ack=0)
    f = c.get(0.7)
    note(f is None, "tcp_est:rst_out_of_window_ignored", f.summary() if f else "")
    c.seg("R", seq=c.snd + 100, ack=0)
    f = c.get(1)
    note(f is not None and f[TCP].flags == "A" and f[TCP].seq == c.rcv and f[TCP].ack == c.snd, "tcp_est:rst_in_window_challenge_ack",
         fs_([f] if f else []) + " rcv=%d snd=%d" % (c.rcv, c.snd))
    # SYN in a synchronized state: challenge ACK (RFC 5961 4.2), once the
    # 500 ms throttle of answers to refused bare segments (RFC 5961 7) allows
    time.sleep(0.6)
    c.seg("S", seq=c.snd + 5, ack=0)
    f = c.get(1)
    note(f is not None and f[TCP].flags == "A" and f[TCP].seq == c.rcv and f[TCP].ack == c.snd, "tcp_est:syn_challenge_ack",
         fs_([f] if f else []) + " rcv=%d snd=%d" % (c.rcv, c.snd))
    c.seg("SA", seq=c.snd - 1)
    c.all(0.5)                       # (the answers to the SYN-ACK above)
    note(echo_works(c, b"alive1"), "tcp_est:alive_after_rst_syn")
    # ACK for data not yet sent: ACK and drop (RFC 9293); too old: drop (RFC 5961 5.2)
    c.seg("PA", b"NOTME", ack=c.rcv + 100000)
    f = c.get(1)
    note(f is not None and f[TCP].flags & 16 and not tcp_data(f), "tcp_est:ack_of_unsent_gets_ack",
         f.summary() if f else "none")
    # (c.rcv - 1e9 is older than SND.UNA less any window we offered; the
    # 3e9 this used before wraps to 1.3e9 ahead: an ACK of unsent data)
    c.seg("PA", b"OLDACK", ack=(c.rcv - 1_000_000_000) & 0xffffffff)
    fs = c.all(1)
    note(fs and all(not tcp_data(f) and f[TCP].ack == c.snd for f in fs), "tcp_est:too_old_ack_data_dropped",
         fs_(fs) + " " + repr([tcp_data(f) for f in fs]))
    # a flood of in-window RSTs and SYNs and out-of-window bare ACKs:
    # at most one ACK per 500 ms answers them (RFC 5961 7)
    time.sleep(0.6)
    for i in range(200):
        c.seg("R", seq=c.snd + 10 + i, ack=0)
        c.seg("S", seq=c.snd + 20 + i, ack=0)
        c.seg("A", seq=c.snd + 5_000_000 + i)
    fs = c.all(1)
    note(1 <= len(fs) <= 3, "tcp_est:refused_segment_flood_throttled", "%d answers to 600" % len(fs))
    time.sleep(0.6)
    note(echo_works(c, b"alive2"), "tcp_est:alive_after_bad_acks")
    # data outside the window: ACK, nothing delivered
    c.seg("PA", b"FAR", seq=c.snd + 2_000_000)
    c.seg("PA", b"OLD", seq=c.snd - 100)
    fs = c.all(1)
    note(fs and all(f[TCP].ack == c.snd and not tcp_data(f) for f in fs),
         "tcp_est:out_of_window_data_acked_only", fs_(fs) + " rcv=%d snd=%d" % (c.rcv, c.snd))
    # overlapping retransmission with different data: the first copy wins
    base = c.snd
    c.seg("PA", b"AAAA", seq=base)
    c.seg("PA", b"BBBBCCCC", seq=base)
    c.snd = base + 8
    got = c.collect(8)
    note(got == b"AAAACCCC", "tcp_est:overlap_first_copy_wins", repr(got))
    # out of order hole filled by overlapping segment with different bytes
    base = c.snd
    c.seg("PA", b"3333", seq=base + 8)
    c.seg("PA", b"1111", seq=base)
    c.seg("PA", b"22XXXXXX", seq=base + 4)
    c.snd = base + 12
    got = c.collect(12)
    note(len(got) == 12 and got[:4] == b"1111", "tcp_est:ooo_overlap", repr(got))
    # urgent pointer: data still in line
    c.seg("PAU", b"URGENT", urg=3)
    c.snd += 6
    note(c.collect(6) == b"URGENT", "tcp_est:urgent_data_inline")
    c.seg("PAU", b"URG2", urg=65535)
    c.snd += 4
    note(c.collect(4) == b"URG2", "tcp_est:urgent_pointer_past_data")
    # garbage options on established segments
    for raw in (b"\x08\x0a" + b"\0" * 8, b"\x05\x02", b"\x05\x0a\0\0\0\0\0\0\0\0", b"\x03\x03\x0e\x00",
                b"\x02\x04\0\0", b"\x00\x00\x00\x00", b"\x01\x01\x01\x01", b"\xfe\x00\x00\x00", b"\x08\xff\x00\x00"):
        w.send(tcp_raw(w, c.sport, 7007, "PA", c.snd, c.rcv, raw, b"opt!"))
        c.snd += 4
        got = c.collect(4, 2)
        if got != b"opt!":
            note(False, "tcp_est:garbage_option_" + raw.hex(), repr(got))
            c.snd -= 4 if not got else 0
    note(echo_works(c, b"alive3"), "tcp_est:alive_after_options")
    # flags combos in ESTABLISHED
    for fl in ("", "F" + "S", "FSRPAUEC", "U", "P"):
        c.seg(fl, seq=c.snd + 1000)
    c.all(0.5)
    note(echo_works(c, b"alive4"), "tcp_est:alive_after_flag_combos")
    # bad checksum
    p = c.w.ip() / TCP(sport=c.sport, dport=7007, flags="PA", seq=c.snd, ack=c.rcv, chksum=0x1) / Raw(b"csum")
    w.send(p)
    f = c.get(0.7)
    note(f is None or not tcp_data(f), "tcp_est:bad_checksum_dropped")
    # zero window from us: guest must hold the echo, probe, and send once we open
    c.send(b"Z" * 100, win=0)
    fs = c.all(1.5)
    data_sent = [f for f in fs if len(tcp_data(f)) > 1]
    note(not data_sent, "tcp_est:respects_zero_window", repr([f.summary() for f in data_sent]))
    probes = [f for f in c.all(4) if TCP in f]
    note(len(probes) >= 1, "tcp_est:persist_probes_sent", "%d probes in 4 s" % len(probes))
    c.seg("A", win=65535)
    got = c.collect(100, 5)
    note(got == b"Z" * 100, "tcp_est:window_reopened_data_flows", "%d bytes" % len(got))
    # data with FIN then more data after FIN
    c.seg("FA", b"END", seq=c.snd)
    c.snd += 4
    got = c.collect(3)
    c.seg("PA", b"after-fin", seq=c.snd)
    fs = c.all(1)
    print("  after FIN: echoed %r, then %s" % (got, fs_(fs)))
    c.close()


def a_syn_flood(w):
    for i in range(3000):
        w.send(w.ip(src="10.0.2.%d" % (3 + i % 200)) / TCP(sport=RandShort(), dport=7007, flags="S", seq=i))
    w.drain(1)
    c = Conn(w)
    note(c.ok and echo_works(c, b"after-flood"), "tcp_synflood:real_client_served")
    if c.ok:
        c.close()


def a_fuzz(w, n=4000):
    layers = [lambda: w.ip() / fuzz(TCP(dport=7007)), lambda: w.ip() / fuzz(UDP(dport=7)) / Raw(b"f" * 8),
              lambda: w.ip() / fuzz(ICMP()), lambda: w.eth() / fuzz(IP(dst=GUEST_IP, src=HOST_IP)),
              lambda: w.eth() / fuzz(IP(dst=GUEST_IP, src=HOST_IP) / TCP(dport=7007)),
              lambda: Ether(dst=BCAST, src=HOST_MAC) / fuzz(ARP(pdst=GUEST_IP)),
              lambda: w.ip(proto=6) / Raw(bytes(random.getrandbits(8) for _ in range(random.randrange(60)))),
              lambda: ip_with_options(w, bytes(random.getrandbits(8) for _ in range(random.randrange(41))),
                                      bytes(fuzz(UDP(dport=7))), proto=17)]
    for i in range(n):
        try:
            w.send(random.choice(layers)())
        except Exception as e:          # scapy cannot build some fuzzed values
            print("  (could not build: %s)" % e)
        if i % 500 == 499:
            w.drain(0.05)


def a_tcp_more(w):
    # sequence numbers wrapping 2^32 in both directions
    c = Conn(w)                      # a connection to reuse as the driver of hand-made ones
    if not c.ok:
        note(False, "tcp_more:open")
        return
    c.close()
    w.drain(0.2)
    s = random.randrange(20000, 60000)
    iss = 0xffffff00
    w.send(w.ip() / TCP(sport=s, dport=7007, flags="S", seq=iss, options=[("MSS", 1460)]))
    f = w.wait(lambda f: TCP in f and f[TCP].dport == s)
    if f is not None:
        c.sport, c.snd, c.rcv = s, (iss + 1) & 0xffffffff, (f[TCP].seq + 1) & 0xffffffff
        c.seg("A")
        data = bytes(range(256)) * 2
        c.send(data[:300])
        c.send(data[300:])
        note(c.collect(512) == data, "tcp_more:sequence_wrap_echo")
        c.close()
    # SYN carrying data (and FIN): the data must not be lost nor delivered twice
    s = random.randrange(20000, 60000)
    w.send(w.ip() / TCP(sport=s, dport=7007, flags="S", seq=5000, options=[("MSS", 1460)]) / Raw(b"syndata"))
    f = w.wait(lambda f: TCP in f and f[TCP].dport == s)
    if f is not None and f[TCP].flags == "SA":
        c.sport, c.rcv = s, (f[TCP].seq + 1) & 0xffffffff
        c.snd = f[TCP].ack
        c.seg("A")
        c.send(b"after")
        got = c.collect(12, 2)
        note(got in (b"after", b"syndataafter"), "tcp_more:syn_data_not_misplaced", repr(got) + " ack=%d" % (f[TCP].ack - 5000))
        c.close()
    # timestamps: PAWS drops an old TSval; TSval 0 and 2^31 jumps
    c = Conn(w, opts=[("MSS", 1460), ("Timestamp", (1000, 0)), ("WScale", 7)])
    if c.ok:
        ts = lambda v: [("NOP", None), ("NOP", None), ("Timestamp", (v, 1))]
        c.seg("PA", b"ts1", opts=ts(2000))
        c.snd += 3
        got = c.collect(3)
        c.seg("PA", b"old", opts=ts(1500))                         # older: PAWS drop, ACK
        f = c.get(1)
        c.seg("PA", b"ts2", opts=ts(2000 + (1 << 31) - 1))
        c.snd += 3
        got2 = c.collect(3)
        note(got == b"ts1" and got2 == b"ts2", "tcp_more:timestamps_paws", repr((got, got2, fs_([f] if f else []))))
        c.close()
    # an ACK flood with forged cookies at the listener
    for i in range(500):
        w.send(w.ip() / TCP(sport=RandShort(), dport=7007, flags="A", seq=random.getrandbits(32),
                            ack=random.getrandbits(32)))
    w.drain(0.5)
    # many connections that never read their echo: buffers and the budget stay bounded
    conns = [Conn(w) for _ in range(40)]
    opened = sum(1 for c in conns if c.ok)
    for c in conns:
        if c.ok:
            c.send(b"W" * 1400, win=1400)
    w.drain(1)
    c = Conn(w)
    print("  %d of 40 stuck connections opened; a new one %s" % (opened, "opened" if c.ok else "refused"))
    for c2 in conns:
        if c2.ok:
            c2.close()
    w.drain(0.5)
    c = Conn(w)
    note(c.ok and echo_works(c, b"after-stuck"), "tcp_more:served_after_stuck_connections_reset")
    if c.ok:
        c.close()


def a_tcp_sizes(w):
    """A peer MSS of 65535 and window scale 14: the guest's segments must
    still fit one frame; TCP under IP options must work."""
    c = Conn(w, opts=[("MSS", 65535), ("WScale", 14), ("SAckOK", b""), ("Timestamp", (1, 0))])
    if c.ok:
        data = bytes(random.getrandbits(8) for _ in range(20000))
        for i in range(0, len(data), 1400):
            c.send(data[i:i + 1400], opts=[("NOP", None), ("NOP", None), ("Timestamp", (2 + i, 1))], win=65535)
        out, biggest = b"", 0
        end = time.time() + 10
        while len(out) < len(data) and time.time() < end:
            f = c.get(1)
            if f is None:
                c.seg("A", opts=[("NOP", None), ("NOP", None), ("Timestamp", (90000, 1))])
                continue
            biggest = max(biggest, f[IP].len)
            p = tcp_data(f)
            if p and f[TCP].seq == c.rcv:
                out += p
                c.rcv = (c.rcv + len(p)) & 0xffffffff
                c.seg("A", opts=[("NOP", None), ("NOP", None), ("Timestamp", (90000, 1))])
        note(out == data and biggest <= 1500, "tcp_sizes:mss65535_ws14_echo_fits_frames",
             "%d of %d bytes, largest IP packet %d" % (len(out), len(data), biggest))
        c.close()
    # a handshake and echo whose every segment carries IP options
    s = random.randrange(20000, 60000)
    nops = b"\x01" * 40

    def tcp_opts_ip(flags, seq, ack, data=b""):
        seg = bytes(IP(src=HOST_IP, dst=GUEST_IP) / TCP(sport=s, dport=7007, flags=flags, seq=seq, ack=ack,
                                                        window=65535) / Raw(data))[20:]
        return ip_with_options(w, nops, seg, proto=6)
    w.send(tcp_opts_ip("S", 100, 0))
    f = w.wait(lambda f: TCP in f and f[TCP].dport == s)
    ok = False
    if f is not None and f[TCP].flags == "SA":
        irs = f[TCP].seq + 1
        w.send(tcp_opts_ip("A", 101, irs))
        w.send(tcp_opts_ip("PA", 101, irs, b"ip-options"))
        f = w.wait(lambda f: TCP in f and f[TCP].dport == s and tcp_data(f))
        ok = f is not None and tcp_data(f) == b"ip-options"
        w.send(w.ip() / TCP(sport=s, dport=7007, flags="R", seq=111))
    note(ok, "tcp_sizes:tcp_under_ip_options_echoes")


def a_tcp_synrcvd(w):
    """A half-open connection (SYN-RECEIVED) against RST, bad ACKs and data."""
    def half_open():
        s = random.randrange(20000, 60000)
        w.send(w.ip() / TCP(sport=s, dport=7007, flags="S", seq=9000, options=[("MSS", 1460)]))
        f = w.wait(lambda f: TCP in f and f[TCP].dport == s)
        if f is None or f[TCP].flags != "SA":
            print("  half-open %d: SYN answered by %s" % (s, fs_([f] if f else [])))
            return s, None
        return s, (f[TCP].seq + 1) & 0xffffffff

    def answers(s, secs=0.7):
        return [f for f in w.frames(secs) if TCP in f and f[TCP].dport == s and not f[TCP].flags.S]

    s, irs = half_open()
    if irs is None:
        note(False, "tcp_synrcvd:open")
        return
    # an ACK that acknowledges something never sent: RST with seq = SEG.ACK (RFC 9293 3.10.7.4)
    w.send(w.ip() / TCP(sport=s, dport=7007, flags="A", seq=9001, ack=irs + 1000))
    fs = answers(s)
    note(len(fs) == 1 and fs[0][TCP].flags == "R" and fs[0][TCP].seq == (irs + 1000) & 0xffffffff,
         "tcp_synrcvd:bad_ack_gets_rst", fs_(fs))
    # a RST in the window but not at RCV.NXT: challenge ACK, the child stays (RFC 5961 3.2)
    w.send(w.ip() / TCP(sport=s, dport=7007, flags="R", seq=9001 + 50))
    fs = answers(s)
    note(len(fs) == 1 and fs[0][TCP].flags == "A", "tcp_synrcvd:rst_in_window_challenge_ack", fs_(fs))
    # the handshake still completes, with data on the ACK
    w.send(w.ip() / TCP(sport=s, dport=7007, flags="PA", seq=9001, ack=irs) / Raw(b"hs-data"))
    segs = {}
    for f in w.frames(2):                  # (the unacknowledged echo comes again after the RTO)
        if TCP in f and f[TCP].dport == s and tcp_data(f):
            segs[f[TCP].seq] = tcp_data(f)
    out = b"".join(segs[k] for k in sorted(segs))
    note(out == b"hs-data", "tcp_synrcvd:handshake_ack_with_data_echoes", repr(out))
    w.send(w.ip() / TCP(sport=s, dport=7007, flags="R", seq=9008))
    # a RST exactly at RCV.NXT ends the half-open child: the final ACK then meets a RST
    s, irs = half_open()
    if irs is not None:
        w.send(w.ip() / TCP(sport=s, dport=7007, flags="R", seq=9001))
        w.drain(0.3)
        w.send(w.ip() / TCP(sport=s, dport=7007, flags="A", seq=9001, ack=irs))
        fs = answers(s)
        note(len(fs) == 1 and fs[0][TCP].flags.R, "tcp_synrcvd:exact_rst_ends_child", fs_(fs))
    # a second, different SYN on a half-open child: challenge ACK or SYN-ACK again, never a second child
    s, irs = half_open()
    if irs is not None:
        w.send(w.ip() / TCP(sport=s, dport=7007, flags="S", seq=123456, options=[("MSS", 1460)]))
        fs = [f for f in w.frames(0.7) if TCP in f and f[TCP].dport == s]
        print("  second SYN on a half-open child:", fs_(fs))
    else:
        print("  no SYN-ACK for another half-open child")
        w.send(w.ip() / TCP(sport=s, dport=7007, flags="R", seq=9001))


def a_tcp_zero_window(w):
    """We advertise no window and keep sending: the echo's send buffer
    fills, it stops reading, and the guest's own window closes. Probes
    and data past its window must be ACKed with the window it has (RFC
    9293 3.10.7.4: an ACK, nothing taken), and everything must arrive in
    order once we open."""
    c = Conn(w, win=0)
    if not c.ok:
        note(False, "tcp_zero_window:open")
        return
    stream = bytes(random.getrandbits(8) for _ in range(200000))
    start = c.snd
    wnd = 65535
    for i in range(200):                      # each chunk from where the guest's ACK says it is
        off = (c.snd - start) & 0xffffffff
        c.seg("PA", stream[off:off + 1000], win=0)
        f = c.get(0.5)
        if f is None:
            break
        wnd = f[TCP].window
        if 0 < (f[TCP].ack - c.snd) & 0xffffffff <= 1000:
            c.snd = f[TCP].ack
        if wnd == 0:
            break
    sent = stream[:(c.snd - start) & 0xffffffff]
    print("  %d bytes taken before the guest's window closed (window now %d)" % (len(sent), wnd))
    # a one-byte probe past the closed window, and a segment far out: ACK at RCV.NXT
    c.seg("PA", b"P", win=0)
    fs = c.all(0.7)
    note(fs and all(f[TCP].ack == c.snd for f in fs), "tcp_zero_window:probe_acked_not_taken",
         fs_(fs) + " snd=%d" % c.snd)
    c.seg("A", win=65535)
    out = b""
    end = time.time() + 30
    while len(out) < len(sent) and time.time() < end:
        f = c.get(2)
        if f is None:
            c.seg("A", win=65535)
            continue
        p = tcp_data(f)
        if p and f[TCP].seq == c.rcv:
            out += p
            c.rcv = (c.rcv + len(p)) & 0xffffffff
            c.seg("A", win=65535)
    first = next((i for i in range(min(len(out), len(sent))) if out[i] != sent[i]), None)
    note(out == sent, "tcp_zero_window:all_data_in_order_after_open",
         "%d of %d bytes, first difference at %s" % (len(out), len(sent), first))
    c.close()


def a_tcp_fuzz(w, n=1500):
    """Random segments inside one live connection: random flags, sequence
    and acknowledgment numbers near the right ones, option bytes, data,
    windows and urgent pointers; then the connection or a new one must work."""
    c = Conn(w)
    if not c.ok:
        note(False, "tcp_fuzz:open")
        return
    for i in range(n):
        fl = "".join(ch for ch in "FSRPAUEC" if random.random() < 0.3)
        seq = c.snd + random.choice([0, 0, 1, -1, random.randrange(-70000, 70000), random.getrandbits(32)])
        ack = c.rcv + random.choice([0, 0, 1, -1, random.randrange(-70000, 70000), random.getrandbits(32)])
        opts = bytes(random.getrandbits(8) for _ in range(random.choice([0, 0, 1, 2, 3, 4, 10, 20, 40])))
        data = bytes(random.getrandbits(8) for _ in range(random.choice([0, 0, 1, 10, 100, 1000])))
        w.send(tcp_raw(w, c.sport, 7007, fl, seq, ack, opts[:40], data, win=random.choice([0, 1, 65535, random.getrandbits(16)])))
        if i % 100 == 99:
            w.drain(0.05)
    w.drain(1)
    c.close()
    c = Conn(w)
    note(c.ok and echo_works(c, b"after-fuzz"), "tcp_fuzz:new_connection_echoes")
    if c.ok:
        c.close()


def a_frag_fuzz(w, rounds=300):
    """Random fragments of UDP echo requests — pieces, duplicates, overlaps,
    garbage copies, lies about MF — then each datagram whole. Whatever the
    echo sends back must be exactly a datagram we sent."""
    bodies, bad, good = {}, [], 0

    def check(f):
        nonlocal good
        if UDP in f and f[IP].src == GUEST_IP and f[IP].frag == 0 and not f[IP].flags.MF and f[UDP].dport in bodies:
            if udp_data(f) == bodies[f[UDP].dport]:
                good += 1
            else:
                bad.append(f[UDP].dport)

    for r in range(rounds):
        sport = 41000 + r
        body = bytes(random.getrandbits(8) for _ in range(random.randrange(16, 1400)))
        bodies[sport] = body
        dgram = bytes(IP(src=HOST_IP, dst=GUEST_IP) / UDP(sport=sport, dport=7) / Raw(body))[20:]
        ident = 0x7000 + r
        for _ in range(random.randrange(1, 8)):
            off = random.randrange(0, len(dgram) // 8 + 1) * 8
            ln = random.choice([8, 16, 64, 512, 1480, random.randrange(1, 1480)])
            piece = dgram[off:off + ln]
            if random.random() < 0.2:
                piece = bytes(random.getrandbits(8) for _ in piece)
            mf = 0 if off + len(piece) >= len(dgram) else 1
            if random.random() < 0.1:
                mf ^= 1
            if piece:
                w.send(w.ip(id=ident, proto=17, frag=off // 8, flags=mf) / Raw(piece))
        for off in range(0, len(dgram), 512):
            piece = dgram[off:off + 512]
            w.send(w.ip(id=ident, proto=17, frag=off // 8, flags=1 if off + 512 < len(dgram) else 0) / Raw(piece))
        for f in w.frames(0.05):
            check(f)
    for f in w.frames(1):
        check(f)
    print("  frag fuzz: %d correct echoes of %d datagrams" % (good, rounds))
    note(not bad, "frag_fuzz:every_echo_is_a_datagram_sent", "wrong echo on ports %s" % bad[:5])


ATTACKS = [("ether", a_ether), ("ip_header", a_ip_header), ("ip_options", a_ip_options), ("ip_addrs", a_ip_addrs),
           ("fragments", a_fragments), ("link_bcast", a_link_bcast), ("edges", a_edges), ("arp", a_arp), ("icmp", a_icmp), ("udp", a_udp),
           ("tcp_listen", a_tcp_listen), ("tcp_options", a_tcp_options), ("tcp_established", a_tcp_established),
           ("syn_flood", a_syn_flood), ("tcp_more", a_tcp_more), ("tcp_sizes", a_tcp_sizes), ("tcp_synrcvd", a_tcp_synrcvd), ("tcp_zero_window", a_tcp_zero_window), ("tcp_fuzz", a_tcp_fuzz),
           ("frag_fuzz", a_frag_fuzz), ("fuzz", a_fuzz)]


def main():
    args = sys.argv[1:]
    seed, only = int(time.time()) % 100000, None
    if "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        del args[i:i + 2]
    if "--only" in args:
        i = args.index("--only")
        only = args[i + 1].split(",")
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__)
        return 2
    random.seed(seed)
    print("seed %d" % seed)
    w = Wire(int(args[0]), int(args[1]))
    end = time.time() + 120
    while not arp_ok(w):
        if time.time() > end:
            print("FAIL no ARP answer from the guest")
            return 1
    before = stats(w) or {}
    for name, fn in ATTACKS:
        if only and name not in only:
            continue
        print("== " + name, flush=True)
        t0 = time.time()
        fn(w)
        w.drain(0.5)
        healthy(w, name)
        after = stats(w) or {}
        moved = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
        print("  %.1f s; counters moved: %s" % (time.time() - t0, " ".join("%s+%d" % kv for kv in sorted(moved.items()))))
        before = after
    print("failures: %d %s" % (len(failures), " ".join(failures)))
    return min(len(failures), 100)


if __name__ == "__main__":
    sys.exit(main())
