#!/usr/bin/python3
"""Writes tiny random-weight Hugging Face model folders and reference outputs for crema's
nn parity tests (tests/testdata/nn/hf/, docs/nn.md).

Each folder: config.json, model.safetensors, tokenizer.json (WordPiece), reference.json.
The reference is an independent float64 PyTorch implementation of the published
architectures (BERT, RoBERTa, XLM-R, DistilBERT, MPNet) written from the papers and the
transformers source semantics, not from crema's code. Needs python3-torch and python3-numpy
(Debian): /usr/bin/python3 tools/make_nn_fixtures.py [out_dir]

Torch-format copies (pytorch_model.bin written by torch.save, no model.safetensors, same
weights as the safetensors folder, so the reference there applies): bert-bin (float32, with
the int64 position_ids buffer older HF checkpoints carry, q/k/v as views into one shared
storage, state_dict._metadata as nn.Module writes it), distilbert-bin (float16) and
xlm-roberta-bin (bfloat16). cho: CHO's mean-pooling + linear head (CremaMeanPoolClassifier)
over a BERT encoder without the "bert." prefix, labels request/offer/request_and_offer/
irrelevant, stored only as pytorch_model.bin, with its own reference.json.
"""
import collections
import json
import math
import os
import struct
import sys

import numpy as np
import torch

H, L, A, I = 32, 2, 4, 64
LABELS = ["request", "offer", "other"]
CHO_LABELS = ["request", "offer", "request_and_offer", "irrelevant"]

SENTENCES = [
    "Need water and food at the shelter on 5th street!",
    "We can offer 20 blankets, DM us.",
    "Roads closed near the river; stay safe everyone.",
    "Volunteers needed for sandbagging tomorrow morning at 8am",
    "Anyone have a generator? Power out since Tuesday...",
    "donating clothes & baby formula - pick up downtown",
    "Pray for the families affected by the flooding",
    "urgent: insulin needed for elderly man, north side",
    "Free rides to the hospital, call 555 0199",
    "The storm flooded our school and many houses lost their roofs, families need tents, "
    "water, medicine and food; volunteers with boats please help the rescue teams tonight",
    "ok",
]

WORDS = ("need water and food at the shelter on street we can offer blankets us roads closed near "
         "river stay safe everyone volunteers needed for sand tomorrow morning anyone have a generator "
         "power out since pray families affected by flooding urgent insulin elderly man north side free "
         "rides to hospital call storm our school many houses lost their roofs tents medicine with boats "
         "please help rescue teams tonight pick up down town clothes baby formula").split()
SUFFIXES = ["##s", "##ing", "##ed", "##er", "##town", "##bag", "##ly"]


def vocab_for(family):
    if family in ("bert", "distilbert"):
        specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    else:
        specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    chars = [chr(c) for c in range(ord("a"), ord("z") + 1)] + [str(d) for d in range(10)]
    punct = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    vocab = specials + punct + chars + ["##" + c for c in chars] + [s for s in SUFFIXES if s[2:] not in chars]
    for w in WORDS:
        if w not in vocab:
            vocab.append(w)
    return vocab


def is_punct(ch):
    o = ord(ch)
    return 33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126


def wordpiece_ids(text, vocab, family):
    """BERT basic tokenizer (ASCII inputs: lower-case, whitespace and punctuation split) and
    greedy longest-match-first WordPiece, then the family's special tokens."""
    index = {t: i for i, t in enumerate(vocab)}
    unk = index["[UNK]" if family in ("bert", "distilbert") else "<unk>"]
    words, cur = [], ""
    for ch in text.lower():
        if ch.isspace():
            if cur:
                words.append(cur)
            cur = ""
        elif is_punct(ch):
            if cur:
                words.append(cur)
            words.append(ch)
            cur = ""
        else:
            cur += ch
    if cur:
        words.append(cur)
    ids = []
    for w in words:
        start, pieces = 0, []
        while start < len(w):
            end, found = len(w), None
            while start < end:
                sub = ("##" if start > 0 else "") + w[start:end]
                if sub in index:
                    found = index[sub]
                    break
                end -= 1
            if found is None:
                pieces = [unk]
                break
            pieces.append(found)
            start = end
        ids.extend(pieces)
    if family in ("bert", "distilbert"):
        return [index["[CLS]"]] + ids + [index["[SEP]"]]
    return [index["<s>"]] + ids + [index["</s>"]]


