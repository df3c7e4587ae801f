#!/usr/bin/env python3
"""Sanity checks for data/geo/ (pure Python, no Rust, no third-party packages).

    python3 scripts/geo/check.py

Loads data/geo/admin1.json.gz and data/geo/places.tsv.gz, checks their format, validates every
emitted code against the ISO 3166-2 list when the pinned pycountry wheel is in the build cache,
and resolves a fixed set of probe points (subdivision by point-in-polygon with a 5 km coastal
snap, nearest kept place by great-circle distance). Exits 1 on any mismatch.
"""
import glob
import gzip
import json
import math
import os
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GEO = os.path.join(ROOT, "data", "geo")
CACHE = os.environ.get("GEO_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "posting-enricher", "geo")
SNAP_KM = 5.0

# name, lat, lon, accepted subdivision codes (None = must resolve to no area)
PROBES = [
    ("Palo Alto", 37.4451, -122.1604, {"US-CA"}),
    ("Windsor ON", 42.3149, -83.0364, {"CA-ON"}),
    ("Detroit", 42.3314, -83.0458, {"US-MI"}),
    ("Ciudad Juarez", 31.6904, -106.4245, {"MX-CHH"}),
    ("El Paso", 31.7619, -106.4850, {"US-TX"}),
    ("Strasbourg", 48.5734, 7.7521, {"FR-GES"}),
    ("Kehl", 48.5722, 7.8156, {"DE-BW"}),
    ("Mexico City", 19.4326, -99.1332, {"MX-CMX"}),
    ("Johannesburg", -26.2041, 28.0473, {"ZA-GP"}),
    ("Mumbai", 19.0760, 72.8777, {"IN-MH"}),
    ("mid-Atlantic", 30.0, -40.0, None),
]


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build import haversine  # noqa: E402  (one definition, shared with the builder)


def ring_contains(ring, x, y):
    """Even-odd ray casting on a flat [x0,y0,x1,y1,...] ring."""
    inside = False
    n = len(ring) // 2
    j = n - 1
    for i in range(n):
        xi, yi = ring[2 * i], ring[2 * i + 1]
        xj, yj = ring[2 * j], ring[2 * j + 1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def polygon_contains(poly, x, y):
    return ring_contains(poly[0], x, y) and not any(ring_contains(h, x, y) for h in poly[1:])


def ring_distance_km(ring, lon, lat):
    """Approximate distance (km) from a point to a ring, local equirectangular projection."""
    kx = 111.32 * math.cos(math.radians(lat))
    ky = 110.57
    best = float("inf")
    n = len(ring) // 2
    for i in range(n - 1):
        ax, ay = (ring[2 * i] - lon) * kx, (ring[2 * i + 1] - lat) * ky
        bx, by = (ring[2 * i + 2] - lon) * kx, (ring[2 * i + 3] - lat) * ky
        dx, dy = bx - ax, by - ay
        L = dx * dx + dy * dy
        t = 0.0 if L == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / L))
        px, py = ax + t * dx, ay + t * dy
        best = min(best, math.hypot(px, py))
    return best


def lookup(areas, lat, lon):
    hits = [a for a in areas
            if a["bbox"][0] <= lon <= a["bbox"][2] and a["bbox"][1] <= lat <= a["bbox"][3]
            and any(polygon_contains(p, lon, lat) for p in a["polygons"])]
    if hits:
        return hits, 0.0
    pad = SNAP_KM / 111.0 / max(0.05, math.cos(math.radians(lat)))
    best, bd = None, float("inf")
    for a in areas:
        b = a["bbox"]
        if not (b[0] - pad <= lon <= b[2] + pad and b[1] - pad <= lat <= b[3] + pad):
            continue
        for p in a["polygons"]:
            d = ring_distance_km(p[0], lon, lat)
            if d < bd:
                best, bd = a, d
    if best is not None and bd <= SNAP_KM:
        return [best], bd
    return [], None


def iso_codes():
    wheels = sorted(glob.glob(os.path.join(CACHE, "pycountry-26.2.16-*.whl")))
    if not wheels:
        return None
    with zipfile.ZipFile(wheels[0]) as z:
        return {s["code"] for s in json.loads(z.read("pycountry/databases/iso3166-2.json"))["3166-2"]}


