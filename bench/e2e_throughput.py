#!/usr/bin/env python3
"""End-to-end throughput of `crema run` (and `crema classify`) on N posts made by repeating
the bundled sample with new ids, on a given number of threads.

    python3 bench/e2e_throughput.py [--crema build/release/apps/cli/crema] [--posts 100000]
                                    [--threads 2] [--repeat 3] [--encoder glove-sif]

Prints one JSON object: medians over --repeat runs of posts/s for the whole pipeline and
for classify-only, the per-stage seconds from `crema run --json`, and the reference: a
plain `wc -l` pass over the same file measured in the same run (the ratio says how far
crema is from raw I/O on this machine).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_input(path, n):
    with open(os.path.join(ROOT, "data/sample/sample_posts.jsonl"), encoding="utf-8", errors="replace") as f:
        posts = []
        for line in f:
            try:
                p = json.loads(line)
            except ValueError:
                continue
            if isinstance(p, dict) and isinstance(p.get("text"), str) and p.get("id"):
                posts.append(p)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            p = dict(posts[i % len(posts)])
            p["id"] = f"bench-{i}"
            # Vary the text a little so near-duplicate detection does real work.
            p["text"] = f'{p["text"]} #{i % 97}'
            out.write(json.dumps(p, ensure_ascii=False) + "\n")


def timed(cmd):
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({res.returncode}): {res.stderr[-2000:]}")
    return elapsed, res.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--crema", default=os.path.join(ROOT, "build/release/apps/cli/crema"))
    ap.add_argument("--posts", type=int, default=100000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--encoder", default="")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="crema_bench_")
    try:
        data = os.path.join(work, "posts.jsonl")
        make_input(data, args.posts)
        enc = ["--encoder", args.encoder] if args.encoder else []
        ref, run, cls, stages = [], [], [], []
        for _ in range(args.repeat):
            ref.append(timed(["wc", "-l", data])[0])
            out = os.path.join(work, "out")
            shutil.rmtree(out, ignore_errors=True)
            elapsed, stdout = timed([args.crema, "--json", "--threads", str(args.threads), "run", "--in", data,
                                     "--out", out] + enc)
            run.append(elapsed)
            stages.append(json.loads(stdout)["seconds"])
            elapsed, _ = timed([args.crema, "--quiet", "--threads", str(args.threads), "classify", "--in", data,
                                "--out", os.path.join(work, "labels.jsonl")] + enc)
            cls.append(elapsed)
        med = statistics.median
        result = {
            "posts": args.posts,
            "threads": args.threads,
            "run_posts_per_s": round(args.posts / med(run)),
            "classify_posts_per_s": round(args.posts / med(cls)),
            "run_seconds_median": round(med(run), 3),
            "run_stage_seconds_median": {k: round(med([s[k] for s in stages]), 3) for k in stages[0]},
            "reference_wc_l_seconds_median": round(med(ref), 4),
            "run_over_reference_ratio": round(med(run) / med(ref), 1),
        }
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
