#!/usr/bin/env python3
"""Validates request<->offer pair files (data/pairs/pairs_*.jsonl) for the matching fine-tune.

Each line is one JSON object:
  {"id": "p1-0001", "request": "...", "request_lang": "es", "offer": "...", "offer_lang": "en",
   "resource": "shelter", "place": "Valencia, ES", "hard_negative": "..." (optional),
   "author": "lm-s14-p1", "synthetic": true}

Checks: strict UTF-8, valid JSON objects, required fields and types, unknown fields, id format
and uniqueness (across all files given), ISO 639-1 language codes, one of the eleven resource
labels of docs/annotation.md, place written "Name, CC" (ISO 3166 alpha-2 country code), no empty
or control-character texts, no duplicate requests, offers or (request, offer) pairs, an offer
different from its request, a hard negative different from its offer.

Prints counts per language (request side, offer side, texts), per resource, cross-lingual share,
hard-negative share, distinct places, and the share of pairs whose offer shares few words with
its request (word Jaccard < 0.2: "meaning, not words"). Exit status 0 when no error was found,
1 otherwise, 2 on usage errors.

  python3 tools/check_pairs.py data/pairs/pairs_p1.jsonl [more files] [--min-pairs N]
      [--min-places N] [--langs en,es,...] [--json]
"""
import argparse
import collections
import json
import re
import sys
import unicodedata

RESOURCES = ("money", "volunteers", "clothing", "shelter", "medical", "food", "water",
             "transport", "power", "blood", "other")

ISO639_1 = set("""
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de
dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id
ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu
lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu
rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr
ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
""".split())

REQUIRED = {"id": str, "request": str, "request_lang": str, "offer": str, "offer_lang": str,
            "resource": str, "place": str, "author": str, "synthetic": bool}
OPTIONAL = {"hard_negative": str}
ID_RE = re.compile(r"^p[0-9]+-[0-9]{4,}$")
PLACE_RE = re.compile(r"^[^,]+(, [^,]+)*, [A-Z]{2}$")


def has_control(text):
    return any(unicodedata.category(c) == "Cc" for c in text)


def is_word_char(c):
    # Letters, combining marks and digits: Python's \w leaves out the marks (category M), so it
    # would split Devanagari or Bengali words at every vowel sign.
    cat = unicodedata.category(c)
    return cat[0] in "LM" or cat == "Nd"


def words(text):
    out, cur = [], []
    for c in text.casefold():
        if is_word_char(c):
            cur.append(c)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def norm(text):
    return " ".join(words(text))


