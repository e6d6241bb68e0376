#!/usr/bin/env python3
"""mkmmdb.py: a MaxMind DB (.mmdb) file from a JSON description, for the
geolocation tests (libcs/geo.c).  Python 3's standard library only: no
writer is packaged in Debian 12.  Written from MaxMind's published
specification, "MaxMind DB File Format Specification" version 2.0
(github.com/maxmind/MaxMind-DB, MaxMind-DB-spec.md).

    mkmmdb.py SPEC.json OUT.mmdb     write the database
    mkmmdb.py --expect SPEC.json     print what a reader must find: for
                                     the first and last address of each
                                     network, each leaf of its record as
                                     ADDR<TAB>PATH<TAB>VALUE, PATH the
                                     keys joined by spaces and VALUE as
                                     mmdblookup(1) prints it

SPEC.json:

    {"database_type": "CS-Test-City", "ip_version": 6, "record_size": 28,
     "languages": ["en"], "description": {"en": "..."},
     "build_epoch": 1764720000,
     "networks": [{"network": "81.2.69.0/24", "data": {...}}, ...]}

ip_version 6 puts IPv4 networks at ::a.b.c.d (::/96), as the
specification says; no alias of ::ffff:0:0/96 or 2002::/16 is made.
record_size is 24, 28 or 32.  A more specific network inside another
takes its addresses.  Data: a JSON string is a utf8_string, true/false a
boolean, an integer a uint32 (uint64 above 2**32-1, int32 below 0), a
number with a fraction a double, an object a map, a list an array.  A
string (a key or a value) met a second time is a pointer to the first.
"""
import ipaddress
import json
import struct
import sys

METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"

# Type numbers of the specification's "Output Data Section".
T_POINTER, T_UTF8, T_DOUBLE, T_BYTES = 1, 2, 3, 4
T_UINT16, T_UINT32, T_MAP, T_INT32 = 5, 6, 7, 8
T_UINT64, T_UINT128, T_ARRAY, T_BOOLEAN = 9, 10, 11, 14


class Typed:
    """A value with its type given, for the metadata's uint16s."""

    def __init__(self, t, v):
        self.t, self.v = t, v


class Writer:
    """A data section: values appended, strings met again as pointers."""

    def __init__(self, pointers=True):
        self.buf = bytearray()
        self.strings = {}
        self.pointers = pointers

    def control(self, t, size):
        if size < 29:
            first, extra = size, b""
        elif size < 29 + 256:
            first, extra = 29, bytes([size - 29])
        elif size < 285 + 65536:
            first, extra = 30, (size - 285).to_bytes(2, "big")
        elif size < 65821 + (1 << 24):
            first, extra = 31, (size - 65821).to_bytes(3, "big")
        else:
            raise ValueError("a field too long for the format")
        if t <= 7:
            self.buf += bytes([t << 5 | first])
        else:
            # Extended: type 0 in the control byte, type - 7 after it.
            self.buf += bytes([first, t - 7])
        self.buf += extra

    def pointer(self, off):
        if off < 2048:
            self.buf += bytes([T_POINTER << 5 | 0 << 3 | off >> 8, off & 0xFF])
        elif off < 2048 + (1 << 19):
            v = off - 2048
            self.buf += bytes([T_POINTER << 5 | 1 << 3 | v >> 16])
            self.buf += (v & 0xFFFF).to_bytes(2, "big")
        elif off < 526336 + (1 << 27):
            v = off - 526336
            self.buf += bytes([T_POINTER << 5 | 2 << 3 | v >> 24])
            self.buf += (v & 0xFFFFFF).to_bytes(3, "big")
        else:
            self.buf += bytes([T_POINTER << 5 | 3 << 3])
            self.buf += off.to_bytes(4, "big")

    def uint(self, t, v, nbytes):
        if v < 0 or v >= 1 << (8 * nbytes):
            raise ValueError("%d does not fit type %d" % (v, t))
        b = v.to_bytes(nbytes, "big").lstrip(b"\0")
        self.control(t, len(b))
        self.buf += b

    def value(self, v):
        """Append v; return its offset."""
        off = len(self.buf)
        if isinstance(v, Typed):
            if v.t == T_UINT16:
                self.uint(T_UINT16, v.v, 2)
            elif v.t == T_UINT32:
                self.uint(T_UINT32, v.v, 4)
            elif v.t == T_UINT64:
                self.uint(T_UINT64, v.v, 8)
            elif v.t == T_UINT128:
                self.uint(T_UINT128, v.v, 16)
            else:
                raise ValueError("no such typed value")
        elif isinstance(v, bool):
            self.control(T_BOOLEAN, 1 if v else 0)
        elif isinstance(v, int):
            if v < 0:
                if v < -(1 << 31):
                    raise ValueError("%d does not fit an int32" % v)
                self.control(T_INT32, 4)
                self.buf += struct.pack(">i", v)
            elif v < 1 << 32:
                self.uint(T_UINT32, v, 4)
            else:
                self.uint(T_UINT64, v, 8)
        elif isinstance(v, float):
            self.control(T_DOUBLE, 8)
            self.buf += struct.pack(">d", v)
        elif isinstance(v, str):
            b = v.encode("utf-8")
            if self.pointers and b in self.strings:
                self.pointer(self.strings[b])
            else:
                self.control(T_UTF8, len(b))
                self.buf += b
                self.strings.setdefault(b, off)
        elif isinstance(v, bytes):
            self.control(T_BYTES, len(v))
            self.buf += v
        elif isinstance(v, dict):
            self.control(T_MAP, len(v))
            for k, x in v.items():
                self.value(str(k))
                self.value(x)
        elif isinstance(v, list):
            self.control(T_ARRAY, len(v))
            for x in v:
                self.value(x)
        else:
            raise ValueError("cannot store %r" % (v,))
        return off


