#!/usr/bin/env python3
"""Builds the unlabelled crisis-text corpus for `crema train vectors` (docs/classifier.md).

Reads the open data sets under --shared and writes one record per line, the texts of one
record separated by TAB:
  figure8_disaster_response  message TAB original-language text (merged file and the author's
                             test/validation files), CC BY 4.0
  crisislex_t26              tweet text, all 26 events, MIT
  crisislex_t6               tweet text, all 6 events, on- and off-topic, MIT
  tico19_parallel            per translation unit: English TAB each of the 12 translations, CC0
Labels of the sources are not read. Texts are whitespace-collapsed; exact duplicate records
are dropped; records are shuffled with --seed (SGD sees the sources mixed).

Nothing is left out here: `crema train vectors --holdout-labels data/labels/crema_labels.jsonl`
drops every record that holds a validation or test post of the classifier's seeded split
(it normalises both sides the way the classifiers do), so this tool needs no copy of the split.

Usage:
  python3 tools/make_vector_corpus.py --shared /work/shared/data --out /tmp/crisis_corpus.txt [--seed 42]
      [--sources figure8,crisislex_t26,crisislex_t6,tico19]
Python 3 standard library only; the same inputs and seed give the same bytes.
"""

import argparse
import csv
import gzip
import random
import sys
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

SOURCES = ["figure8", "crisislex_t26", "crisislex_t6", "tico19"]
TICO_LANGS = ["ar", "bn", "es-LA", "fr", "hi", "id", "ne", "pt-BR", "sw", "tl", "ur", "zh"]
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def clean(text):
    return " ".join((text or "").split())


def csv_rows(path):
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


def figure8(shared):
    folder = shared / "figure8_disaster_response"
    for name in ["disaster_response_merged.csv.gz", "rmunro_disaster_response_test.csv.gz",
                 "rmunro_disaster_response_validation.csv.gz"]:
        for row in csv_rows(folder / name):
            message, original = clean(row["message"]), clean(row["original"])
            yield [message] if original in ("", message) else [message, original]


def crisislex_t26(shared):
    for row in csv_rows(shared / "crisislex_t26" / "crisislex_t26_labeled_all.csv.gz"):
        yield [clean(row["tweet_text"])]


def crisislex_t6(shared):
    for path in sorted((shared / "crisislex_t6").glob("*.csv.gz")):
        for row in csv_rows(path):
            yield [clean(row.get(" tweet") or row.get("tweet"))]


def tico19(shared):
    units = {}  # tuid -> [English, translations...] in TICO_LANGS order
    for lang in TICO_LANGS:
        z = zipfile.ZipFile(shared / "tico19_parallel" / "TM" / f"all.en-{lang}.tmx.zip")
        name = next(n for n in z.namelist() if n.endswith(".tmx") and not n.startswith("__MACOSX"))
        for tu in ET.fromstring(z.read(name)).iter("tu"):
            segs = {}
            for tuv in tu.iter("tuv"):
                seg = tuv.find("seg")
                segs[tuv.get(XML_LANG)] = clean("".join(seg.itertext())) if seg is not None else ""
            english = segs.pop("en", "")
            other = next(iter(segs.values()), "")
            texts = units.setdefault(tu.get("tuid"), [english])
            if other:
                texts.append(other)
    for tuid in sorted(units):
        yield units[tuid]


READERS = {"figure8": figure8, "crisislex_t26": crisislex_t26, "crisislex_t6": crisislex_t6, "tico19": tico19}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", required=True, type=Path, help="the shared data folder")
    parser.add_argument("--out", required=True, type=Path, help="corpus file to write")
    parser.add_argument("--seed", type=int, default=42, help="shuffle seed (default 42)")
    parser.add_argument("--sources", default=",".join(SOURCES), help="comma-separated subset of " + ",".join(SOURCES))
    args = parser.parse_args()
    sources = [s for s in args.sources.split(",") if s]
    unknown = [s for s in sources if s not in READERS]
    if unknown:
        parser.error(f"unknown source(s): {', '.join(unknown)}")
    seen, records = set(), []
    for source in sources:
        count = 0
        for texts in READERS[source](args.shared):
            texts = [t for t in texts if t]
            record = "\t".join(texts)
            if record and record not in seen:
                seen.add(record)
                records.append(record)
                count += 1
        print(f"{source}: {count} records", file=sys.stderr)
    random.Random(args.seed).shuffle(records)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text("".join(r + "\n" for r in records), encoding="utf-8")
    tmp.replace(args.out)
    print(f"{len(records)} records -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
