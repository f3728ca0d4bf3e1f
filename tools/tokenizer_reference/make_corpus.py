#!/usr/bin/env python3
"""Builds the multilingual line sets for crema's tokenizer tests (docs/tokenizers.md).

Reads the open data in /work/shared/data (TICO-19 TMX, CC0; CrisisLex T26 tweets, MIT;
Figure Eight / rmunro originals, CC BY 4.0) and writes
  <out>/train.txt  lines to train the test tokenizers on (not committed)
  <out>/lines.txt  the committed test lines (disjoint from train.txt), one per line
Deterministic: a fixed seed, sorted inputs. Usage: make_corpus.py DATA_DIR OUT_DIR
"""
import csv, gzip, io, random, re, sys, zipfile, html
from pathlib import Path

data, out = Path(sys.argv[1]), Path(sys.argv[2])
rng = random.Random(20261205)

def clean(s):
    s = html.unescape(s).replace("\r", " ").replace("\n", " ").strip()
    return s

def tico():
    res = {}
    for z in sorted((data / "tico19_parallel" / "TM").glob("all.en-*.tmx.zip")):
        lang = z.name[len("all.en-"):-len(".tmx.zip")]
        with zipfile.ZipFile(z) as zf:
            text = zf.read(zf.namelist()[0]).decode("utf-8")
        tus = re.findall(r"<tu .*?</tu>", text, flags=re.S)
        en, xx = [], []
        for tu in tus:
            segs = re.findall(r'<tuv xml:lang="([^"]+)">\s*<seg>(.*?)</seg>', tu, flags=re.S)
            for l, s in segs:
                (en if l == "en" else xx).append(clean(s))
        res[lang] = xx
        res.setdefault("en", en)
    return res

def crisislex():
    rows = []
    with gzip.open(data / "crisislex_t26" / "crisislex_t26_labeled_all.csv.gz", "rt", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows.append(clean(r["tweet_text"]))
    return rows

def figure8():
    rows = []
    for name in ("rmunro_disaster_response_test.csv.gz", "rmunro_disaster_response_validation.csv.gz"):
        with gzip.open(data / "figure8_disaster_response" / name, "rt", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                if r["original"].strip():
                    rows.append(clean(r["original"]))
    return rows

sources = {f"tico-{k}": v for k, v in tico().items()}
sources["crisislex"] = crisislex()
sources["figure8"] = figure8()
train, test = [], []
for name in sorted(sources):
    lines = sorted(set(l for l in sources[name] if l))
    rng.shuffle(lines)
    n_test = 300 if name in ("crisislex", "figure8") else 160
    test += lines[:n_test]
    train += lines[n_test:n_test + 2500]
# Edge cases the data lacks: accents, control characters, CJK, emoji, long words, spaces.
test += [
    "", " ", "  leading and trailing  ", "tab\tand\nnewline", "ÀÉÎÕÜ àéîõü Ñandú ﬁ ＦＵＬＬＷＩＤＴＨ",
    "zero\u200bwidth joiner\u200d and soft\u00adhyphen", "control\u0001\u0007chars\u007f",
    "中文字符和日本語のテキスト 한국어", "emoji 🆘🚑🔥🌊 👩‍👩‍👧 flags 🇵🇭", "a" * 150,
    "Supercalifragilisticexpialidocious-antidisestablishmentarianism",
    "numbers 1,234.56 and 2026-12-05 12:30", "@user #hashtag http://t.co/AbC123 RT:",
    "don't won't y'all 'quoted' \"double\"", "﷽ ؟ العربية", "𝐛𝐨𝐥𝐝 𝔣𝔯𝔞𝔨𝔱𝔲𝔯 ①②③ ㍿",
    "e\u0301 combining vs é precomposed", "ﾊﾝｶｸ ｶﾀｶﾅ", "  multiple   spaces\u3000ideographic",
    "<s> [CLS] [MASK] </s> <pad> special-looking tokens",
]
test = [l.replace("\n", " ").replace("\r", " ") if i < len(test) - 20 else l.replace("\n", "\\n") for i, l in enumerate(test)]
train = [l for l in train if "\n" not in l]
out.mkdir(parents=True, exist_ok=True)
(out / "train.txt").write_text("\n".join(train) + "\n", encoding="utf-8")
(out / "lines.txt").write_text("\n".join(test) + "\n", encoding="utf-8")
print(f"train {len(train)} lines, test {len(test)} lines")
