#!/usr/bin/env python3
"""Scale benchmark of `crema analyse`: wall time, posts/s and peak RSS on synthetic stores.

For each store size it writes a synthetic store with crema_synthetic_store (population-weighted
GeoNames cities, bench/synthetic_store.cc), then times, in the same run, a reference full scan
of the posts table with the sqlite3 shell and the real `crema analyse` binary, each --runs
times, and reports medians. Peak RSS is the child's ru_maxrss (os.wait4), i.e. what
`/usr/bin/time -v` prints as "Maximum resident set size". analyse's totals are checked
against what the generator wrote; a mismatch fails the run (exit 1).

    bench/analyse_scale.py --build build/anbench-rel                       # 10^4, 10^5, 10^6
    bench/analyse_scale.py --build build/anbench-rel --posts 10000000 --runs 1

Stores are kept under --workdir (default /tmp/crema_analyse_scale) and reused when the
generator's summary next to them matches (--regenerate to rebuild). Never put them in the repo.
Results: a Markdown table on stdout and, with --json FILE, every measurement.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run_child(argv, stdout_path=None):
    """Runs argv; returns (wall seconds, peak RSS in bytes, stdout text). Fails on non-zero exit."""
    out = open(stdout_path, "w+b") if stdout_path else tempfile.TemporaryFile()
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE)
        # wait4 gives this child's own rusage (RUSAGE_CHILDREN would be the max over all).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        out.seek(0)
        text = out.read().decode(errors="replace")
    finally:
        out.close()
    if proc.returncode != 0:
        sys.exit(f"analyse_scale: {' '.join(argv)} exited {proc.returncode}:\n{err[-2000:]}")
    return wall, usage.ru_maxrss * 1024, text


def generate(args, posts):
    store = os.path.join(args.workdir, f"synthetic_{posts}_seed{args.seed}.sqlite")
    meta = store + ".summary.json"
    if not args.regenerate and os.path.exists(store) and os.path.exists(meta):
        with open(meta) as f:
            summary = json.load(f)
        if summary.get("posts_written") == posts and summary.get("seed") == args.seed and summary.get("days") == args.days:
            return store, summary, None
    argv = [args.generator, "--out", store, "--posts", str(posts), "--seed", str(args.seed),
            "--days", str(args.days), "--force", "--quiet"]
    if args.gazetteer:
        argv += ["--gazetteer", args.gazetteer]
    print(f"generating {posts} posts -> {store}", file=sys.stderr)
    wall, rss, text = run_child(argv)
    summary = json.loads(text)
    with open(meta, "w") as f:
        json.dump(summary, f)
    return store, summary, {"wall_s": wall, "peak_rss_bytes": rss}


def count_groups(report):
    keys = ["countries", "admin1", "cities", "languages", "resources", "days", "weeks", "months"]
    groups = {k: len(report[k]) for k in keys}
    groups["unmet_cells"] = len(report["unmet_need"]["cells"])
    groups["total"] = sum(groups.values())
    return groups


def check(report, summary, posts):
    """analyse's totals against what the generator wrote; returns a list of mismatches."""
    t, pl, s = report["totals"], report["placement"], summary
    labels = s["labels"]
    with_point = s["posts"] - s["geo_sources"]["none"]
    expect = {
        "totals.posts": (t["posts"], s["posts"]),
        "totals.skipped_duplicates": (t["skipped_duplicates"], s["duplicates"]),
        "posts + duplicates": (t["posts"] + t["skipped_duplicates"], posts),
        "totals.request": (t["request"], labels["request"]),
        "totals.offer": (t["offer"], labels["offer"]),
        "totals.request_and_offer": (t["request_and_offer"], labels["request_and_offer"]),
        "totals.irrelevant": (t["irrelevant"], labels["irrelevant"]),
        "totals.unknown": (t["unknown"], labels["unknown"]),
        "totals.without_resources": (t["without_resources"], s["without_resources"]),
        "placement.no_coordinates": (pl["no_coordinates"], s["geo_sources"]["none"]),
        "placed + invalid + outside": (pl["placed"] + pl["invalid_coordinates"] + pl["outside_polygons"], with_point),
        "unmet_need.requests_met": (report["unmet_need"]["requests_met"], s["requests_met"]),
        "requests met + unmet": (report["unmet_need"]["requests_met"] + report["unmet_need"]["requests_unmet"],
                                 s["requests"]),
        "cities": (len(report["cities"]), s["distinct"]["cities"]),
        "admin1": (len(report["admin1"]), s["distinct"]["admin1"]),
        "languages": (len(report["languages"]), s["distinct"]["languages"]),
        "days": (len(report["days"]), s["distinct"]["days"]),
    }
    return [f"{k}: analyse {a} != generated {b}" for k, (a, b) in expect.items() if a != b]


