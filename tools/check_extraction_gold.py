#!/usr/bin/env python3
"""Check an extraction gold file (JSONL, fields of tests/testdata/extraction_gold.jsonl):
every resource/quantity/location/source/contact span occurs verbatim in the text, classes are
from docs/extraction_guide.md, amounts are numbers (optionally ~ or a range), a quantity's
resource is one of the post's resources, points are in range, countries are ISO2, ids unique.
usage: check_extraction_gold.py FILE [--old OTHER.jsonl]  (with --old: no id/text shared)
Exit 1 on any problem."""
import json, re, sys

CLASSES = {"food", "health", "shelter", "logistics", "cash", "water", "blood", "power", "volunteers", "clothing", "other"}
args = sys.argv[1:]
old_ids, old_texts = set(), set()
if "--old" in args:
    i = args.index("--old")
    for l in open(args[i + 1], encoding="utf-8"):
        if l.strip():
            o = json.loads(l); old_ids.add(o["id"]); old_texts.add(o["text"])
    del args[i:i + 2]
problems, ids, n = [], set(), 0
for ln, line in enumerate(open(args[0], encoding="utf-8"), 1):
    if not line.strip():
        continue
    n += 1
    r = json.loads(line); w = f"line {ln} {r.get('id')}"; t = r["text"]
    for k in ("id", "dataset", "source_id", "licence", "event", "lang", "split", "text", "resources", "quantities",
              "locations", "sources", "contacts", "point", "country"):
        if k not in r: problems.append(f"{w}: missing {k}")
    if r["id"] in ids: problems.append(f"{w}: duplicate id")
    ids.add(r["id"])
    if r["id"] in old_ids or t in old_texts: problems.append(f"{w}: also in the other gold file")
    res = [x["text"] for x in r["resources"]]
    for x in r["resources"]:
        if x["text"] not in t: problems.append(f"{w}: resource {x['text']!r} not in text")
        if x["class"] not in CLASSES: problems.append(f"{w}: class {x['class']!r}")
    for q in r["quantities"]:
        if q["text"] not in t: problems.append(f"{w}: quantity {q['text']!r} not in text")
        if not re.fullmatch(r"~?\d+(\.\d+)?(-\d+(\.\d+)?)?", q["amount"]): problems.append(f"{w}: amount {q['amount']!r}")
        if q["resource"] is not None and q["resource"] not in res: problems.append(f"{w}: quantity resource {q['resource']!r}")
    for x in r["locations"]:
        if x["text"] not in t: problems.append(f"{w}: location {x['text']!r} not in text")
    for k in ("sources", "contacts"):
        for x in r[k]:
            if x not in t: problems.append(f"{w}: {k} {x!r} not in text")
    p = r["point"]
    if p is not None and not (-90 <= p["lat"] <= 90 and -180 <= p["lon"] <= 180): problems.append(f"{w}: point")
    if r["country"] is not None and not re.fullmatch(r"[A-Z]{2}", r["country"]): problems.append(f"{w}: country")
print(f"{n} posts, {len(problems)} problems")
for p in problems: print("  " + p)
sys.exit(1 if problems else 0)
