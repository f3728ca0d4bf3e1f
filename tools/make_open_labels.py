#!/usr/bin/env python3
"""Builds data/labels/open_labels.jsonl, crema's labelled set for the built-in classifiers.

Reads the open data sets copied under --shared (figure8_disaster_response, crisislex_t26)
and maps their OWN labels to CHO's 4 classes and to crema's resource names. No label is
derived from text patterns. The mapping rules are documented in data/labels/PROVENANCE.md
and below. Deterministic: same inputs and --seed give the same bytes.

Usage:
  python3 tools/make_open_labels.py --shared /work/shared/data \
      --out data/labels/open_labels.jsonl [--seed 42] [--max-bytes 7800000]
Python 3 standard library only.
"""

import argparse
import collections
import csv
import gzip
import json
import random
import re
import sys

FIG8_LICENSE = "CC-BY-4.0"
CRISISLEX_LICENSE = "MIT"

# figure8 column -> crema resource (include/crema/common/post.h kResourceNames).
# volunteers and blood have no column in either source, so no row carries them.
FIG8_RESOURCES = [
    ("money", ["money"]),
    ("clothing", ["clothing"]),
    ("shelter", ["shelter"]),
    ("medical", ["medical_help", "medical_products"]),
    ("food", ["food"]),
    ("water", ["water"]),
    ("transport", ["transport"]),
    ("power", ["electricity"]),
    ("other", ["other_aid", "tools", "search_and_rescue"]),
]

# The author's event column (rmunro splits) puts Haiti messages at ids <= 11179 and
# Pakistan messages at ids 13948..14679; the Udacity copy has originals only in those
# ranges. Used for the "lang" metadata of original-language rows only.
HAITI_MAX_ID = 11179
PAKISTAN_MIN_ID = 13948
PAKISTAN_MAX_ID = 14679

# Function words to tell French from Haitian Kreyòl among the Haiti originals (metadata
# only; labels never come from text).
FRENCH_WORDS = {"je", "nous", "vous", "est", "les", "des", "dans", "avec", "sont", "une",
                "pour", "qui", "que", "il", "elle", "mais", "aux", "du", "au", "suis",
                "avons", "sommes", "notre", "nos", "votre", "mon", "ma", "mes", "pas", "ne"}
KREYOL_WORDS = {"mwen", "nou", "yo", "ki", "nan", "pou", "gen", "li", "tanpri", "ak",
                "pa", "sa", "se", "ou", "yon", "bay", "konn", "kote", "paske", "anpil",
                "bezwen", "manje", "dlo", "kay", "kounye", "tout", "fe", "fè", "kijan"}

WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)


def words(text):
    return WORD_RE.findall(text.lower())


def haiti_lang(text):
    tokens = words(text)
    fr = sum(1 for t in tokens if t in FRENCH_WORDS - KREYOL_WORDS)
    ht = sum(1 for t in tokens if t in KREYOL_WORDS - FRENCH_WORDS)
    return "fr" if fr > ht else "ht"


def clean(text):
    return " ".join(text.split())


def fig8_label(row):
    related, request, offer = row["related"], row["request"], row["offer"]
    if related == "2":
        return None  # annotator unsure
    if related == "0":
        return "irrelevant"
    if request == "1" and offer == "1":
        return "request_and_offer"
    if request == "1":
        return "request"
    if offer == "1":
        return "offer"
    return "irrelevant"  # related, but neither asks for nor offers help (CHO §3.1)


def fig8_resources(row):
    return [name for name, cols in FIG8_RESOURCES if any(row[c] == "1" for c in cols)]


def read_figure8(shared, stats):
    path = f"{shared}/figure8_disaster_response/disaster_response_merged.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    # Ids that occur twice: keep one copy when the labels agree, drop the id when not.
    by_id = collections.defaultdict(list)
    for row in rows:
        by_id[row["id"]].append(row)
    out = []
    seen_ids = set()
    for row in rows:
        rid = row["id"]
        if rid in seen_ids:
            continue
        seen_ids.add(rid)
        copies = by_id[rid]
        if len({(fig8_label(r), tuple(fig8_resources(r))) for r in copies}) > 1:
            stats["figure8 dropped: duplicate id with conflicting labels"] += 1
            continue
        if row["genre"] == "social":
            # The author withdrew the social-media messages on privacy grounds.
            stats["figure8 dropped: genre=social"] += 1
            continue
        label = fig8_label(row)
        if label is None:
            stats["figure8 dropped: related=2 (unsure)"] += 1
            continue
        resources = fig8_resources(row)
        message = clean(row["message"])
        if message:
            out.append({"text": message, "label": label, "resources": resources, "lang": "en",
                        "source": "figure8", "source_id": rid, "license": FIG8_LICENSE})
        original = clean(row["original"])
        if not original or original == message:
            continue
        if len(words(original)) < 3:
            stats["figure8 original dropped: fewer than 3 words"] += 1
            continue
        num = int(rid)
        if num <= HAITI_MAX_ID:
            lang = haiti_lang(original)
        elif PAKISTAN_MIN_ID <= num <= PAKISTAN_MAX_ID:
            lang = "ur"
        else:
            stats["figure8 original dropped: outside known event id ranges"] += 1
            continue
        out.append({"text": original, "label": label, "resources": resources, "lang": lang,
                    "source": "figure8", "source_id": rid, "license": FIG8_LICENSE})
    return out


