#!/usr/bin/env python3
"""Deterministic sampler for the held-out extraction gold set (crema issue 5, gold set 2).

Draws posts from the openly licensed data in ../shared/data that are NOT in
tests/testdata/extraction_gold.jsonl (neither the id nor the normalised text), stratified
by dataset, event, label and (for CrisisLex) a crude language cue, with a fixed seed.
Output: one JSON object per line with the post text and provenance, ready for annotation.
Each stratum is drawn in a seeded random order; the first `quota` eligible posts are the
sample, the next few are the reserve used (in order) when a drawn post has to be skipped
(personal data, no readable text). Annotation is done by hand afterwards; nothing here
runs crema.

usage: make_extraction_gold_holdout.py [--data DIR] [--old GOLD.jsonl] [--out sample.jsonl]
"""
import argparse
import csv
import gzip
import hashlib
import json
import random
import re

SEED = 20261205
F8_LICENCE = "CC BY 4.0 (Robert Munro 2012)"
F8_DATASET = "figure8_disaster_response (rmunro)"
T26_LICENCE = "MIT (sajao/CrisisLex, Olteanu et al. CSCW 2015)"
T26_DATASET = "crisislex_t26"
RESERVE = 4
# Some Figure Eight "news" rows are several unrelated sentences run together (up to 6,000+
# characters); a post longer than this is not drawn.
MAX_CHARS = 600

TL_CUES = re.compile(r"\b(ng|mga|sa|po|tulong|kayo|natin|ang|nasa|para sa)\b", re.I)

# CrisisLex T26 "Donations and volunteering" quota per event (Philippine events ask for
# Tagalog-cue tweets first: value = (quota, of which with Tagalog cues)).
T26_DONATION_QUOTA = {
    "2013_Typhoon_Yolanda": (9, 3), "2012_Typhoon_Pablo": (6, 2), "2012_Philipinnes_floods": (7, 2),
    "2013_Manila_floods": (6, 2), "2013_Bohol_earthquake": (5, 1),
    "2012_Italy_earthquakes": (8, 0), "2013_Sardinia_floods": (8, 0),
    "2012_Costa_Rica_earthquake": (5, 0), "2012_Guatemala_earthquake": (6, 0),
    "2012_Venezuela_refinery": (4, 0), "2013_Spain_train_crash": (5, 0),
    "2013_Brazil_nightclub_fire": (7, 0),
    "2013_Alberta_floods": (7, 0), "2013_Lac_Megantic_train_crash": (4, 0),
    "2013_Colorado_floods": (6, 0), "2012_Colorado_wildfires": (5, 0), "2013_West_Texas_explosion": (5, 0),
    "2013_Boston_bombings": (3, 0), "2013_NY_train_crash": (2, 0), "2013_LA_airport_shootings": (1, 0),
    "2013_Queensland_floods": (6, 0), "2013_Australia_bushfire": (6, 0),
    "2013_Savar_building_collapse": (4, 0), "2013_Singapore_haze": (2, 0),
    "2013_Glasgow_helicopter_crash": (2, 0), "2013_Russia_meteor": (1, 0),
}
T26_FILL_TYPES = ("Affected individuals", "Infrastructure and utilities")
T26_IRRELEVANT_QUOTA = 24  # "Not related" or "Sympathy and support", spread over events

# Figure Eight news sentences: country keyword -> quota (aid-related first), then random.
NEWS_KEYWORDS = [("Nepal", 5), ("India", 4), ("Pakistan", 3), ("Indonesia", 3), ("China", 3),
                 ("Philippines", 2), ("Australia", 2), ("Peru", 1), ("Bangladesh", 2), ("Afghanistan", 1),
                 ("Sri Lanka", 1), ("Iran", 1), ("Turkey", 1), ("Kenya", 1)]
