#!/usr/bin/env python3
"""Counts word unigrams in crema's bundled corpora for hashtag segmentation and the
common-word guard of the geocoder (docs/gazetteer_format.md).

Output: data/geonames/gazetteer_unigrams.tsv, "word<TAB>count<TAB>capitalised", sorted by
count, where word is lower-case, count is every occurrence in running text (hashtags,
@mentions and URLs excluded) and capitalised counts the occurrences written with an upper-case
first letter that did not start a sentence. Words seen fewer than --min-count times are left
out. Deterministic.

    python3 tools/make_gazetteer_unigrams.py --out data/geonames/gazetteer_unigrams.tsv
"""
import argparse
import collections
import json
import re
import sys

DEFAULT_INPUTS = ["data/sample/sample_posts.jsonl", "data/labels/crema_labels.jsonl",
                  "data/labels/open_labels.jsonl"]
SKIP = re.compile(r"https?://\S+|www\.\S+|[@#]\w+")
WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
SENTENCE_END = re.compile(r"[.!?:;]\s*$")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("inputs", nargs="*", default=DEFAULT_INPUTS)
    args = ap.parse_args()
    count = collections.Counter()
    caps = collections.Counter()
    seen = set()
    for path in args.inputs:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue
                text = rec.get("text") if isinstance(rec, dict) else None
                if not isinstance(text, str) or text in seen:
                    continue
                seen.add(text)
                text = SKIP.sub(" . ", text)
                for m in WORD.finditer(text):
                    w = m.group(0)
                    lw = w.lower()
                    if lw.isdigit():
                        continue
                    count[lw] += 1
                    before = text[:m.start()]
                    initial = not before.strip() or SENTENCE_END.search(before)
                    if w[0].isupper() and not initial:
                        caps[lw] += 1
    rows = sorted(((c, w) for w, c in count.items() if c >= args.min_count), key=lambda t: (-t[0], t[1]))
    with open(args.out, "w", encoding="utf-8") as f:
        for c, w in rows:
            f.write(f"{w}\t{c}\t{caps[w]}\n")
    print(f"{len(rows)} words from {len(seen)} distinct texts -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