def jaccard(a, b):
    wa, wb = set(words(a)), set(words(b))
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def check_record(rec, where, errors):
    if not isinstance(rec, dict):
        errors.append(f"{where}: not a JSON object")
        return False
    ok = True
    for key, typ in REQUIRED.items():
        if key not in rec:
            errors.append(f"{where}: missing field '{key}'")
            ok = False
        elif not isinstance(rec[key], typ):
            errors.append(f"{where}: field '{key}' must be {typ.__name__}")
            ok = False
    for key in rec:
        if key not in REQUIRED and key not in OPTIONAL:
            errors.append(f"{where}: unknown field '{key}'")
            ok = False
    if "hard_negative" in rec and not isinstance(rec["hard_negative"], str):
        errors.append(f"{where}: field 'hard_negative' must be str")
        ok = False
    if not ok:
        return False
    if not ID_RE.match(rec["id"]):
        errors.append(f"{where}: id '{rec['id']}' is not like p1-0001")
    for key in ("request_lang", "offer_lang"):
        if rec[key] not in ISO639_1:
            errors.append(f"{where}: {key} '{rec[key]}' is not an ISO 639-1 code")
    if rec["resource"] not in RESOURCES:
        errors.append(f"{where}: resource '{rec['resource']}' is not one of {', '.join(RESOURCES)}")
    if not PLACE_RE.match(rec["place"]):
        errors.append(f"{where}: place '{rec['place']}' is not written 'Name, CC'")
    if rec["synthetic"] is not True:
        errors.append(f"{where}: synthetic must be true for written pairs")
    for key in ("request", "offer", "hard_negative", "author"):
        if key not in rec:
            continue
        text = rec[key]
        if not text.strip():
            errors.append(f"{where}: empty {key}")
        elif has_control(text):
            errors.append(f"{where}: control character in {key}")
        elif text != text.strip():
            errors.append(f"{where}: leading/trailing space in {key}")
    if norm(rec["request"]) == norm(rec["offer"]):
        errors.append(f"{where}: offer repeats the request")
    if "hard_negative" in rec and norm(rec["hard_negative"]) == norm(rec["offer"]):
        errors.append(f"{where}: hard_negative repeats the offer")
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--min-pairs", type=int, default=0)
    ap.add_argument("--min-places", type=int, default=0)
    ap.add_argument("--langs", default="", help="comma-separated languages expected; others are errors")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = ap.parse_args()
    allowed = set(filter(None, args.langs.split(",")))
    if allowed - ISO639_1:
        print(f"usage error: --langs has non-ISO 639-1 codes {sorted(allowed - ISO639_1)}", file=sys.stderr)
        return 2

    errors = []
    records = []
    for path in args.files:
        try:
            raw = open(path, "rb").read()
        except OSError as e:
            errors.append(f"{path}: cannot read ({e.strerror})")
            continue
        for n, line in enumerate(raw.split(b"\n"), 1):
            where = f"{path}:{n}"
            if not line.strip():
                if n != raw.count(b"\n") + 1:
                    errors.append(f"{where}: blank line")
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as e:
                errors.append(f"{where}: invalid UTF-8 at byte {e.start}")
                continue
            try:
                rec = json.loads(text)
            except json.JSONDecodeError as e:
                errors.append(f"{where}: invalid JSON ({e.msg})")
                continue
            if check_record(rec, where, errors):
                records.append((where, rec))

    seen = {}
    for kind, key in (("id", lambda r: r["id"]), ("request", lambda r: norm(r["request"])),
                      ("offer", lambda r: norm(r["offer"]))):
        seen.clear()
        for where, rec in records:
            k = key(rec)
            if k in seen:
                errors.append(f"{where}: duplicate {kind} (first at {seen[k]})")
            else:
                seen[k] = where
    if allowed:
        for where, rec in records:
            for key in ("request_lang", "offer_lang"):
                if rec[key] not in allowed:
                    errors.append(f"{where}: {key} '{rec[key]}' not in --langs")

    n = len(records)
    req_lang = collections.Counter(r["request_lang"] for _, r in records)
    off_lang = collections.Counter(r["offer_lang"] for _, r in records)
    texts = req_lang + off_lang
    resources = collections.Counter(r["resource"] for _, r in records)
    places = collections.Counter(r["place"] for _, r in records)
    cross = sum(1 for _, r in records if r["request_lang"] != r["offer_lang"])
    hard = sum(1 for _, r in records if "hard_negative" in r)
    low_overlap = sum(1 for _, r in records if jaccard(r["request"], r["offer"]) < 0.2)
    countries = collections.Counter(p.rsplit(", ", 1)[-1] for p in places)
    if n < args.min_pairs:
        errors.append(f"only {n} valid pairs (< --min-pairs {args.min_pairs})")
    if len(places) < args.min_places:
        errors.append(f"only {len(places)} distinct places (< --min-places {args.min_places})")
    missing = [r for r in RESOURCES if resources[r] == 0]
    if n and missing:
        errors.append(f"resources with no pair: {', '.join(missing)}")

    share = (lambda k: round(k / n, 3)) if n else (lambda k: 0.0)
    summary = {
        "pairs": n, "errors": len(errors),
        "request_lang": dict(req_lang.most_common()), "offer_lang": dict(off_lang.most_common()),
        "texts_per_lang": dict(texts.most_common()),
        "resource": {r: resources[r] for r in RESOURCES},
        "cross_lingual": cross, "cross_lingual_share": share(cross),
        "hard_negative": hard, "hard_negative_share": share(hard),
        "low_word_overlap": low_overlap, "low_word_overlap_share": share(low_overlap),
        "distinct_places": len(places), "distinct_countries": len(countries),
    }
    for e in errors[:200]:
        print(f"error: {e}", file=sys.stderr)
    if len(errors) > 200:
        print(f"error: ... and {len(errors) - 200} more", file=sys.stderr)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=1))
    else:
        print(f"pairs: {n}   errors: {len(errors)}")
        print("texts per language (request+offer): " +
              ", ".join(f"{k} {v}" for k, v in texts.most_common()))
        print("request language: " + ", ".join(f"{k} {v}" for k, v in req_lang.most_common()))
        print("offer language:   " + ", ".join(f"{k} {v}" for k, v in off_lang.most_common()))
        print("resource: " + ", ".join(f"{r} {resources[r]}" for r in RESOURCES))
        print(f"cross-lingual: {cross} ({share(cross):.1%})")
        print(f"hard negatives: {hard} ({share(hard):.1%})")
        print(f"offer shares few words with request (Jaccard < 0.2): {low_overlap} ({share(low_overlap):.1%})")
        print(f"distinct places: {len(places)} in {len(countries)} countries")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