def tokenizer_json(vocab, family):
    bert = family in ("bert", "distilbert")
    index = {t: i for i, t in enumerate(vocab)}
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, t in enumerate(vocab[:5])]
    if bert:
        post = {"type": "BertProcessing", "sep": ["[SEP]", index["[SEP]"]], "cls": ["[CLS]", index["[CLS]"]]}
    else:
        post = {"type": "RobertaProcessing", "sep": ["</s>", index["</s>"]], "cls": ["<s>", index["<s>"]],
                "trim_offsets": True, "add_prefix_space": False}
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": post,
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]" if bert else "<unk>",
                  "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": index},
    }


def write_safetensors(path, tensors, dtype):
    """tensors: list of (name, float32 ndarray). dtype: F32, F16 or BF16."""
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name, a in tensors:
        a = np.ascontiguousarray(a, dtype=np.float32)
        if dtype == "F32":
            b = a.tobytes()
        elif dtype == "F16":
            b = a.astype(np.float16).tobytes()
        else:  # BF16: round to nearest even on the upper 16 bits
            u = a.view(np.uint32).astype(np.uint64)
            u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
            b = u.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def write_torch_bin(path, tensors, dtype, shared_qkv=False, buffers=None):
    """torch.save of a state dict (OrderedDict with _metadata, as nn.Module.state_dict gives).
    shared_qkv: each layer's query/key/value weights become views into one [3H, H] storage."""
    tdtype = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}[dtype]
    sd = collections.OrderedDict()
    for name, a in tensors:
        sd[name] = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).to(tdtype)
    if shared_qkv:
        for name in list(sd):
            if name.endswith("attention.self.query.weight"):
                p = name[: -len("query.weight")]
                qkv = torch.cat([sd[p + "query.weight"], sd[p + "key.weight"], sd[p + "value.weight"]])
                for i, n in enumerate(("query", "key", "value")):
                    sd[p + n + ".weight"] = qkv[i * H:(i + 1) * H]
    for name, t in (buffers or {}).items():
        sd[name] = t
    sd._metadata = collections.OrderedDict([("", {"version": 1})] + [(n.rsplit(".", 1)[0], {"version": 1}) for n in sd])
    torch.save(sd, path)


def stored(a, dtype):
    """The float32 values a reader gets back after storing a as dtype."""
    a = np.asarray(a, dtype=np.float32)
    if dtype == "F16":
        return a.astype(np.float16).astype(np.float32)
    if dtype == "BF16":
        u = a.view(np.uint32).astype(np.uint64)
        u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
        return u.astype(np.uint32).view(np.float32)
    return a


def rel_bucket(rel, num_buckets=32, max_distance=128):
    ret, n = 0, -rel
    num_buckets //= 2
    if n < 0:
        ret += num_buckets
    n = abs(n)
    max_exact = num_buckets // 2
    if n < max_exact:
        return ret + n
    v = np.float32(np.log(np.float32(n) / np.float32(max_exact))) / np.float32(math.log(max_distance / max_exact))
    v = int(np.float32(v) * np.float32(num_buckets - max_exact))
    return ret + min(max_exact + v, num_buckets - 1)


def gelu(x, act):
    if act == "gelu":
        return 0.5 * x * (1 + torch.erf(x / math.sqrt(2.0)))
    if act == "gelu_new":
        return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return torch.relu(x)


