#!/usr/bin/env python3
"""Build models/glove-sif/glove-sif.bin for the "glove-sif" encoder (SIF, Arora et al. 2017).

Input: GloVe 6B 100d, top 100k words, word2vec binary (shared/models/glove-6B-100d-top100k).
Output, one little-endian file (layout in docs/encoders.md):
  header (40 bytes): "CRGLOVE1", u32 version=1, u32 dim, u32 words, u32 0, f32 a, u32 0,
                     u64 vocab_bytes
  f32 scale[words]   per-row int8 scale (max |v| / 127)
  f32 weight[words]  SIF weight a / (a + p(w))
  f32 pc[dim]        first principal component of corpus sentence vectors (unit norm)
  i8  rows[words*dim]
  vocab              words lines, UTF-8, each ended by '\n'
p(w) comes from the word's frequency rank r (GloVe's file is frequency-ordered) by Zipf's
law over GloVe's 400k vocabulary: p(r) = 1 / (r * H_400000). The principal component is
computed by power iteration on the uncentred SIF sentence vectors (as in the SIF paper's
code) of up to --pc-texts texts from CrisisLex T6 and T26, tokenised like crema's
word_tokens (lower-cased letter/digit runs) after URL/@mention replacement. Pure Python,
no numpy. Deterministic.

Usage:
  tools/make_glove_sif.py --glove /work/shared/models/glove-6B-100d-top100k/glove.6B.100d.top100k.w2v.bin \
      --data /work/shared/data --out models/glove-sif/glove-sif.bin [--words 100000]
"""
import argparse, array, csv, glob, gzip, html, math, operator, os, random, re, struct, sys

GLOVE_VOCAB = 400000
TOKEN = re.compile(r"[^\W_]+")
URL = re.compile(r"(https?://\S+|www\.\S+)")
MENTION = re.compile(r"@\w+")

def read_w2v(path, limit):
    words, vecs = [], []
    with open(path, "rb") as f:
        n, dim = map(int, f.readline().split())
        for _ in range(min(n, limit)):
            w = bytearray()
            while True:
                c = f.read(1)
                if c == b" ":
                    break
                w += c
            v = array.array("f")
            v.frombytes(f.read(4 * dim))
            if sys.byteorder != "little":
                v.byteswap()
            f.read(1)  # '\n'
            words.append(w.decode("utf-8"))
            vecs.append(v)
    return words, vecs, dim

def corpus(root, limit, seed):
    texts = []
    for path in sorted(glob.glob(os.path.join(root, "crisislex_t6", "*.csv.gz"))):
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
            r = csv.reader(f); next(r, None)
            texts += [row[1] for row in r if len(row) >= 2]
    with gzip.open(os.path.join(root, "crisislex_t26", "crisislex_t26_labeled_all.csv.gz"), "rt",
                   encoding="utf-8", errors="replace") as f:
        texts += [row.get("tweet_text", "") for row in csv.DictReader(f)]
    texts = sorted(set(texts))
    random.Random(seed).shuffle(texts)
    return texts[:limit]

def tokens(text):
    text = MENTION.sub("@USER", URL.sub("HTTPURL", html.unescape(text)))
    return TOKEN.findall(text.lower())

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--glove", required=True)
    ap.add_argument("--data", default="/work/shared/data")
    ap.add_argument("--out", default="models/glove-sif/glove-sif.bin")
    ap.add_argument("--words", type=int, default=100000)
    ap.add_argument("--a", type=float, default=1e-3)
    ap.add_argument("--pc-texts", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()

    words, vecs, dim = read_w2v(a.glove, a.words)
    h = sum(1.0 / r for r in range(1, GLOVE_VOCAB + 1))
    weights = [a.a / (a.a + 1.0 / (r * h)) for r in range(1, len(words) + 1)]
    scales, rows = [], []
    for v in vecs:
        m = max(abs(x) for x in v)
        s = m / 127.0 if m > 0 else 1.0
        scales.append(s)
        rows.append([max(-127, min(127, int(round(x / s)))) for x in v])
    index = {}
    for i, w in enumerate(words):
        index.setdefault(w, i)

    # Sentence vectors from the dequantised rows (what the encoder sees).
    sents = []
    for text in corpus(a.data, a.pc_texts, a.seed):
        acc = [0.0] * dim
        n = 0
        for t in tokens(text):
            i = index.get(t)
            if i is None:
                continue
            w = weights[i] * scales[i]
            acc = list(map(operator.add, acc, [w * q for q in rows[i]]))
            n += 1
        if n:
            sents.append(acc)
    v = [1.0 / math.sqrt(dim)] * dim
    for it in range(100):
        proj = [sum(map(operator.mul, s, v)) for s in sents]
        nv = [0.0] * dim
        for p, s in zip(proj, sents):
            nv = list(map(operator.add, nv, [p * x for x in s]))
        norm = math.sqrt(sum(x * x for x in nv))
        nv = [x / norm for x in nv]
        delta = math.sqrt(sum((x - y) ** 2 for x, y in zip(nv, v)))
        v = nv
        if delta < 1e-7:
            break
    print(f"pc: {len(sents)} sentences, {it + 1} power iterations", file=sys.stderr)

    vocab = "".join(w + "\n" for w in words).encode("utf-8")
    with open(a.out + ".tmp", "wb") as f:
        f.write(b"CRGLOVE1")
        f.write(struct.pack("<IIIIfIQ", 1, dim, len(words), 0, a.a, 0, len(vocab)))
        f.write(struct.pack(f"<{len(words)}f", *scales))
        f.write(struct.pack(f"<{len(words)}f", *weights))
        f.write(struct.pack(f"<{dim}f", *v))
        for r in rows:
            f.write(struct.pack(f"{dim}b", *r))
        f.write(vocab)
    os.replace(a.out + ".tmp", a.out)
    print(f"{a.out}: {len(words)} words x {dim} dims, {os.path.getsize(a.out)} bytes", file=sys.stderr)

if __name__ == "__main__":
    main()