NEWS_RANDOM_AID = 4
NEWS_RANDOM_OTHER = 6
# Added after the first draw (appended strata, so the earlier draw is unchanged): posts rich in
# resources and quantities, since the strata above give few quantities.
NEWS_QUANTITY = re.compile(r"\b\d[\d,.]*\s*(?:metric )?(?:tons?|tonnes|tents|blankets|kits|trucks|units|lit(?:er|re)s|bags|boxes|"
                           r"doctors|volunteers|helicopters|generators|packs|sets|cartons)\b", re.I)
NEWS_QUANTITY_QUOTA = 15
T26_RESOURCE = re.compile(r"\b(food|water|blood|tents?|blankets?|cloth(?:es|ing)|medicines?|volunteers|diapers|canned|"
                          r"agua|alimentos|víveres|ropa|sangre|medicinas|viveri|sangue|coperte|acqua|"
                          r"água|alimentos|roupas|pagkain|tubig|relief goods)\b", re.I)
T26_RESOURCE_QUOTA = 20


def norm_key(text):
    t = text.lower()
    t = re.sub(r"^rt @\w+:?", "", t.strip())
    t = re.sub(r"https?://\S+", "", t)
    t = re.sub(r"[^0-9a-z\u00c0-\u024f]+", "", t)
    return t[:60]


def seeded_order(items, tag, seed=SEED):
    """Stable order: sort by SHA-1 of (seed, tag, id) so the draw does not depend on file order."""
    return sorted(items, key=lambda x: hashlib.sha1(f"{seed}|{tag}|{x['id']}".encode()).hexdigest())


def f8_rows(data):
    rows = []
    for name in ("rmunro_disaster_response_test.csv.gz", "rmunro_disaster_response_validation.csv.gz"):
        with gzip.open(f"{data}/figure8_disaster_response/{name}", "rt", encoding="utf-8") as f:
            rows.extend(csv.DictReader(f))
    out = []
    for r in rows:
        if r["PII"] != "0":
            continue
        orig = r["original"].strip()
        text = orig if orig and orig != r["message"].strip() else r["message"].strip()
        event = {"haiti_earthquake": "haiti_earthquake_2010", "pakistan_floods": "pakistan_floods_2010",
                 "usa_sandy": "usa_sandy_2012"}.get(r["event"], "news")
        out.append({"id": f"f8-{r['id']}", "dataset": F8_DATASET, "source_id": r["id"], "licence": F8_LICENCE,
                    "event": event, "text": text, "translation": r["message"].strip() if text != r["message"].strip() else "",
                    "genre": r["genre"], "request": r["request"], "offer": r["offer"], "aid_related": r["aid_related"],
                    "related": r["related"], "rmunro_split": r["split"]})
    return out


