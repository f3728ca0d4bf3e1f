#!/usr/bin/env python3
"""Deterministic sampler for the second development extraction gold set (crema issue 5, dev2).

Uses the held-out sampler's readers and Drawer (tools/make_extraction_gold_holdout.py) with its
own seed and strata, and excludes every id and normalised text of both existing gold files
(tests/testdata/extraction_gold.jsonl and tests/testdata/extract/extraction_gold_holdout.jsonl).
The strata favour posts likely to carry resources, places and organisations. Annotation is done
by hand afterwards; nothing here runs crema.

usage: make_extraction_gold_dev2.py [--data DIR] [--old GOLD.jsonl ...] [--out sample.jsonl]
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_extraction_gold_holdout import Drawer, f8_rows, norm_key, t26_rows, NEWS_QUANTITY, T26_RESOURCE  # noqa: E402

SEED = 20261206
OLD_GOLD = ["tests/testdata/extraction_gold.jsonl", "tests/testdata/extract/extraction_gold_holdout.jsonl"]
T26_EVENTS = ["2013_Typhoon_Yolanda", "2012_Typhoon_Pablo", "2012_Philipinnes_floods", "2013_Manila_floods",
              "2013_Bohol_earthquake", "2012_Italy_earthquakes", "2013_Sardinia_floods", "2012_Costa_Rica_earthquake",
              "2012_Guatemala_earthquake", "2012_Venezuela_refinery", "2013_Spain_train_crash",
              "2013_Brazil_nightclub_fire", "2013_Alberta_floods", "2013_Lac_Megantic_train_crash",
              "2013_Colorado_floods", "2012_Colorado_wildfires", "2013_West_Texas_explosion", "2013_Boston_bombings",
              "2013_NY_train_crash", "2013_LA_airport_shootings", "2013_Queensland_floods", "2013_Australia_bushfire",
              "2013_Savar_building_collapse", "2013_Singapore_haze", "2013_Glasgow_helicopter_crash",
              "2013_Russia_meteor"]
T26_DONATIONS_PER_EVENT = 2   # 52, events short of donations tweets filled from infrastructure
T26_INFRASTRUCTURE = 12       # "Infrastructure and utilities", any event
T26_RESOURCE_EXTRA = 14       # donations tweets with a resource keyword, any event or language
T26_IRRELEVANT = 8            # "Not related" / "Sympathy and support"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--old", nargs="+", default=OLD_GOLD)
    ap.add_argument("--out", default="dev2_sample.jsonl")
    a = ap.parse_args()
    old = [json.loads(l) for path in a.old for l in open(path, encoding="utf-8") if l.strip()]
    d = Drawer([o["id"] for o in old], [norm_key(o["text"]) for o in old], seed=SEED)

    f8 = f8_rows(a.data)
    haiti = [p for p in f8 if p["event"] == "haiti_earthquake_2010" and p["translation"]]
    d.draw([p for p in haiti if p["request"] == "1" or p["offer"] == "1"], 26, "f8-haiti-actionable")
    d.draw([p for p in haiti if p["request"] == "0" and p["offer"] == "0" and p["aid_related"] == "1"], 4,
           "f8-haiti-aid")
    d.draw([p for p in f8 if p["event"] == "pakistan_floods_2010" and p["translation"]
            and (p["request"] == "1" or p["aid_related"] == "1")], 4, "f8-pakistan-aid")
    d.draw([p for p in f8 if p["event"] == "usa_sandy_2012"
            and (p["request"] == "1" or p["offer"] == "1" or p["aid_related"] == "1")], 8, "f8-sandy-aid")
    news = [p for p in f8 if p["event"] == "news"]
    d.draw([p for p in news if p["aid_related"] == "1" and NEWS_QUANTITY.search(p["text"])], 10, "f8-news-quantities")
    d.draw([p for p in news if p["aid_related"] == "1"], 11, "f8-news-aid")  # the quantity stratum has only 9 left
    d.draw([p for p in news if p["aid_related"] == "0"], 2, "f8-news-other")

    t26 = t26_rows(a.data)
    for ev in T26_EVENTS:
        don = [p for p in t26 if p["event"] == ev and p["information_type"] == "Donations and volunteering"]
        n = d.draw(don, T26_DONATIONS_PER_EVENT, f"t26-{ev}-donations", reserve=1)
        if n < T26_DONATIONS_PER_EVENT:
            infra = [p for p in t26 if p["event"] == ev and p["information_type"] == "Infrastructure and utilities"]
            d.draw(infra, T26_DONATIONS_PER_EVENT - n, f"t26-{ev}-infrastructure", reserve=1)
    d.draw([p for p in t26 if p["information_type"] == "Infrastructure and utilities"], T26_INFRASTRUCTURE,
           "t26-infrastructure")
    d.draw([p for p in t26 if p["information_type"] == "Donations and volunteering" and T26_RESOURCE.search(p["text"])],
           T26_RESOURCE_EXTRA, "t26-donations-resources")
    d.draw([p for p in t26 if p["informativeness"] == "Not related" or p["information_type"] == "Sympathy and support"],
           T26_IRRELEVANT, "t26-irrelevant")

    d.write(a.out)


if __name__ == "__main__":
    main()
