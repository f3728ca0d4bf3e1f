#!/usr/bin/env python3
"""Build models/tfidf/idf.bin: document frequencies of the tfidf encoder's features.

Extracts a multilingual crisis corpus from the shared open data, lightly normalises it the
way crema's normalize() does for what matters to DF (URLs -> HTTPURL, @mentions -> @USER,
HTML entities decoded, whitespace collapsed), drops exact duplicates, and pipes one text per
line into the C++ tool crema_make_tfidf_stats (built from tools/make_tfidf_stats.cc), so the
features counted are exactly the encoder's.

Usage:
  tools/make_tfidf_stats.py --data /work/shared/data \
      --tool build/h-match/src/embed/crema_make_tfidf_stats --out models/tfidf/idf.bin
"""
import argparse, csv, glob, gzip, html, io, os, re, subprocess, sys, zipfile
import xml.etree.ElementTree as ET

URL = re.compile(r"(https?://\S+|www\.\S+)")
MENTION = re.compile(r"@\w+")
SPACE = re.compile(r"\s+")

def normalise(text):
    text = html.unescape(text)
    text = URL.sub("HTTPURL", text)
    text = MENTION.sub("@USER", text)
    return SPACE.sub(" ", text).strip()

def crisislex_t6(root):
    for path in sorted(glob.glob(os.path.join(root, "crisislex_t6", "*.csv.gz"))):
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
            r = csv.reader(f)
            next(r, None)
            for row in r:
                if len(row) >= 2:
                    yield "crisislex_t6", row[1]

def crisislex_t26(root):
    path = os.path.join(root, "crisislex_t26", "crisislex_t26_labeled_all.csv.gz")
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        for row in csv.DictReader(f):
            yield "crisislex_t26", row.get("tweet_text", "")

def figure8(root):
    path = os.path.join(root, "figure8_disaster_response", "disaster_messages.csv.gz")
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        for row in csv.DictReader(f):
            yield "figure8", row.get("message", "")
            if row.get("original"):
                yield "figure8", row["original"]

def tico19(root):
    english_done = False
    for path in sorted(glob.glob(os.path.join(root, "tico19_parallel", "TM", "all.en-*.tmx.zip"))):
        with zipfile.ZipFile(path) as z:
            name = [n for n in z.namelist() if n.endswith(".tmx")][0]
            tree = ET.parse(io.BytesIO(z.read(name)))
        for tu in tree.iter("tu"):
            for tuv in tu.iter("tuv"):
                lang = (tuv.get("{http://www.w3.org/XML/1998/namespace}lang") or "").lower()
                if lang.startswith("en") and english_done:
                    continue
                seg = tuv.find("seg")
                if seg is not None:
                    yield "tico19", "".join(seg.itertext())
        english_done = True

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/data")
    ap.add_argument("--tool", required=True, help="path to the built crema_make_tfidf_stats")
    ap.add_argument("--out", default="models/tfidf/idf.bin")
    a = ap.parse_args()
    seen, counts = set(), {}
    for source in (crisislex_t6, crisislex_t26, figure8, tico19):
        for name, text in source(a.data):
            t = normalise(text)
            if not t or t in seen:
                continue
            seen.add(t)
            counts[name] = counts.get(name, 0) + 1
    for name, n in counts.items():
        print(f"{name}: {n} distinct texts", file=sys.stderr)
    docs = "\n".join(sorted(seen)) + "\n"
    res = subprocess.run([a.tool, a.out], input=docs.encode("utf-8"), capture_output=True)
    sys.stderr.write(res.stderr.decode())
    print(res.stdout.decode().strip())
    return res.returncode

if __name__ == "__main__":
    sys.exit(main())
