#!/usr/bin/env python3
"""Scale benchmark of `crema analyse`: wall time, posts/s and peak RSS on synthetic stores.

For each store size it writes a synthetic store with crema_synthetic_store (population-weighted
GeoNames cities, bench/synthetic_store.cc), then times, in the same run, a reference full scan
of the posts table with the sqlite3 shell and the real `crema analyse` binary, each --runs
times, and reports medians. Peak RSS is GNU time's "%M" (what `/usr/bin/time -v` prints as
"Maximum resident set size"), for --min-count 50 (the default) and 0 (every group a row). analyse's totals are checked
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


TIME = "/usr/bin/time"  # GNU time (Debian package "time")


def run_child(argv, stdout_path=None):
    """Runs argv under GNU time; returns (wall seconds, peak RSS in bytes, stdout text, CPU
    seconds user + system).
    Fails on a non-zero exit.

    The peak RSS is what GNU time reads from wait4() for its own child. It is not taken from
    this script's os.wait4(): Linux keeps a process's RSS high-water mark across exec, so a
    child forked from this (large) Python process would report at least Python's RSS."""
    out = open(stdout_path, "w+b") if stdout_path else tempfile.TemporaryFile()
    with tempfile.NamedTemporaryFile("r", suffix=".time") as rss_file:
        try:
            start = time.perf_counter()
            proc = subprocess.run([TIME, "-f", "%M %U %S", "-o", rss_file.name, *argv], stdout=out, stderr=subprocess.PIPE)
            wall = time.perf_counter() - start
            out.seek(0)
            text = out.read().decode(errors="replace")
        finally:
            out.close()
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace")
            sys.exit(f"analyse_scale: {' '.join(argv)} exited {proc.returncode}:\n{err[-2000:]}")
        rss_kib, user, system = rss_file.read().strip().splitlines()[-1].split()
    return wall, int(rss_kib) * 1024, text, float(user) + float(system)


def generate(args, posts):
    tag = f"_cities{args.cities}" if args.cities else ""
    store = os.path.join(args.workdir, f"synthetic_{posts}_seed{args.seed}{tag}.sqlite")
    meta = store + ".summary.json"
    if not args.regenerate and os.path.exists(store) and os.path.exists(meta):
        with open(meta) as f:
            summary = json.load(f)
        if (summary.get("posts_written"), summary.get("seed"), summary.get("days")) == (posts, args.seed, args.days):
            return store, summary, None
    argv = [args.generator, "--out", store, "--posts", str(posts), "--seed", str(args.seed),
            "--days", str(args.days), "--cities", str(args.cities), "--force", "--quiet"]
    if args.gazetteer:
        argv += ["--gazetteer", args.gazetteer]
    print(f"generating {posts} posts -> {store}", file=sys.stderr)
    wall, rss, text, cpu = run_child(argv)
    summary = json.loads(text)
    with open(meta, "w") as f:
        json.dump(summary, f)
    return store, summary, {"wall_s": wall, "cpu_s": cpu, "peak_rss_bytes": rss}


def count_groups(report):
    keys = ["countries", "admin1", "cities", "languages", "resources", "days", "weeks", "months"]
    groups = {k: len(report[k]) for k in keys}
    groups["unmet_cells"] = len(report["unmet_need"]["cells"])
    groups["total"] = sum(groups.values())
    return groups


def check(report, summary, posts, all_listed):
    """analyse's totals against what the generator wrote; returns a list of mismatches.
    all_listed: the report was made with --min-count 0, so every group is a row."""
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
        "days": (len(report["days"]), s["distinct"]["days"]),
    }
    if all_listed:
        expect["cities"] = (len(report["cities"]), s["distinct"]["cities"])
        expect["admin1"] = (len(report["admin1"]), s["distinct"]["admin1"])
        expect["languages"] = (len(report["languages"]), s["distinct"]["languages"])
    return [f"{k}: analyse {a} != generated {b}" for k, (a, b) in expect.items() if a != b]


