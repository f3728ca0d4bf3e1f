#!/usr/bin/env python3
"""Builds data/parallel/ (crema's parallel text for `crema train tokenizer|encoder`).

Usage: make_parallel_corpus.py --shared /work/shared/data --out data/parallel
           [--freedict /usr/share/dictd] [--labels data/labels/open_labels.jsonl]

Writes (gzip with mtime 0, so the same inputs give the same bytes):
  tico19/en-<lang>.tsv.gz   tuid<TAB>English<TAB>translation, TMX order, 12 languages
                            (es-LA -> es, pt-BR -> pt), from shared TICO-19 TM zips (CC0)
  freedict/<lang>-en.tsv.gz word or phrase<TAB>English, from Debian's dict-freedict-<lang>-eng
                            (deu, ita, tur), only entries whose English words all occur in the
                            English crisis text (TICO-19 English + open_labels English rows),
                            at most --max-dict pairs per language, sorted
Python 3 standard library only; deterministic.
"""
import argparse, base64, hashlib, collections, gzip, io, json, re, sys, zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

TICO_LANGS = ["ar", "bn", "es-LA", "fr", "hi", "id", "ne", "pt-BR", "sw", "tl", "ur", "zh"]
DICTS = {"de": "deu-eng", "it": "ita-eng", "tr": "tur-eng"}
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def write_gz(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    with open(path, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as g:
            g.write(data)


def clean(s):
    return " ".join(s.replace("\t", " ").split())


def tico(shared, out):
    english_words = collections.Counter()
    for lang in TICO_LANGS:
        z = zipfile.ZipFile(shared / "tico19_parallel" / "TM" / f"all.en-{lang}.tmx.zip")
        name = next(n for n in z.namelist() if n.endswith(".tmx") and not n.startswith("__MACOSX"))
        root = ET.fromstring(z.read(name))
        rows = []
        for tu in root.iter("tu"):
            segs = {}
            for tuv in tu.iter("tuv"):
                code = tuv.get("{http://www.w3.org/XML/1998/namespace}lang")
                seg = tuv.find("seg")
                segs[code] = clean("".join(seg.itertext())) if seg is not None else ""
            en = segs.pop("en", "")
            other = next(iter(segs.values()), "")
            if en and other:
                rows.append(f"{tu.get('tuid')}\t{en}\t{other}")
                if lang == "ar":
                    english_words.update(re.findall(r"[a-z]+", en.lower()))
        short = lang.split("-")[0]
        write_gz(out / "tico19" / f"en-{short}.tsv.gz", rows)
        print(f"tico19 en-{short}: {len(rows)} pairs", file=sys.stderr)
    return english_words


def b64num(s):
    v = 0
    for c in s:
        v = v * 64 + B64.index(c)
    return v


def freedict(dictd, out, vocab, max_pairs):
    for lang, name in DICTS.items():
        index = (dictd / f"freedict-{name}.index").read_text(encoding="utf-8").splitlines()
        body = gzip.open(dictd / f"freedict-{name}.dict.dz").read()
        pairs = set()
        for line in index:
            parts = line.split("\t")
            if len(parts) != 3 or parts[0].startswith("00-") or parts[0].startswith("00database"):
                continue
            text = body[b64num(parts[1]):b64num(parts[1]) + b64num(parts[2])].decode("utf-8", "replace")
            lines = text.split("\n")
            # The entry's first line keeps the headword's case: "Abblaserohr /ˈapbl.../ <neut, n, sg>".
            head = clean(re.sub(r"/[^/]*/|<[^>]*>", " ", lines[0]))
            lines = lines[1:]
            if not head or re.search(r"[0-9]", head):
                continue
            for t in lines:
                if not t.strip() or t.startswith("   ") or t.strip().startswith(("Note:", "see:", "Synonym")):
                    continue
                t = re.sub(r"\[[^\]]*\]|<[^>]*>|\([^)]*\)|\{[^}]*\}", " ", t)
                first = clean(re.sub(r"^\s*[0-9]+\.\s*", "", t).split(";")[0].split(",")[0])
                words = re.findall(r"[a-z]+", first.lower())
                if not first or not words or len(words) > 4 or len(head.split()) > 4:
                    break
                if all(vocab[w] >= 2 for w in words):
                    pairs.add(f"{head}\t{first}")
                break
        # A cap by a stable hash, not alphabetically, so every initial letter keeps its share.
        rows = sorted(pairs, key=lambda r: (hashlib.sha256(r.encode("utf-8")).hexdigest(), r))
        rows = sorted(rows[:max_pairs] if max_pairs else rows)
        write_gz(out / "freedict" / f"{lang}-en.tsv.gz", rows)
        print(f"freedict {lang}-en: {len(rows)} of {len(pairs)} pairs", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--freedict", type=Path, default=Path("/usr/share/dictd"))
    ap.add_argument("--labels", type=Path, default=Path("data/labels/open_labels.jsonl"))
    ap.add_argument("--max-dict", type=int, default=20000)
    a = ap.parse_args()
    vocab = tico(a.shared, a.out)
    with open(a.labels, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row.get("lang") == "en":
                vocab.update(re.findall(r"[a-z]+", row["text"].lower()))
    freedict(a.freedict, a.out, vocab, a.max_dict)


if __name__ == "__main__":
    main()
