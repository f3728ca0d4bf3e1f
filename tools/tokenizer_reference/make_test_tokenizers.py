#!/usr/bin/env python3
"""Trains/converts the small tokenizers of crema's tokenizer tests (docs/tokenizers.md).

Usage: make_test_tokenizers.py TRAIN_TXT SPM_DIR OUT_DIR
  SPM_DIR holds unigram.model and bpe.model from Debian's spm_train (see docs/tokenizers.md).
Writes under OUT_DIR:
  unigram-json/      tokenizer.json converted from unigram.model as HF's SpmConverter does
                     (Precompiled charsmap + Replace(" {2,}", " "), Metaspace, <s> $A </s>)
  unigram-model/     spiece.model (= unigram.model, read with libsentencepiece)
  spm-bpe-model/     sentencepiece.bpe.model (= bpe.model, fairseq ids as XLM-R)
  bytelevel-bpe/     tokenizer.json: byte-level BPE trained here (RoBERTa layout)
  bytelevel-bpe-files/ vocab.json + merges.txt + tokenizer_config.json of the same model
  wordpiece-cased/   tokenizer.json: WordPiece vocab built here, cased BertNormalizer
  wordpiece-seq/     tokenizer.json: same vocab, Sequence normalizers and pre-tokenizers
Deterministic for a given input.
"""
import base64, collections, json, shutil, struct, sys, unicodedata
from pathlib import Path
import regex

train_txt, spm_dir, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
lines = train_txt.read_text(encoding="utf-8").splitlines()

# ---- SentencePiece .model -> tokenizer.json ------------------------------------------------
def varint(b, i):
    v = s = 0
    while True:
        x = b[i]; i += 1
        v |= (x & 0x7F) << s; s += 7
        if x < 0x80:
            return v, i

def fields(b):
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 1:
            v = b[i:i + 8]; i += 8
        elif wt == 5:
            v = b[i:i + 4]; i += 4
        elif wt == 2:
            n, i = varint(b, i); v = b[i:i + n]; i += n
        else:
            raise ValueError(f"wire type {wt}")
        yield f, wt, v

def read_spm(path):
    pieces, charsmap = [], b""
    for f, wt, v in fields(path.read_bytes()):
        if f == 1:
            p = {"piece": "", "score": 0.0, "type": 1}
            for g, _, w in fields(v):
                if g == 1: p["piece"] = w.decode("utf-8")
                elif g == 2: p["score"] = struct.unpack("<f", w)[0]
                elif g == 3: p["type"] = w
            pieces.append(p)
        elif f == 3:
            for g, _, w in fields(v):
                if g == 2: charsmap = w
    return pieces, charsmap

def spm_to_tokenizer_json(model):
    pieces, charsmap = read_spm(model)
    unk_id = next(i for i, p in enumerate(pieces) if p["type"] == 2)
    specials = [(i, p["piece"]) for i, p in enumerate(pieces) if p["type"] in (2, 3)]
    ids = {p["piece"]: i for i, p in enumerate(pieces)}
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, s in specials],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(charsmap).decode()},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "post_processor": {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {s: {"id": s, "ids": [ids[s]], "tokens": [s]} for s in ("<s>", "</s>")}},
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": unk_id, "vocab": [[p["piece"], p["score"]] for p in pieces],
                  "byte_fallback": False},
    }