class Node:
    __slots__ = ("rec", "num")

    def __init__(self, left=None, right=None):
        self.rec = [left, right]   # None, a Node, or ("data", index)
        self.num = None


def net_bits(net, ip_version):
    """The network's prefix as (integer, bit count) in the tree's space."""
    if ip_version == 4:
        if net.version != 4:
            raise ValueError("%s in an IPv4 database" % net)
        return int(net.network_address), net.prefixlen, 32
    if net.version == 4:
        return int(net.network_address), 96 + net.prefixlen, 128
    return int(net.network_address), net.prefixlen, 128


def build_tree(networks, ip_version):
    root = Node()
    # The less specific first: a more specific one splits what it is in.
    order = sorted(range(len(networks)), key=lambda i: networks[i][0].prefixlen
                   + (96 if networks[i][0].version == 4 and ip_version == 6 else 0))
    for i in order:
        addr, plen, width = net_bits(networks[i][0], ip_version)
        if plen == 0:
            raise ValueError("a network of the whole space is not supported")
        node = root
        for depth in range(plen):
            bit = addr >> (width - 1 - depth) & 1
            if depth == plen - 1:
                node.rec[bit] = ("data", i)
                break
            nxt = node.rec[bit]
            if not isinstance(nxt, Node):
                # Empty, or data of a less specific network: a node whose
                # both records hold what was there.
                nxt = Node(nxt, nxt)
                node.rec[bit] = nxt
            node = nxt
    nodes = []
    stack = [root]
    while stack:                       # numbered depth first, root 0
        n = stack.pop()
        n.num = len(nodes)
        nodes.append(n)
        for r in reversed(n.rec):
            if isinstance(r, Node):
                stack.append(r)
    return nodes


def write_tree(nodes, record_size, data_offsets):
    count = len(nodes)
    out = bytearray()

    def rec_value(r):
        if r is None:
            return count
        if isinstance(r, Node):
            return r.num
        return count + 16 + data_offsets[r[1]]

    limit = 1 << record_size
    for n in nodes:
        left, right = (rec_value(r) for r in n.rec)
        if left >= limit or right >= limit:
            raise ValueError("record_size %d is too small" % record_size)
        if record_size == 24:
            out += left.to_bytes(3, "big") + right.to_bytes(3, "big")
        elif record_size == 28:
            out += (left & 0xFFFFFF).to_bytes(3, "big")
            out += bytes([(left >> 24 & 0xF) << 4 | (right >> 24 & 0xF)])
            out += (right & 0xFFFFFF).to_bytes(3, "big")
        elif record_size == 32:
            out += left.to_bytes(4, "big") + right.to_bytes(4, "big")
        else:
            raise ValueError("record_size is 24, 28 or 32")
    return out


def load_spec(path):
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    networks = [(ipaddress.ip_network(n["network"]), n["data"])
                for n in spec["networks"]]
    return spec, networks


def make(spec, networks):
    ip_version = spec.get("ip_version", 6)
    record_size = spec.get("record_size", 28)
    data = Writer()
    offsets = [data.value(d) for _, d in networks]
    nodes = build_tree(networks, ip_version)
    tree = write_tree(nodes, record_size, offsets)
    meta = Writer(pointers=False)
    m = {
        "binary_format_major_version": Typed(T_UINT16, 2),
        "binary_format_minor_version": Typed(T_UINT16, 0),
        "build_epoch": Typed(T_UINT64, spec.get("build_epoch", 0)),
        "database_type": spec["database_type"],
        "description": spec.get("description", {}),
        "ip_version": Typed(T_UINT16, ip_version),
        "languages": spec.get("languages", []),
        "node_count": Typed(T_UINT32, len(nodes)),
        "record_size": Typed(T_UINT16, record_size),
    }
    meta.value(m)
    return bytes(tree) + b"\0" * 16 + bytes(data.buf) + METADATA_MARKER + \
        bytes(meta.buf)


def lookup_text(v):
    """A scalar as mmdblookup(1) prints it."""
    if isinstance(v, bool):
        return "%s <boolean>" % ("true" if v else "false")
    if isinstance(v, int):
        if v < 0:
            return "%d <int32>" % v
        return "%d <%s>" % (v, "uint32" if v < 1 << 32 else "uint64")
    if isinstance(v, str):
        return '"%s" <utf8_string>' % v
    if isinstance(v, float):
        return "%f <double>" % v
    raise ValueError("no text for %r" % (v,))


def leaves(v, path):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from leaves(x, path + [str(k)])
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from leaves(x, path + [str(i)])
    else:
        yield path, v


def expect(spec, networks):
    ip_version = spec.get("ip_version", 6)

    def owner(a):
        best = None
        for net, d in networks:
            if a.version == net.version and a in net and \
                    (best is None or net.prefixlen > best[0].prefixlen):
                best = (net, d)
        return best

    for net, _ in networks:
        for a in (net.network_address, net.broadcast_address):
            if ip_version == 4 and a.version == 6:
                continue
            _, d = owner(a)
            for path, v in leaves(d, []):
                print("%s\t%s\t%s" % (a, " ".join(path), lookup_text(v)))


def main(argv):
    if len(argv) == 3 and argv[1] == "--expect":
        expect(*load_spec(argv[2]))
        return 0
    if len(argv) != 3:
        sys.stderr.write("usage: mkmmdb.py SPEC.json OUT.mmdb\n"
                         "       mkmmdb.py --expect SPEC.json\n")
        return 64
    out = make(*load_spec(argv[1]))
    tmp = argv[2] + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    import os
    os.replace(tmp, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
