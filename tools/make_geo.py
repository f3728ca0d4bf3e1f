#!/usr/bin/env python3
"""Derives data/geo/ne_110m_admin_0_countries.geojson from Natural Earth's admin-0 110m file.

Usage: tools/make_geo.py SOURCE.geojson[.gz] data/geo/ne_110m_admin_0_countries.geojson

Geometry is copied unchanged (Python's float repr round-trips every coordinate exactly);
properties are cut to the ones crema reads (ADM0_A3, ISO_A2, ISO_A3, NAME, CONTINENT,
REGION_UN, SUBREGION), and ISO codes Natural Earth leaves as "-99" are filled for the two
recognised states that have them (France FR/FRA, Norway NO/NOR). N. Cyprus and Somaliland keep
"-99" (no ISO code exists). Output is compact JSON, one feature per line, in source order.
Standard library only.
"""
import gzip
import json
import sys

KEEP = ["ADM0_A3", "ISO_A2", "ISO_A3", "NAME", "CONTINENT", "REGION_UN", "SUBREGION"]
ISO_FIX = {"FRA": ("FR", "FRA"), "NOR": ("NO", "NOR")}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    opener = gzip.open if src.endswith(".gz") else open
    with opener(src, "rt", encoding="utf-8") as f:
        data = json.load(f)
    if data.get("type") != "FeatureCollection":
        sys.exit("not a FeatureCollection")
    lines = []
    for feat in data["features"]:
        props = {k: feat["properties"][k] for k in KEEP}
        a3 = props["ADM0_A3"]
        if props["ISO_A2"] == "-99" and a3 in ISO_FIX:
            props["ISO_A2"], props["ISO_A3"] = ISO_FIX[a3]
        geom = feat["geometry"]
        if geom["type"] not in ("Polygon", "MultiPolygon"):
            sys.exit(f"{a3}: unexpected geometry {geom['type']}")
        out = {"type": "Feature", "properties": props,
               "geometry": {"type": geom["type"], "coordinates": geom["coordinates"]}}
        lines.append(json.dumps(out, separators=(",", ":"), ensure_ascii=False))
    with open(dst, "w", encoding="utf-8") as f:
        f.write('{"type":"FeatureCollection","features":[\n')
        f.write(",\n".join(lines))
        f.write("\n]}\n")
    print(f"{dst}: {len(lines)} features", file=sys.stderr)


if __name__ == "__main__":
    main()