def write_json(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

write_json(out / "unigram-json" / "tokenizer.json", spm_to_tokenizer_json(spm_dir / "unigram.model"))
(out / "unigram-model").mkdir(parents=True, exist_ok=True)
shutil.copy(spm_dir / "unigram.model", out / "unigram-model" / "spiece.model")
(out / "spm-bpe-model").mkdir(parents=True, exist_ok=True)
shutil.copy(spm_dir / "bpe.model", out / "spm-bpe-model" / "sentencepiece.bpe.model")

# ---- byte-level BPE (GPT-2 pre-tokenization), trained here -----------------------------------
GPT2 = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
cs, n = bs[:], 0
for b in range(256):
    if b not in bs:
        bs.append(b); cs.append(256 + n); n += 1
BYTE = {b: chr(c) for b, c in zip(bs, cs)}

def train_bpe(words, n_merges):
    words = [(list(w), c) for w, c in words.items()]
    pairs, where = collections.Counter(), collections.defaultdict(set)
    for k, (w, c) in enumerate(words):
        for a, b in zip(w, w[1:]):
            pairs[a, b] += c; where[a, b].add(k)
    merges = []
    for _ in range(n_merges):
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        if pairs[best] < 2:
            break
        merges.append(best)
        for k in sorted(where.pop(best, ())):
            w, c = words[k]
            for a, b in zip(w, w[1:]):
                pairs[a, b] -= c
                if pairs[a, b] <= 0: del pairs[a, b]
            i, nw = 0, []
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    nw.append(w[i] + w[i + 1]); i += 2
                else:
                    nw.append(w[i]); i += 1
            words[k] = (nw, c)
            for a, b in zip(nw, nw[1:]):
                pairs[a, b] += c; where[a, b].add(k)
    return merges

bl_words = collections.Counter()
for line in lines:
    for m in GPT2.findall(line):
        bl_words["".join(BYTE[b] for b in m.encode("utf-8"))] += 1
merges = train_bpe(bl_words, 3000)
vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
for b in range(256):
    vocab.setdefault(BYTE[b], len(vocab))
for a, b in merges:
    vocab.setdefault(a + b, len(vocab))
vocab["<mask>"] = len(vocab)
added = [{"id": vocab[t], "content": t, "single_word": False, "lstrip": t == "<mask>", "rstrip": False,
          "normalized": t == "<mask>", "special": True} for t in ("<s>", "<pad>", "</s>", "<unk>", "<mask>")]
write_json(out / "bytelevel-bpe" / "tokenizer.json", {
    "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
    "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0], "trim_offsets": True,
                       "add_prefix_space": False},
    "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
    "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
              "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
              "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]}})
files = out / "bytelevel-bpe-files"
write_json(files / "vocab.json", vocab)
(files / "merges.txt").write_text("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges), encoding="utf-8")
write_json(files / "tokenizer_config.json", {"add_prefix_space": False, "bos_token": "<s>", "eos_token": "</s>",
                                             "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>"})

# ---- WordPiece vocab built here (characters, frequent words, frequent pieces) ----------------
def bert_words(line):
    out, cur = [], []
    for ch in line:
        if ch.isspace():
            if cur: out.append("".join(cur)); cur = []
        elif unicodedata.category(ch).startswith("P") or (ch.isascii() and not ch.isalnum() and ch.isprintable()):
            if cur: out.append("".join(cur)); cur = []
            out.append(ch)
        elif 0x4E00 <= ord(ch) <= 0x9FFF:
            if cur: out.append("".join(cur)); cur = []
            out.append(ch)
        else:
            cur.append(ch)
    if cur: out.append("".join(cur))
    return out

wcount, chars, pieces = collections.Counter(), collections.Counter(), collections.Counter()
for line in lines:
    for w in bert_words(line):
        wcount[w] += 1
        for ch in w: chars[ch] += 1
        for k in range(2, 6):
            if len(w) > k: pieces["##" + w[-k:]] += 1; pieces[w[:k]] += 1
wp = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
for ch, c in sorted(chars.items(), key=lambda kv: (-kv[1], kv[0])):
    if c >= 3: wp += [ch, "##" + ch]
wp += [w for w, _ in sorted(wcount.items(), key=lambda kv: (-kv[1], kv[0]))[:4000]]
wp += [p for p, _ in sorted(pieces.items(), key=lambda kv: (-kv[1], kv[0]))[:3000]]
seen, wp_vocab = set(), {}
for t in wp:
    if t not in seen:
        seen.add(t); wp_vocab[t] = len(wp_vocab)
wp_added = [{"id": wp_vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True} for t in wp[:5]]
wp_model = {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100, "vocab": wp_vocab}
template = {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {t: {"id": t, "ids": [wp_vocab[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")}}
write_json(out / "wordpiece-cased" / "tokenizer.json", {
    "version": "1.0", "truncation": None, "padding": None, "added_tokens": wp_added,
    "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                   "strip_accents": False, "lowercase": False},
    "pre_tokenizer": {"type": "BertPreTokenizer"}, "post_processor": template,
    "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True}, "model": wp_model})
write_json(out / "wordpiece-seq" / "tokenizer.json", {
    "version": "1.0", "truncation": None, "padding": None, "added_tokens": wp_added,
    "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKD"}, {"type": "StripAccents"}, {"type": "NFC"},
                   {"type": "Replace", "pattern": {"String": "``"}, "content": "\""}]},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "WhitespaceSplit"}, {"type": "Punctuation", "behavior": "Contiguous"},
        {"type": "Digits", "individual_digits": True}]},
    "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", wp_vocab["[SEP]"]], "cls": ["[CLS]", wp_vocab["[CLS]"]]},
    "decoder": None, "model": wp_model})
print("bpe merges", len(merges), "bpe vocab", len(vocab), "wordpiece vocab", len(wp_vocab))