def main():
    failures = []
    with gzip.open(os.path.join(GEO, "admin1.json.gz"), "rt", encoding="utf-8") as f:
        doc = json.load(f)
    areas = doc["areas"]
    npts = 0
    for a in areas:
        assert set(a) <= {"code", "name", "country", "alt_country", "bbox", "polygons"}, a.keys()
        assert len(a["bbox"]) == 4 and a["polygons"], a["name"]
        for p in a["polygons"]:
            for r in p:
                assert len(r) % 2 == 0 and len(r) >= 8, (a["name"], len(r))
                npts += len(r) // 2
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import pack_admin1
    with open(os.path.join(GEO, "admin1.bin"), "rb") as f:
        if f.read() != pack_admin1.pack(doc):
            failures.append("admin1.bin is not the packing of admin1.json.gz: run scripts/geo/pack_admin1.py")
    coded = [a for a in areas if a["code"]]
    print(f"admin1.json.gz: source={doc['source']!r} version={doc['version']} areas={len(areas)} "
          f"(with code {len(coded)}, without {len(areas) - len(coded)}) points={npts}")
    codes = [a["code"] for a in coded]
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        print(f"  note: codes split over several areas because of alt_country: {dup}")
    iso = iso_codes()
    if iso is None:
        print("  (pycountry wheel not in cache: ISO validity not checked; run build.py first)")
    else:
        bad = sorted({c for c in codes if c not in iso})
        print(f"  ISO 3166-2 validity: {len(set(codes))} distinct codes, {len(bad)} invalid {bad[:20]}")
        if bad:
            failures.append(f"invalid ISO codes {bad}")
    for a in coded:
        if a["code"].split("-")[0] != a["country"]:
            failures.append(f"country {a['country']} does not match code {a['code']}")

    places = []
    with gzip.open(os.path.join(GEO, "places.tsv.gz"), "rt", encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        assert header == ["name", "lat", "lon", "country", "subdivision", "population"], header
        for line in f:
            name, lat, lon, cc, sub, pop = line.rstrip("\n").split("\t")
            places.append((name, float(lat), float(lon), cc, sub, int(pop)))
    with_sub = sum(1 for p in places if p[4])
    print(f"places.tsv.gz: rows={len(places)} with subdivision={with_sub} without={len(places) - with_sub}")
    if iso is not None:
        bad = sorted({p[4] for p in places if p[4] and p[4] not in iso})
        if bad:
            failures.append(f"invalid place subdivision codes {bad[:20]}")

    print()
    print(f"{'probe':15} {'lat':>9} {'lon':>10}  {'subdivision':28} {'expected':9}  nearest place")
    for name, lat, lon, want in PROBES:
        hits, snap = lookup(areas, lat, lon)
        got = {a["code"] for a in hits} if hits else set()
        desc = ", ".join(f"{a['code'] or '-'} {a['name']} ({a['country']}{'/' + a['alt_country'] if a.get('alt_country') else ''})"
                         for a in hits) or "none"
        if snap:
            desc += f" [snapped {snap:.1f} km]"
        ok = (not hits) if want is None else (len(got) == 1 and got <= want)
        best = min(places, key=lambda p: haversine(lat, lon, p[1], p[2]))
        d = haversine(lat, lon, best[1], best[2])
        near = f"{best[0]} ({best[3]} {best[4] or '-'}, pop {best[5]}) {d:.1f} km"
        print(f"{name:15} {lat:9.4f} {lon:10.4f}  {desc[:28]:28} {'ok' if ok else 'MISMATCH':9}  {near}")
        if len(desc) > 28:
            print(f"{'':38}{desc}")
        if not ok:
            failures.append(f"{name}: got {sorted(got) or 'none'}, want {sorted(want) if want else 'none'}")
    print()
    if failures:
        print("FAILURES:")
        for f in failures:
            print("  " + f)
        print(f"0 passed, {len(failures)} failed")
        sys.exit(1)
    print(f"{len(PROBES)} passed, 0 failed")


if __name__ == "__main__":
    main()