def reference(family, W, cfg, ids, cho=False):
    """Last hidden states [len, H] and logits of one unpadded sequence, float64."""
    t = lambda n: torch.tensor(W[n], dtype=torch.float64)
    eps = 1e-12 if family == "distilbert" else cfg["layer_norm_eps"]
    ln = lambda x, p: torch.nn.functional.layer_norm(x, (H,), t(p + ".weight"), t(p + ".bias"), eps)
    lin = lambda x, p: x @ t(p + ".weight").T + t(p + ".bias")
    n = len(ids)
    idx = torch.tensor(ids)
    pre = "" if cho else {"bert": "bert.", "roberta": "roberta.", "xlm-roberta": "", "distilbert": "distilbert.",
                          "mpnet": "mpnet."}[family]
    pos = torch.arange(n) + (cfg["pad_token_id"] + 1 if family in ("roberta", "xlm-roberta", "mpnet") else 0)
    x = t(pre + "embeddings.word_embeddings.weight")[idx] + t(pre + "embeddings.position_embeddings.weight")[pos]
    if family in ("bert", "roberta", "xlm-roberta"):
        x = x + t(pre + "embeddings.token_type_embeddings.weight")[torch.zeros(n, dtype=torch.long)]
    x = ln(x, pre + "embeddings.LayerNorm")
    bias = None
    if family == "mpnet":
        rb = t(pre + "encoder.relative_attention_bias.weight")
        buckets = torch.tensor([[rel_bucket(j - i) for j in range(n)] for i in range(n)])
        bias = rb[buckets].permute(2, 0, 1)  # [heads, q, k]
    act = cfg.get("hidden_act", cfg.get("activation"))
    for l in range(L):
        if family == "distilbert":
            p = f"{pre}transformer.layer.{l}."
            names = [p + "attention.q_lin", p + "attention.k_lin", p + "attention.v_lin", p + "attention.out_lin",
                     p + "sa_layer_norm", p + "ffn.lin1", p + "ffn.lin2", p + "output_layer_norm"]
        elif family == "mpnet":
            p = f"{pre}encoder.layer.{l}."
            names = [p + "attention.attn.q", p + "attention.attn.k", p + "attention.attn.v", p + "attention.attn.o",
                     p + "attention.LayerNorm", p + "intermediate.dense", p + "output.dense", p + "output.LayerNorm"]
        else:
            p = f"{pre}encoder.layer.{l}."
            names = [p + "attention.self.query", p + "attention.self.key", p + "attention.self.value",
                     p + "attention.output.dense", p + "attention.output.LayerNorm", p + "intermediate.dense",
                     p + "output.dense", p + "output.LayerNorm"]
        q, k, v = (lin(x, names[i]).view(n, A, H // A).transpose(0, 1) for i in range(3))
        s = q @ k.transpose(1, 2) / math.sqrt(H // A)
        if bias is not None:
            s = s + bias
        ctx = (torch.softmax(s, dim=-1) @ v).transpose(0, 1).reshape(n, H)
        x = ln(x + lin(ctx, names[3]), names[4])
        x = ln(x + lin(gelu(lin(x, names[5]), act), names[6]), names[7])
    logits = None
    first = x[0]
    if cho:  # CHO §3.4: linear layer over the mean of the last hidden states (all tokens)
        logits = lin(x.mean(0), "classifier")
    elif family == "bert":
        logits = lin(torch.tanh(lin(first, "bert.pooler.dense")), "classifier")
    elif family == "distilbert":
        logits = lin(torch.relu(lin(first, "pre_classifier")), "classifier")
    elif family in ("roberta", "mpnet"):
        logits = lin(torch.tanh(lin(first, "classifier.dense")), "classifier.out_proj")
    return x, logits


def make(family, out, seed, cho=False, bin_copy=False):
    name = family
    if cho:
        name, family = "cho", "bert"
    rng = np.random.default_rng(seed)
    vocab = vocab_for(family)
    V = len(vocab)
    dtype = {"bert": "F32", "roberta": "F32", "xlm-roberta": "BF16", "distilbert": "F16", "mpnet": "F32"}[family]
    pad = 0 if family in ("bert", "distilbert") else 1
    max_pos = 80
    if family == "distilbert":
        cfg = {"model_type": "distilbert", "architectures": ["DistilBertForSequenceClassification"], "dim": H,
               "n_layers": L, "n_heads": A, "hidden_dim": I, "activation": "gelu", "vocab_size": V,
               "max_position_embeddings": max_pos, "pad_token_id": pad, "sinusoidal_pos_embds": False}
    else:
        arch = {"bert": "BertForSequenceClassification", "roberta": "RobertaForSequenceClassification",
                "xlm-roberta": "XLMRobertaModel", "mpnet": "MPNetForSequenceClassification"}[family]
        cfg = {"model_type": family, "architectures": [arch], "hidden_size": H, "num_hidden_layers": L,
               "num_attention_heads": A, "intermediate_size": I,
               "hidden_act": "gelu_new" if family == "xlm-roberta" else "gelu",
               "layer_norm_eps": 1e-5 if family != "bert" else 1e-12, "vocab_size": V,
               "max_position_embeddings": max_pos + pad + 1 if pad else max_pos, "pad_token_id": pad,
               "type_vocab_size": 2 if family == "bert" else 1}
        if family == "mpnet":
            cfg["relative_attention_num_buckets"] = 32
            del cfg["type_vocab_size"]
    has_head = family != "xlm-roberta"
    labels = CHO_LABELS if cho else LABELS
    if cho:
        cfg["architectures"] = ["CremaMeanPoolClassifier"]
    if has_head:
        cfg["id2label"] = {str(i): n for i, n in enumerate(labels)}
        cfg["label2id"] = {n: i for i, n in enumerate(labels)}

    W = {}
    randn = lambda *s, std=0.2: (rng.standard_normal(s) * std).astype(np.float32)
    pre = "" if cho else {"bert": "bert.", "roberta": "roberta.", "xlm-roberta": "", "distilbert": "distilbert.",
                          "mpnet": "mpnet."}[family]
    W[pre + "embeddings.word_embeddings.weight"] = randn(V, H, std=0.5)
    W[pre + "embeddings.position_embeddings.weight"] = randn(cfg["max_position_embeddings"], H, std=0.5)
    if family in ("bert", "roberta", "xlm-roberta"):
        W[pre + "embeddings.token_type_embeddings.weight"] = randn(cfg["type_vocab_size"], H, std=0.5)

    def norm(p):
        W[p + ".weight"] = (1 + randn(H, std=0.1)).astype(np.float32)
        W[p + ".bias"] = randn(H, std=0.1)

    def dense(p, o, i, std=0.2):
        W[p + ".weight"] = randn(o, i, std=std)
        W[p + ".bias"] = randn(o, std=0.05)

    norm(pre + "embeddings.LayerNorm")
    for l in range(L):
        if family == "distilbert":
            p = f"{pre}transformer.layer.{l}."
            for n in ("q_lin", "k_lin", "v_lin", "out_lin"):
                dense(p + "attention." + n, H, H)
            norm(p + "sa_layer_norm")
            dense(p + "ffn.lin1", I, H)
            dense(p + "ffn.lin2", H, I, std=0.15)
            norm(p + "output_layer_norm")
        elif family == "mpnet":
            p = f"{pre}encoder.layer.{l}."
            for n in ("q", "k", "v", "o"):
                dense(p + "attention.attn." + n, H, H)
            norm(p + "attention.LayerNorm")
            dense(p + "intermediate.dense", I, H)
            dense(p + "output.dense", H, I, std=0.15)
            norm(p + "output.LayerNorm")
        else:
            p = f"{pre}encoder.layer.{l}."
            for n in ("query", "key", "value"):
                dense(p + "attention.self." + n, H, H)
            dense(p + "attention.output.dense", H, H)
            norm(p + "attention.output.LayerNorm")
            dense(p + "intermediate.dense", I, H)
            dense(p + "output.dense", H, I, std=0.15)
            norm(p + "output.LayerNorm")
    if family == "mpnet":
        W[pre + "encoder.relative_attention_bias.weight"] = randn(32, A, std=0.5)
    if cho:
        dense("classifier", len(labels), H, std=0.5)
    elif family == "bert":
        dense("bert.pooler.dense", H, H)
        dense("classifier", len(LABELS), H, std=0.5)
    elif family == "distilbert":
        dense("pre_classifier", H, H)
        dense("classifier", len(LABELS), H, std=0.5)
    elif family in ("roberta", "mpnet"):
        dense("classifier.dense", H, H)
        dense("classifier.out_proj", len(LABELS), H, std=0.5)

    if cho:
        # A head like a trained one: weights in the span of the directions along which the
        # sentences' pooled vectors differ, logits centred over the sentences, so the fixture
        # predicts several labels with margins well above int8 noise (a random head over
        # mean-pooled vectors, which differ little, gives near-ties).
        pooled = np.stack([reference(family, {n: stored(v, dtype) for n, v in W.items()}, cfg,
                                     wordpiece_ids(t, vocab, family), cho)[0].mean(0).numpy() for t in SENTENCES])
        centred = pooled - pooled.mean(0)
        _, sv, vt = np.linalg.svd(centred, full_matrices=False)
        mix = rng.standard_normal((len(labels), 4))
        w = (mix @ (vt[:4] / sv[:4, None])) * 2.0
        W["classifier.weight"] = w.astype(np.float32)
        W["classifier.bias"] = (-(pooled @ w.T).mean(0)).astype(np.float32)

    def write_folder(d, weights):
        os.makedirs(d, exist_ok=True)
        weights(d)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        with open(os.path.join(d, "tokenizer.json"), "w") as f:
            json.dump(tokenizer_json(vocab, family), f, separators=(",", ":"))

    d = os.path.join(out, name)
    if cho:
        write_folder(d, lambda d: write_torch_bin(os.path.join(d, "pytorch_model.bin"), sorted(W.items()), dtype))
    else:
        write_folder(d, lambda d: write_safetensors(os.path.join(d, "model.safetensors"), sorted(W.items()), dtype))
    if bin_copy:
        buffers = {}
        if family == "bert":
            buffers["bert.embeddings.position_ids"] = torch.arange(cfg["max_position_embeddings"]).unsqueeze(0)
        write_folder(os.path.join(out, name + "-bin"),
                     lambda d: write_torch_bin(os.path.join(d, "pytorch_model.bin"), sorted(W.items()), dtype,
                                               shared_qkv=family == "bert", buffers=buffers))

    Wr = {n: stored(a, dtype) for n, a in W.items()}
    cases = []
    for s in SENTENCES:
        ids = wordpiece_ids(s, vocab, family)
        x, logits = reference(family, Wr, cfg, ids, cho)
        case = {"text": s, "ids": ids,
                "hidden": [float(f"{v:.7g}") for v in x.reshape(-1).tolist()],
                "mean": [float(f"{v:.7g}") for v in x.mean(0).tolist()],
                "cls": [float(f"{v:.7g}") for v in x[0].tolist()]}
        if logits is not None:
            case["logits"] = [float(f"{v:.7g}") for v in logits.tolist()]
        cases.append(case)
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump({"family": name, "hidden_size": H, "labels": labels if has_head else [], "cases": cases}, f)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "testdata",
                                                              "nn", "hf")
    torch.set_default_dtype(torch.float64)
    for seed, family in enumerate(["bert", "roberta", "xlm-roberta", "distilbert", "mpnet"]):
        make(family, out, 1000 + seed, bin_copy=family in ("bert", "distilbert", "xlm-roberta"))
    make("bert", out, 1100, cho=True)


if __name__ == "__main__":
    main()