def t26_rows(data):
    with gzip.open(f"{data}/crisislex_t26/crisislex_t26_labeled_all.csv.gz", "rt", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [{"id": f"t26-{r['tweet_id']}", "dataset": T26_DATASET, "source_id": r["tweet_id"], "licence": T26_LICENCE,
             "event": r["event"], "text": r["tweet_text"].strip(), "translation": "",
             "information_type": r["information_type"], "informativeness": r["informativeness"],
             "event_country": r["event_country"]} for r in rows]


class Drawer:
    def __init__(self, old_ids, old_keys, seed=SEED):
        self.seed = seed
        self.taken_ids = set(old_ids)
        self.taken_keys = set(old_keys)
        self.out = []

    def eligible(self, p):
        return p["id"] not in self.taken_ids and norm_key(p["text"]) not in self.taken_keys and 20 <= len(p["text"]) <= MAX_CHARS

    def draw(self, pool, quota, stratum, reserve=RESERVE):
        got = 0
        for p in seeded_order(pool, stratum, self.seed):
            if got >= quota + reserve:
                break
            if not self.eligible(p):
                continue
            self.taken_ids.add(p["id"])
            self.taken_keys.add(norm_key(p["text"]))
            self.out.append(dict(p, stratum=stratum, reserve=got >= quota))
            got += 1
        return min(got, quota)

    def write(self, path):
        """The sample (drawn posts and reserves, in draw order) as JSONL; says how many of each."""
        with open(path, "w", encoding="utf-8") as f:
            for p in self.out:
                f.write(json.dumps(p, ensure_ascii=False) + "\n")
        main_n = sum(1 for p in self.out if not p["reserve"])
        print(f"{main_n} drawn + {len(self.out) - main_n} reserve -> {path}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--old", default="tests/testdata/extraction_gold.jsonl")
    ap.add_argument("--out", default="holdout_sample.jsonl")
    a = ap.parse_args()
    old = [json.loads(l) for l in open(a.old, encoding="utf-8") if l.strip()]
    d = Drawer([o["id"] for o in old], [norm_key(o["text"]) for o in old])

    f8 = f8_rows(a.data)
    haiti = [p for p in f8 if p["event"] == "haiti_earthquake_2010" and p["translation"]]
    d.draw([p for p in haiti if p["request"] == "1" or p["offer"] == "1"], 36, "f8-haiti-actionable")
    d.draw([p for p in haiti if p["request"] == "0" and p["offer"] == "0"], 6, "f8-haiti-other")
    pak = [p for p in f8 if p["event"] == "pakistan_floods_2010" and len(re.findall(r"[A-Za-z]{3,}", p["text"])) >= 8]
    d.draw(pak, 8, "f8-pakistan")
    sandy = [p for p in f8 if p["event"] == "usa_sandy_2012"]
    d.draw([p for p in sandy if p["request"] == "1" or p["offer"] == "1" or p["aid_related"] == "1"], 10, "f8-sandy-aid")
    d.draw(sandy, 2, "f8-sandy-other")
    news = [p for p in f8 if p["event"] == "news"]
    for kw, q in NEWS_KEYWORDS:
        pool = [p for p in news if re.search(r"\b" + kw + r"\b", p["text"])]
        aid = [p for p in pool if p["aid_related"] == "1"]
        n = d.draw(aid, q, f"f8-news-{kw}", reserve=1)
        if n < q:
            d.draw(pool, q - n, f"f8-news-{kw}-any", reserve=1)
    d.draw([p for p in news if p["aid_related"] == "1"], NEWS_RANDOM_AID, "f8-news-aid")
    d.draw([p for p in news if p["aid_related"] == "0"], NEWS_RANDOM_OTHER, "f8-news-other")

    t26 = t26_rows(a.data)
    for ev, (q, q_tl) in T26_DONATION_QUOTA.items():
        don = [p for p in t26 if p["event"] == ev and p["information_type"] == "Donations and volunteering"]
        n = 0
        if q_tl:
            n += d.draw([p for p in don if len(TL_CUES.findall(p["text"])) >= 2], q_tl, f"t26-{ev}-donations-tl", reserve=1)
        n += d.draw(don, q - n, f"t26-{ev}-donations", reserve=1)
        if n < q:
            fill = [p for p in t26 if p["event"] == ev and p["information_type"] in T26_FILL_TYPES]
            d.draw(fill, q - n, f"t26-{ev}-affected", reserve=1)
    irr = [p for p in t26 if p["informativeness"] == "Not related" or p["information_type"] == "Sympathy and support"]
    d.draw(irr, T26_IRRELEVANT_QUOTA, "t26-irrelevant")

    d.draw([p for p in news if p["aid_related"] == "1" and NEWS_QUANTITY.search(p["text"])], NEWS_QUANTITY_QUOTA,
           "f8-news-quantities")
    d.draw([p for p in t26 if p["information_type"] == "Donations and volunteering" and T26_RESOURCE.search(p["text"])],
           T26_RESOURCE_QUOTA, "t26-donations-resources")

    d.write(a.out)


if __name__ == "__main__":
    main()
