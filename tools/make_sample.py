#!/usr/bin/env python3
"""Builds data/sample/sample_posts.jsonl, the bundled demo input of `crema run`.

Real crisis tweets from CrisisLex T26 (MIT) for seven events, with their real times (from the
tweet id). CrisisLex has no per-tweet coordinates, so -- and this is the one synthetic part,
documented in data/sample/PROVENANCE.md -- 60% of the posts get a point drawn uniformly in a
6 km disc around the event's main city (GeoNames cities15000, CC BY 4.0), the rest carry only
the city as `place`. A few malformed records are appended so the demo shows rejects.

Deterministic: python3 tools/make_sample.py --shared ../shared/data --out data/sample
"""
import argparse
import csv
import gzip
import json
import math
import os
import random

EVENTS = {
    # event: (main city, lat, lon) from GeoNames cities15000
    "2013_Typhoon_Yolanda": ("Tacloban", 11.24333, 125.00472),
    "2012_Philipinnes_floods": ("Manila", 14.6042, 120.9822),
    "2013_Manila_floods": ("Quezon City", 14.6488, 121.0509),
    "2013_Alberta_floods": ("Calgary", 51.05011, -114.08529),
    "2013_Colorado_floods": ("Boulder", 40.01499, -105.27055),
    "2013_Queensland_floods": ("Brisbane", -27.46794, 153.02809),
    "2012_Italy_earthquakes": ("Modena", 44.64783, 10.92539),
}
PER_EVENT = 300
GEOTAGGED_SHARE = 0.6
RADIUS_KM = 6.0

MALFORMED = [
    '{"id": "bad-1", "text": "truncated json',
    '{"id": "bad-2", "created_at": "2013-06-21T10:00:00Z"}',
    '{"id": "bad-3", "text": "time that is not a time", "created_at": "yesterday evening"}',
    '{"id": "bad-4", "text": "somewhere off the map", "created_at": "2013-06-21T10:00:00Z", "lat": 123.4, "lon": 10.0}',
    '{"id": "", "text": "no id", "created_at": "2013-06-21T10:00:00Z"}',
    '[1, 2, 3]',
    '{"id": "bad-5", "text": 42, "created_at": "2013-06-21T10:00:00Z"}',
]


def point_in_disc(rng, lat, lon, radius_km):
    r = radius_km * math.sqrt(rng.random())
    theta = 2 * math.pi * rng.random()
    dlat = (r * math.cos(theta)) / 111.32
    dlon = (r * math.sin(theta)) / (111.32 * math.cos(math.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", required=True, help="path to shared/data")
    ap.add_argument("--out", required=True, help="output directory (data/sample)")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    by_event = {e: [] for e in EVENTS}
    path = os.path.join(args.shared, "crisislex_t26", "crisislex_t26_labeled_all.csv.gz")
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["event"] in by_event:
                by_event[row["event"]].append(row)

    posts = []
    for event, rows in by_event.items():
        city, lat, lon = EVENTS[event]
        donations = [r for r in rows if r["information_type"] == "Donations and volunteering"]
        others = [r for r in rows if r["information_type"] != "Donations and volunteering"]
        rng.shuffle(donations)
        rng.shuffle(others)
        take = donations[: PER_EVENT // 2]
        take += others[: PER_EVENT - len(take)]
        for r in take:
            post = {"id": r["tweet_id"], "text": r["tweet_text"], "created_at": r["created_at_utc_from_id"],
                    "place": city, "event": event}
            if rng.random() < GEOTAGGED_SHARE:
                post["lat"], post["lon"] = point_in_disc(rng, lat, lon, RADIUS_KM)
            posts.append(post)
    posts.sort(key=lambda p: (p["created_at"], p["id"]))

    os.makedirs(args.out, exist_ok=True)
    out_path = os.path.join(args.out, "sample_posts.jsonl")
    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        for p in posts:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
        for line in MALFORMED:
            f.write(line + "\n")
        # Invalid UTF-8 inside the text: written as raw bytes.
    with open(out_path, "ab") as f:
        f.write(b'{"id": "bad-6", "text": "caf\xe9 latin-1 bytes", "created_at": "2013-06-21T10:00:00Z"}\n')
    print(f"wrote {len(posts)} posts + {len(MALFORMED) + 1} malformed records to {out_path}")


if __name__ == "__main__":
    main()