def measure(args, posts):
    store, summary, gen = generate(args, posts)
    scan_sql = "SELECT count(*), sum(length(text)) FROM posts"
    scans = []
    modes = {"default": [], "all_groups": []}  # --min-count 50 (what users run) and 0 (every group a row)
    reports = {}
    mismatches = []
    # Interleaved, so a burst of load from elsewhere hits all alike.
    for _ in range(args.runs):
        wall, rss, text, cpu = run_child([args.sqlite3, "-readonly", store, scan_sql])
        scans.append({"wall_s": wall, "cpu_s": cpu, "peak_rss_bytes": rss, "result": text.strip()})
        for mode, min_count in (("default", "50"), ("all_groups", "0")):
            out_dir = os.path.join(args.workdir, f"out_{posts}_{mode}")
            stdout_path = os.path.join(args.workdir, f"analyse_{posts}_{mode}.json")
            wall, rss, text, cpu = run_child([args.crema, "analyse", "--db", store, "--out", out_dir, "--min-count", min_count,
                                         "--json"], stdout_path)
            reports[mode] = json.loads(text)
            modes[mode].append({"wall_s": wall, "cpu_s": cpu, "peak_rss_bytes": rss, "pass_s": reports[mode]["seconds"]})
    for mode, report in reports.items():
        mismatches += [f"{mode}: {m}" for m in check(report, summary, posts, mode == "all_groups")]

    def med(mode, key):
        return statistics.median(r[key] for r in modes[mode])

    wall, pass_s = med("default", "wall_s"), med("default", "pass_s")
    scan = statistics.median(s["wall_s"] for s in scans)
    scan_cpu = statistics.median(s["cpu_s"] for s in scans)
    cpu = med("default", "cpu_s")
    return {
        "posts": posts,
        "store": store,
        "store_bytes": os.path.getsize(store),
        "generator": summary,
        "generate": gen,
        "groups": count_groups(reports["all_groups"]),
        "placement": reports["all_groups"]["placement"],
        "scan_runs": scans,
        "analyse_runs": modes,
        "median": {"analyse_wall_s": wall, "analyse_pass_s": pass_s, "scan_wall_s": scan,
                   "peak_rss_bytes": med("default", "peak_rss_bytes"),
                   "peak_rss_bytes_all_groups": med("all_groups", "peak_rss_bytes"),
                   "analyse_wall_s_all_groups": med("all_groups", "wall_s"),
                   "posts_per_s_wall": posts / wall, "posts_per_s_pass": posts / pass_s,
                   "analyse_over_scan": wall / scan, "analyse_cpu_s": cpu, "scan_cpu_s": scan_cpu,
                   "posts_per_cpu_s": posts / cpu, "analyse_cpu_over_scan_cpu": cpu / scan_cpu},
        "mismatches": mismatches,
    }


def markdown(results, load_before, load_after):
    base_rss = results[0]["median"]["peak_rss_bytes"]
    lines = [
        "| posts | store MB | groups | sqlite3 scan wall / CPU s | analyse wall / CPU s | pass s "
        "| posts/s wall / CPU | analyse ÷ scan wall / CPU | peak RSS MB | RSS ÷ smallest "
        "| all groups listed: wall s, peak RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        m = r["median"]
        lines.append(
            f"| {r['posts']:,} | {r['store_bytes'] / 1e6:,.0f} | {r['groups']['total']:,} "
            f"| {m['scan_wall_s']:.2f} / {m['scan_cpu_s']:.2f} | {m['analyse_wall_s']:.2f} / {m['analyse_cpu_s']:.2f} "
            f"| {m['analyse_pass_s']:.2f} | {m['posts_per_s_wall'] / 1e6:.2f} M / {m['posts_per_cpu_s'] / 1e6:.2f} M "
            f"| {m['analyse_over_scan']:.1f} / {m['analyse_cpu_over_scan_cpu']:.1f} | {m['peak_rss_bytes'] / 2**20:.1f} "
            f"| {m['peak_rss_bytes'] / base_rss:.2f} "
            f"| {m['analyse_wall_s_all_groups']:.2f} s, {m['peak_rss_bytes_all_groups'] / 2**20:.1f} MB |")
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
    p.add_argument("--cities", type=int, default=0,
                   help="generator: only the N most populous cities (fixed number of groups); 0 = all")
    p.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "crema_analyse_scale"))
    p.add_argument("--regenerate", action="store_true", help="rewrite the stores even if present")
    p.add_argument("--json", help="write all measurements to this file")
    args = p.parse_args()
    args.crema = args.crema or os.path.join(args.build, "apps", "cli", "crema")
    args.generator = args.generator or os.path.join(args.build, "bench", "crema_synthetic_store")
    for binary in (args.crema, args.generator):
        if not os.access(binary, os.X_OK):
            sys.exit(f"analyse_scale: {binary} not found (build the crema and crema_synthetic_store targets)")
    if not os.access(TIME, os.X_OK):
        sys.exit(f"analyse_scale: {TIME} not found (apt-get install time)")
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