def measure(args, posts):
    store, summary, gen = generate(args, posts)
    out_dir = os.path.join(args.workdir, f"out_{posts}")
    scan_sql = "SELECT count(*), sum(length(text)) FROM posts"
    scans, runs = [], []
    report = None
    # Interleaved, so a burst of load from elsewhere hits both alike.
    for _ in range(args.runs):
        wall, rss, text = run_child([args.sqlite3, "-readonly", store, scan_sql])
        scans.append({"wall_s": wall, "peak_rss_bytes": rss, "result": text.strip()})
        stdout_path = os.path.join(args.workdir, f"analyse_{posts}.json")
        wall, rss, text = run_child([args.crema, "analyse", "--db", store, "--out", out_dir, "--min-count", "0",
                                     "--json"], stdout_path)
        report = json.loads(text)
        runs.append({"wall_s": wall, "peak_rss_bytes": rss, "pass_s": report["seconds"]})
    mismatches = check(report, summary, posts)
    wall = statistics.median(r["wall_s"] for r in runs)
    pass_s = statistics.median(r["pass_s"] for r in runs)
    rss = statistics.median(r["peak_rss_bytes"] for r in runs)
    scan = statistics.median(s["wall_s"] for s in scans)
    return {
        "posts": posts,
        "store": store,
        "store_bytes": os.path.getsize(store),
        "generator": summary,
        "generate": gen,
        "groups": count_groups(report),
        "placement": report["placement"],
        "scan_runs": scans,
        "analyse_runs": runs,
        "median": {"analyse_wall_s": wall, "analyse_pass_s": pass_s, "peak_rss_bytes": rss, "scan_wall_s": scan,
                   "posts_per_s_wall": posts / wall, "posts_per_s_pass": posts / pass_s,
                   "analyse_over_scan": wall / scan},
        "mismatches": mismatches,
    }


def markdown(results, load_before, load_after):
    base_rss = results[0]["median"]["peak_rss_bytes"]
    lines = [
        "| posts | store MB | groups | sqlite3 scan s | analyse wall s | pass s | posts/s (wall) | analyse ÷ scan "
        "| peak RSS MB | RSS ÷ smallest |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        m = r["median"]
        lines.append(
            f"| {r['posts']:,} | {r['store_bytes'] / 1e6:,.0f} | {r['groups']['total']:,} | {m['scan_wall_s']:.2f} "
            f"| {m['analyse_wall_s']:.2f} | {m['analyse_pass_s']:.2f} | {m['posts_per_s_wall'] / 1e6:.2f} M "
            f"| {m['analyse_over_scan']:.2f} | {m['peak_rss_bytes'] / 2**20:.1f} "
            f"| {m['peak_rss_bytes'] / base_rss:.2f} |")
    lines.append("")
    lines.append(f"load average (1/5/15 min) before: {load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}, "
                 f"after: {load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f}")
    for r in results:
        g = r["groups"]
        lines.append(f"- {r['posts']:,} posts: groups " + ", ".join(f"{k} {v:,}" for k, v in g.items() if k != "total")
                     + f"; placed {r['placement']['placed']:,}, unplaced {r['placement']['unplaced']:,}")
    if len(results) >= 2:
        a, b = results[-2], results[-1]
        slope = (b["median"]["analyse_wall_s"] - a["median"]["analyse_wall_s"]) / (b["posts"] - a["posts"])
        fixed = a["median"]["analyse_wall_s"] - slope * a["posts"]
        lines.append(f"- linear fit through the two largest sizes: {fixed:.2f} s + {slope * 1e6:.3f} s per 10^6 posts "
                     f"-> 10^7 posts ≈ {fixed + slope * 1e7:.0f} s")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build/anbench-rel", help="Release build dir with crema and crema_synthetic_store")
    p.add_argument("--crema", help="crema binary (default BUILD/apps/cli/crema)")
    p.add_argument("--generator", help="crema_synthetic_store binary (default BUILD/bench/crema_synthetic_store)")
    p.add_argument("--gazetteer", help="compiled gazetteer for the generator (default: the build's)")
    p.add_argument("--sqlite3", default=shutil.which("sqlite3") or "sqlite3", help="sqlite3 shell for the reference scan")
    p.add_argument("--posts", type=int, nargs="+", default=[10000, 100000, 1000000], help="store sizes")
    p.add_argument("--runs", type=int, default=3, help="runs per size (medians are reported)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "crema_analyse_scale"))
    p.add_argument("--regenerate", action="store_true", help="rewrite the stores even if present")
    p.add_argument("--json", help="write all measurements to this file")
    args = p.parse_args()
    args.crema = args.crema or os.path.join(args.build, "apps", "cli", "crema")
    args.generator = args.generator or os.path.join(args.build, "bench", "crema_synthetic_store")
    for binary in (args.crema, args.generator):
        if not os.access(binary, os.X_OK):
            sys.exit(f"analyse_scale: {binary} not found (build the crema and crema_synthetic_store targets)")
    if shutil.which(args.sqlite3) is None:
        sys.exit(f"analyse_scale: {args.sqlite3} not found (apt-get install sqlite3)")
    if args.runs < 1:
        sys.exit("analyse_scale: --runs must be >= 1")
    os.makedirs(args.workdir, exist_ok=True)

    load_before = os.getloadavg()
    results = [measure(args, n) for n in sorted(args.posts)]
    load_after = os.getloadavg()
    print(markdown(results, load_before, load_after))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"load_before": load_before, "load_after": load_after, "results": results}, f, indent=1)
    bad = [f"{r['posts']} posts: {m}" for r in results for m in r["mismatches"]]
    if bad:
        sys.exit("analyse_scale: analyse disagrees with the generator:\n" + "\n".join(bad))


if __name__ == "__main__":
    main()
