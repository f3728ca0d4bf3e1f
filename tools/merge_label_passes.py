#!/usr/bin/env python3
"""Merges the two independent labelling passes of the pool (docs/annotation.md) into
crema's labelled set, with agreement statistics.

    python3 tools/merge_label_passes.py [--root data/labels]

Reads  pool/pool.jsonl, passes/A/*.jsonl, passes/B/*.jsonl, adjudication/adjudicated.jsonl
(optional), synthetic/synthetic_posts.jsonl.
Writes adjudication/todo.jsonl   posts whose two labels differ (text + both readings),
       crema_labels.jsonl        agreed + adjudicated posts, then the synthetic ones
                                 ("synthetic": true: train-only), in the format
                                 `crema train classifier` reads,
       agreement.json            Cohen's kappa (4-class, per class one-vs-rest, per
                                 resource), raw agreement, counts.
Resources of a kept post: those both passes chose; if that is empty for an actionable post,
the union (an adjudicated post takes the adjudicator's resources). Deterministic.

adjudicated.jsonl is append-only history: when a pool_id occurs more than once, its last row
wins. A row for a post the two passes agreed on is a relabel (a guide rule added after the
passes, docs/annotation.md §2.14): the post takes the row's label and resources and is marked
"annotation": "relabelled". Agreement is always between the passes as they were made, reported
for all posts and per labelling round (round 2 starts at counts.json's extension_first_chunk,
round 3 at its round3_first_chunk, round 4 at its round4_first_chunk, round 5 at its
round5_first_chunk, round 6 at its round6_first_chunk; a round without passes yet is left out).
"""
import argparse
import glob
import json
import os
from collections import Counter

LABELS = ["request", "offer", "request_and_offer", "irrelevant"]
RESOURCES = ["money", "volunteers", "clothing", "shelter", "medical", "food", "water",
             "transport", "power", "blood", "other"]


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_pass(directory):
    labels = {}
    for path in sorted(glob.glob(os.path.join(directory, "chunk_*.jsonl"))):
        for row in read_jsonl(path):
            if row.get("label") not in LABELS:
                raise SystemExit(f"{path}: {row.get('pool_id')}: bad label {row.get('label')!r}")
            labels[row["pool_id"]] = row
    return labels


def chunk_of_posts(pool_dir):
    """pool_id -> chunk number, from the chunk files labellers read."""
    chunks = {}
    for path in sorted(glob.glob(os.path.join(pool_dir, "chunks", "chunk_*.jsonl"))):
        number = int(os.path.basename(path)[len("chunk_"):-len(".jsonl")])
        for row in read_jsonl(path):
            chunks[row["pool_id"]] = number
    return chunks