def read_crisislex(shared, stats):
    path = f"{shared}/crisislex_t26/crisislex_t26_labeled_all.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out = []
    for row in rows:
        info_type = row["information_type"]
        informativeness = row["informativeness"]
        if info_type == "Donations and volunteering":
            # Mixes needs, offers and donation drives with no label to tell them apart.
            stats["crisislex dropped: Donations and volunteering (request/offer unknown)"] += 1
            continue
        if informativeness == "Not related" or info_type == "Sympathy and support":
            label = "irrelevant"  # off-topic, or emotional support only (CHO §3.1)
        else:
            stats["crisislex not used: other information types"] += 1
            continue
        text = clean(row["tweet_text"])
        if not text:
            continue
        out.append({"text": text, "label": label, "lang": "und", "source": "crisislex_t26",
                    "source_id": f'{row["event"]}/{row["tweet_id"]}', "license": CRISISLEX_LICENSE})
    return out


def dedup_texts(records, stats):
    """Keeps the first record of each exact text; drops texts whose copies disagree."""
    keys = collections.defaultdict(set)
    for r in records:
        keys[r["text"]].add((r["label"], tuple(r.get("resources", [])) if "resources" in r else None))
    out, seen = [], set()
    for r in records:
        if len(keys[r["text"]]) > 1:
            stats["dropped: same text with conflicting labels"] += 1
            continue
        if r["text"] in seen:
            stats["dropped: duplicate text"] += 1
            continue
        seen.add(r["text"])
        out.append(r)
    return out


def line_of(record):
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def subsample(records, max_bytes, seed, stats):
    """Keeps every non-irrelevant row; drops whole source_id groups of irrelevant rows,
    uniformly at random within each (source, lang) stratum, until the file fits."""
    total = sum(len(line_of(r).encode("utf-8")) for r in records)
    if total <= max_bytes:
        return records
    irrelevant_bytes = sum(len(line_of(r).encode("utf-8")) for r in records if r["label"] == "irrelevant")
    keep_fraction = max(0.0, (irrelevant_bytes - (total - max_bytes)) / irrelevant_bytes)
    groups = collections.OrderedDict()
    for r in records:
        if r["label"] == "irrelevant":
            groups.setdefault((r["source"], r["source_id"]), []).append(r)
    strata = collections.OrderedDict()
    for key, rows in groups.items():
        strata.setdefault((key[0], rows[0]["lang"]), []).append(key)
    rng = random.Random(seed)
    dropped = set()
    for _, keys in strata.items():
        keys = list(keys)
        rng.shuffle(keys)
        n_keep = int(round(len(keys) * keep_fraction))
        dropped.update(keys[n_keep:])
    out = [r for r in records if r["label"] != "irrelevant" or (r["source"], r["source_id"]) not in dropped]
    stats["irrelevant rows dropped by the size-limit subsample"] += len(records) - len(out)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", required=True, help="folder holding figure8_disaster_response/ and crisislex_t26/")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max-bytes", type=int, default=7_800_000)
    args = parser.parse_args()

    stats = collections.Counter()
    records = read_figure8(args.shared, stats) + read_crisislex(args.shared, stats)
    records = dedup_texts(records, stats)
    records = subsample(records, args.max_bytes, args.seed, stats)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        for r in records:
            f.write(line_of(r))

    for key in sorted(stats):
        print(f"{key}: {stats[key]}", file=sys.stderr)
    per = collections.Counter((r["label"], r["lang"], r["source"]) for r in records)
    print(f"rows: {len(records)}", file=sys.stderr)
    for key in sorted(per):
        print(f"  {key[0]:<18} {key[1]:<4} {key[2]:<14} {per[key]}", file=sys.stderr)
    res = collections.Counter(x for r in records for x in r.get("resources", []))
    print("resources: " + ", ".join(f"{k} {res[k]}" for k in sorted(res)), file=sys.stderr)


if __name__ == "__main__":
    main()
