#!/usr/bin/env python3
"""Pack data/geo/admin1.json.gz into data/geo/admin1.bin, the form the worker embeds.

The JSON stays the reviewable output of build.py (and what check.py validates); parsing
its 24 MB of numbers took ~0.35 s of the worker's start. The packed form is read in
tens of milliseconds (figures: docs/performance.md).

Format (little-endian; read by src/reference/admin1.rs, `Admin1Index::from_packed`):
  magic  b"PEADMIN1"
  u32    format version (1)
  u32    coordinate scale (100000: build.py rounds to 5 decimals, so the packing is exact)
  u32    number of areas
  per area:
    str code, str name, str country, str alt_country  (str = u16 byte length + UTF-8)
    u32 number of polygons
    per polygon: u32 number of rings (outer first, then holes)
      per ring: u32 number of points, then per point x and y as zigzag LEB128 varints of
                the difference to the previous point of the ring (the first to 0, 0)
Not compressed: gzip saved only 9% of the 5.3 MB (the varints are already dense) and cost
decompression time at start. The output is byte-for-byte reproducible.
"""
import gzip
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GEO = os.path.join(HERE, "..", "..", "data", "geo")
SRC = os.path.join(GEO, "admin1.json.gz")
OUT = os.path.join(GEO, "admin1.bin")
MAGIC = b"PEADMIN1"
VERSION = 1
SCALE = 100_000


def varint(out, v):
    z = (v << 1) ^ (v >> 63)  # zigzag
    while True:
        b = z & 0x7F
        z >>= 7
        if z:
            out.append(b | 0x80)
        else:
            out.append(b)
            return


def string(out, s):
    b = (s or "").encode("utf-8")
    out += struct.pack("<H", len(b))
    out += b


def pack(doc):
    out = bytearray(MAGIC)
    areas = doc["areas"]
    out += struct.pack("<III", VERSION, SCALE, len(areas))
    for a in areas:
        for key in ("code", "name", "country", "alt_country"):
            string(out, a.get(key))
        out += struct.pack("<I", len(a["polygons"]))
        for rings in a["polygons"]:
            if not rings:
                sys.exit(f"polygon without rings in {a['code']!r}")
            out += struct.pack("<I", len(rings))
            for flat in rings:
                if len(flat) % 2:
                    sys.exit(f"odd coordinate count in {a['code']!r}")
                out += struct.pack("<I", len(flat) // 2)
                px = py = 0
                for i in range(0, len(flat), 2):
                    x, y = round(flat[i] * SCALE), round(flat[i + 1] * SCALE)
                    if abs(x / SCALE - flat[i]) > 1e-9 or abs(y / SCALE - flat[i + 1]) > 1e-9:
                        sys.exit(f"coordinate not on the {SCALE} grid in {a['code']!r}")
                    varint(out, x - px)
                    varint(out, y - py)
                    px, py = x, y
    return bytes(out)


def main():
    with gzip.open(SRC, "rt", encoding="utf-8") as f:
        doc = json.load(f)
    raw = pack(doc)
    tmp = OUT + ".tmp"
    with open(tmp, "wb") as f:
        f.write(raw)
    os.replace(tmp, OUT)
    print(f"{OUT}: {len(doc['areas'])} areas, {len(raw)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
