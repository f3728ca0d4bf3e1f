#!/usr/bin/env python3
"""Scores geo-resolution output (geo_bench --locate-out, or `crema gazetteer locate`) against
a gold file: either the extraction gold set (tests/testdata/extraction_gold.jsonl: "point",
"country", "locations":[{"text"}]) or posts carrying their own "lat"/"lon" (a hidden-geotag
dev check). Prints JSON: share of gold points placed within 25 / 100 km, right country,
coverage, and location-mention precision/recall/F1 (case-insensitive text match, '#' ignored).

    python3 tools/gazetteer_eval.py --gold tests/testdata/extraction_gold.jsonl --pred out.jsonl
"""
import argparse
import json
import math


def haversine(a, b):
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def norm(s):
    return " ".join(s.replace("#", " ").casefold().split())


def load(path):
    out = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                d = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(d, dict) and "id" in d:
                out[str(d["id"])] = d
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gold", required=True)
    ap.add_argument("--pred", required=True)
    args = ap.parse_args()
    gold, pred = load(args.gold), load(args.pred)
    n_point = within25 = within100 = placed_point = 0
    n_country = right_country = 0
    tp = fp = fn = 0
    has_mentions = False
    errors = []
    for gid, g in gold.items():
        p = pred.get(gid)
        if p is None:
            continue
        geo = p.get("geo", {})
        placed = geo.get("source", "none") != "none"
        point = g.get("point")
        if point is None and "lat" in g and "lon" in g:
            point = {"lat": g["lat"], "lon": g["lon"]}
        if point:
            n_point += 1
            if placed:
                placed_point += 1
                d = haversine((point["lat"], point["lon"]), (geo["lat"], geo["lon"]))
                within25 += d <= 25
                within100 += d <= 100
                if d > 100:
                    errors.append((gid, round(d), geo.get("city") or geo.get("admin1") or geo.get("country")))
        if g.get("country"):
            n_country += 1
            right_country += placed and geo.get("country") == g["country"]
        if "locations" in g:
            has_mentions = True
            gl = [norm(x["text"]) for x in g["locations"] if isinstance(x, dict) and x.get("text")]
            pl = [norm(x["text"]) for x in p.get("locations", [])]
            left = list(gl)
            for t in pl:
                if t in left:
                    left.remove(t)
                    tp += 1
                else:
                    fp += 1
            fn += len(left)
    res = {"gold_posts": len(gold), "scored": sum(1 for k in gold if k in pred)}
    if n_point:
        res.update(points=n_point, placed=round(placed_point / n_point, 3), within_25km=round(within25 / n_point, 3),
                   within_100km=round(within100 / n_point, 3))
    if n_country:
        res.update(countries=n_country, right_country=round(right_country / n_country, 3))
    if has_mentions:
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        res.update(mention_tp=tp, mention_fp=fp, mention_fn=fn, mention_precision=round(prec, 3),
                   mention_recall=round(rec, 3), mention_f1=round(2 * prec * rec / (prec + rec), 3) if prec + rec else 0.0)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
