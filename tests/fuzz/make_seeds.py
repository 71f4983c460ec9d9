#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/.

The DNS seeds are real queries built byte by byte (RFC 1035 4.1, EDNS0 from
RFC 6891), the profile seeds are the shipped profiles, policies and the bad
fixtures, the egress seeds typical `network.allow` entries. Run it again
after adding a seed here; files found by fuzzing are committed as they are
and are not touched by this script (their names start with "found-").
"""
import pathlib
import shutil
import struct

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CORPUS = HERE / "corpus"

A, AAAA, TXT, MX, ANY, OPT = 1, 28, 16, 15, 255, 41
IN, CH = 1, 3


def name(text):
    out = b""
    for label in text.rstrip(".").split(".") if text not in ("", ".") else []:
        raw = label.encode()
        out += struct.pack("B", len(raw)) + raw
    return out + b"\0"


def header(qid, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar)


def query(qname, qtype=A, qclass=IN, qid=0x1234, flags=0x0100):
    return header(qid, flags) + name(qname) + struct.pack(">HH", qtype, qclass)


def edns_query(qname, qtype=A, payload=1232):
    opt = b"\0" + struct.pack(">HHIH", OPT, payload, 0, 0)
    return header(0x4242, ar=1) + name(qname) + struct.pack(">HH", qtype, IN) + opt


def tcp(*messages):
    return b"".join(struct.pack(">H", len(m)) + m for m in messages)


DNS_SEEDS = {
    "a-allowed": query("api.test"),
    "aaaa-allowed": query("api.test", AAAA),
    "a-wildcard": query("registry.example.org"),
    "a-wildcard-mixed-case": query("ReGiStRy.ExAmPlE.oRg.", qid=0xbeef),
    "a-bare-suffix": query("example.org"),
    "aaaa-pinned": query("pinned.test", AAAA),
    "a-denied": query("exfil-c2VjcmV0.attacker.example"),
    "txt-allowed": query("api.test", TXT),
    "mx-denied": query("example.com", MX),
    "any-allowed": query("api.test", ANY),
    "class-chaos": query("version.bind", TXT, CH),
    "edns": edns_query("api.test", AAAA),
    "root": query("."),
    "no-recursion": query("api.test", flags=0x0000),
    "response": query("api.test", flags=0x8180),
    "opcode-status": query("api.test", flags=0x1000),
    "two-questions": header(7, qd=2) + name("api.test") + struct.pack(">HH", A, IN) * 2,
    "no-question": header(8, qd=0),
    "compressed-pointer": header(9, qd=1) + b"\xc0\x0c" + struct.pack(">HH", A, IN),
    "pointer-loop": header(10, qd=1) + b"\x03api\xc0\x0c" + struct.pack(">HH", A, IN),
    "label-with-dot": header(11) + b"\x08api.test\0" + struct.pack(">HH", A, IN),
    "long-label": header(12) + b"\x3f" + b"a" * 63 + b"\x04test\0" + struct.pack(">HH", A, IN),
    "truncated-question": header(13) + b"\x03api\x04te",
    "header-only": header(14, qd=1),
    "short": b"\x12\x34\x01",
    "tcp-two-queries": tcp(query("api.test", qid=1), query("a.example.org", AAAA, qid=2)),
    "tcp-exhausts-range": tcp(query("a.example.org", qid=1), query("b.example.org", qid=2),
                              query("c.example.org", qid=3), query("a.example.org", qid=4)),
    "tcp-partial": tcp(query("api.test"))[:-3],
}

EGRESS_SEEDS = [
    "registry.example.net:443", "*.example.org:443", "10.0.0.0/8:5432", "[2001:db8::/32]:443",
    "203.0.113.7:80,8080", "registry:8000-8010", "api.test:80,8000-8010", "127.0.0.1:5432",
    "[::1]:5432", "[2001:db8::1]:443", "192.168.1.0/24:22", "0.0.0.0/0:443", "[::/0]:443",
    "[::ffff:10.0.0.1]:443", "pypi.test:443", "files.test:443", "_srv.example.org:443",
    "*.a-b.c_d.test:1-65535", "10.0.0.1/8:443", "host:0", "host:65536", "[2001:db8::1]443",
    "2001:db8::1:443", "host", ":443", "*.:443", "[]:1",
]


def write(directory, filename, data):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / filename).write_bytes(data)


def main():
    for target in ("profile", "dns", "egress"):
        for old in (CORPUS / target).glob("seed-*"):
            old.unlink()
    profile_dir = CORPUS / "profile"
    for source in [*sorted((ROOT / "profiles").glob("*.toml")), *sorted((ROOT / "policies").glob("*.toml")),
                   *sorted((ROOT / "tests/fixtures/bad").glob("*.toml"))]:
        prefix = source.parent.name
        write(profile_dir, f"seed-{prefix}-{source.name}", source.read_bytes())
    extra = {
        "extends-itself.toml": b'[profile]\nextends = ["./profile.toml"]\n',
        "registries.toml": b'[network]\nmode = "allowlist"\nallow = ["@npm-registries", "@pip-indexes", '
                           b'"${npm_registry}:443"]\n',
        "sets-and-removal.toml": b'[profile]\nextends = ["npm-ci"]\n[sets.mine]\nkind = "paths"\n'
                                 b'entries = ["${home}/.x", "@secret-files"]\n[filesystem]\nhide = ["@mine", '
                                 b'"!${home}/.npmrc"]\n[variables]\nx = "${y}"\ny = "${x}"\n',
        "limits.toml": b'[limits]\nnofile = 4096\nas = "2G"\ncpu = "unlimited"\nstack = "keep"\n'
                       b'[process]\ntimeout = "1h30m"\npass_fds = [3, 4]\n',
        "hosts-forward.toml": b'[network]\nmode = "allowlist"\nallow = ["*.example.org:443"]\n'
                              b'forward = ["127.0.0.1:5432"]\npublish = ["[::1]:8080"]\n'
                              b'hosts = { "db.test" = "10.0.0.5" }\n',
    }
    for filename, text in extra.items():
        write(profile_dir, "seed-extra-" + filename, text)
    for label, data in DNS_SEEDS.items():
        write(CORPUS / "dns", f"seed-{label}.bin", data)
    for i, text in enumerate(EGRESS_SEEDS):
        write(CORPUS / "egress", f"seed-{i:02d}.txt", text.encode())
    # Raw destinations: 16 address bytes and a port (see check_raw_destination).
    raw = {
        "v4-private": bytes([10, 1, 2, 3]) + bytes(12) + struct.pack(">H", 5432),
        "v6-mapped-metadata": bytes(10) + b"\xff\xff" + bytes([169, 254, 169, 254]) + struct.pack(">H", 80),
        "v6-nat64": bytes.fromhex("0064ff9b0000000000000000") + bytes([127, 0, 0, 1]) + struct.pack(">H", 443),
        "v6-6to4": bytes.fromhex("2002c0a80001") + bytes(10) + struct.pack(">H", 443),
    }
    for label, data in raw.items():
        write(CORPUS / "egress", f"seed-raw-{label}.bin", data)


if __name__ == "__main__":
    main()
