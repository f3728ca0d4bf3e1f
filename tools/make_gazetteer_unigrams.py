#!/usr/bin/env python3
"""Counts word unigrams in crema's bundled corpora for hashtag segmentation and the
common-word guard of the geocoder (docs/gazetteer_format.md).

Output: data/geonames/gazetteer_unigrams.tsv, "word<TAB>count<TAB>capitalised<TAB>cased",
sorted by count, where word is lower-case, count is every occurrence in running text
(hashtags, @mentions and URLs excluded), cased counts the occurrences in texts that use case
(a word capitalised mid-sentence, at least half the words lower case: not all-lower-case
SMS, not shouting) and
capitalised counts those of the cased occurrences written with an upper-case first letter
that did not start a sentence. So capitalised/cased says how a word is written by people who
write capitals at all ("kafou" is a name even though most Haitian SMS are lower case).
Words seen fewer than --min-count times are left out. Texts of the extraction gold sets
(--exclude; default: both, the held-out one included) are skipped, so the counts never carry the gold annotations' words. Deterministic.

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
EXCLUDE = ["tests/testdata/extraction_gold.jsonl", "tests/testdata/extract/extraction_gold_holdout.jsonl"]
SENTENCE_END = re.compile(r"[.!?:;]\s*$")


def initial_at(text, start):
    before = text[:start]
    return not before.strip() or SENTENCE_END.search(before) is not None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--exclude", action="append", default=None,
                    help="JSONL whose texts are skipped (default: tests/testdata/extraction_gold.jsonl)")
    ap.add_argument("inputs", nargs="*", default=DEFAULT_INPUTS)
    args = ap.parse_args()
    count = collections.Counter()
    caps = collections.Counter()
    cased = collections.Counter()
    seen = set()
    for path in args.exclude if args.exclude is not None else EXCLUDE:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(rec, dict) and isinstance(rec.get("text"), str):
                    seen.add(rec["text"])
    excluded = len(seen)
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
                # Uses case: some word is capitalised mid-sentence and most are lower case.
                words = list(WORD.finditer(text))
                mid_caps = any(m.group(0)[0].isupper() and not initial_at(text, m.start()) for m in words)
                uses_case = mid_caps and sum(m.group(0).islower() for m in words) * 2 >= len(words)
                for m in WORD.finditer(text):
                    w = m.group(0)
                    lw = w.lower()
                    if lw.isdigit():
                        continue
                    count[lw] += 1
                    if not uses_case:
                        continue
                    cased[lw] += 1
                    if w[0].isupper() and not initial_at(text, m.start()):
                        caps[lw] += 1
    rows = sorted(((c, w) for w, c in count.items() if c >= args.min_count), key=lambda t: (-t[0], t[1]))
    with open(args.out, "w", encoding="utf-8") as f:
        for c, w in rows:
            f.write(f"{w}\t{c}\t{caps[w]}\t{cased[w]}\n")
    print(f"{len(rows)} words from {len(seen) - excluded} distinct texts ({excluded} gold texts skipped) -> {args.out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