def kappa(pairs):
    """Cohen's kappa of a list of (a, b) category pairs."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(a == b for a, b in pairs) / n
    ca = Counter(a for a, _ in pairs)
    cb = Counter(b for _, b in pairs)
    expected = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    return 1.0 if expected == 1 else round((observed - expected) / (1 - expected), 4)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default="data/labels")
    args = ap.parse_args()
    root = args.root
    pool = {row["pool_id"]: row for row in read_jsonl(os.path.join(root, "pool/pool.jsonl"))}
    a = read_pass(os.path.join(root, "passes/A"))
    b = read_pass(os.path.join(root, "passes/B"))
    adjudicated_path = os.path.join(root, "adjudication/adjudicated.jsonl")
    adjudicated = {}
    if os.path.exists(adjudicated_path):
        for row in read_jsonl(adjudicated_path):
            if row.get("label") not in LABELS:
                raise SystemExit(f"{adjudicated_path}: {row.get('pool_id')}: bad label {row.get('label')!r}")
            adjudicated[row["pool_id"]] = row  # the last row of a pool_id wins

    both = [pid for pid in pool if pid in a and pid in b]

    def agreement(ids):
        pairs = [(a[p]["label"], b[p]["label"]) for p in ids]
        actionable = [p for p in ids if a[p]["label"] != "irrelevant" and b[p]["label"] != "irrelevant"]
        return {
            "labelled_by_both": len(ids),
            "raw_agreement": round(sum(x == y for x, y in pairs) / len(pairs), 4) if pairs else None,
            "kappa_4class": kappa(pairs),
            "kappa_per_class": {c: kappa([(x == c, y == c) for x, y in pairs]) for c in LABELS},
            "kappa_per_resource": {
                r: kappa([(r in a[p].get("resources", []), r in b[p].get("resources", [])) for p in actionable])
                for r in RESOURCES},
            "pass_a_counts": dict(Counter(x for x, _ in pairs)),
            "pass_b_counts": dict(Counter(y for _, y in pairs)),
            "disagreements": sum(1 for x, y in pairs if x != y),
        }

    report = {"pool": len(pool)}
    report.update(agreement(both))
    counts_path = os.path.join(root, "pool/counts.json")
    round_starts = []  # first chunk of round 2, 3, ...
    if os.path.exists(counts_path):
        with open(counts_path, encoding="utf-8") as f:
            counts = json.load(f)
        round_starts = [c for c in (counts.get("extension_first_chunk"), counts.get("round3_first_chunk"),
                                    counts.get("round4_first_chunk"), counts.get("round5_first_chunk"),
                                    counts.get("round6_first_chunk")) if c]
    round_of = {}
    rounds = []
    if round_starts:
        chunk = chunk_of_posts(os.path.join(root, "pool"))
        round_of = {p: 1 + sum(chunk.get(p, 0) >= first for first in round_starts) for p in both}
        # Only rounds with posts labelled by both passes (a drawn round awaiting its passes has none).
        rounds = sorted(set(round_of.values()))
        report["per_round"] = {
            str(r): agreement([p for p in both if round_of[p] == r]) for r in rounds}

    os.makedirs(os.path.join(root, "adjudication"), exist_ok=True)
    todo = []
    kept = []
    for pid in both:
        post, la, lb = pool[pid], a[pid], b[pid]
        if la["label"] == lb["label"] and pid in adjudicated:
            label = adjudicated[pid]["label"]
            resources = set(adjudicated[pid].get("resources", []))
            how = "relabelled"
        elif la["label"] == lb["label"]:
            label = la["label"]
            ra, rb = set(la.get("resources", [])), set(lb.get("resources", []))
            resources = ra & rb or (ra | rb)
            how = "agreed"
        elif pid in adjudicated:
            label = adjudicated[pid]["label"]
            resources = set(adjudicated[pid].get("resources", []))
            how = "adjudicated"
        else:
            todo.append({"pool_id": pid, "text": post["text"],
                         "A": {"label": la["label"], "resources": la.get("resources", [])},
                         "B": {"label": lb["label"], "resources": lb.get("resources", [])}})
            continue
        if label == "irrelevant":
            resources = set()
        kept.append({"text": post["text"], "label": label,
                     "resources": [r for r in RESOURCES if r in resources],
                     "lang": post.get("lang_hint", ""), "source": post["source"],
                     "source_id": post["source_id"], "event": post.get("event", ""),
                     "license": post.get("licence", ""), "pool_id": pid, "annotation": how})
    with open(os.path.join(root, "adjudication/todo.jsonl"), "w", encoding="utf-8") as f:
        for row in todo:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")

    synthetic = read_jsonl(os.path.join(root, "synthetic/synthetic_posts.jsonl"))
    with open(os.path.join(root, "crema_labels.jsonl"), "w", encoding="utf-8") as f:
        for row in kept:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        for row in synthetic:
            f.write(json.dumps({"text": row["text"], "label": row["label"], "resources": row["resources"],
                                "lang": row["lang"], "source": "crema_synthetic", "source_id": row["synthetic_id"],
                                "license": "CC0-1.0", "synthetic": True}, ensure_ascii=False) + "\n")
    report["adjudicated"] = sum(1 for r in kept if r["annotation"] == "adjudicated")
    relabelled = [r for r in kept if r["annotation"] == "relabelled"]
    report["relabelled"] = len(relabelled)
    report["relabelled_label_changed"] = sum(1 for r in relabelled if r["label"] != a[r["pool_id"]]["label"])
    report["relabel_changes"] = dict(Counter(f'{a[r["pool_id"]]["label"]}->{r["label"]}' for r in relabelled))
    report["awaiting_adjudication"] = len(todo)
    report["kept"] = len(kept)
    report["kept_counts"] = dict(Counter(r["label"] for r in kept))
    report["kept_languages"] = dict(Counter(r["lang"] for r in kept))
    report["kept_sources"] = dict(Counter(r["source"] for r in kept))
    report["kept_counts_by_language"] = {
        lang: dict(Counter(r["label"] for r in kept if r["lang"] == lang))
        for lang in sorted({r["lang"] for r in kept})}
    report["kept_counts_by_source"] = {
        src: dict(Counter(r["label"] for r in kept if r["source"] == src))
        for src in sorted({r["source"] for r in kept})}
    if round_of:
        for r in rounds:
            rows = [k for k in kept if round_of[k["pool_id"]] == r]
            report["per_round"][str(r)].update({
                "adjudicated": sum(1 for k in rows if k["annotation"] == "adjudicated"),
                "relabelled": sum(1 for k in rows if k["annotation"] == "relabelled"),
                "kept_counts": dict(Counter(k["label"] for k in rows)),
            })
    report["synthetic"] = len(synthetic)
    with open(os.path.join(root, "agreement.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2, sort_keys=True)
        f.write("\n")
    print(json.dumps(report, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
