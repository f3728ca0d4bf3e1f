#!/usr/bin/env python3
"""Names of first- and second-level divisions in other languages for the gazetteer.

GeoNames' admin1CodesASCII/admin2Codes carry one (mostly English) name per division, so an
Italian post's "Sardegna" or a French one's "Sardaigne" never matched Sardinia. The Debian
iso-codes package (LGPL-2.1+) lists every ISO 3166-2 subdivision under its local name with
translations in ~60 languages. This tool links each ISO subdivision to a GeoNames admin1 (or
admin2) of the same country by name (any of its names equal after folding; else, for
first-level ones, the single closest admin1 name by similarity) and writes the names GeoNames
lacks as `CODE<TAB>name` lines (CODE = CC.X or CC.X.Y). Deterministic.

  python3 tools/make_gazetteer_admin_names.py --out data/geonames/admin_names.tsv
"""
import argparse
import difflib
import gettext
import glob
import gzip
import json
import os
import re
import unicodedata

GENERIC = {"province", "provincia", "state", "region", "regione", "department", "departement", "district",
           "county", "municipality", "governorate", "oblast", "prefecture", "division", "of", "de", "del", "di",
           "the", "autonomous", "community", "estado", "departamento", "région", "distrito"}


def fold(s):
    s = unicodedata.normalize("NFD", s.casefold())
    s = "".join(c for c in s if not unicodedata.combining(c))
    return " ".join(re.findall(r"\w+", s))


def core(s):
    return " ".join(w for w in fold(s).split() if w not in GENERIC)


def read_admin(path, opener=open):
    rows = {}
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) >= 3:
                rows[p[0]] = (p[1], p[2])
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--geonames", default="data/geonames")
    ap.add_argument("--iso-codes", default="/usr/share/iso-codes/json/iso_3166-2.json")
    ap.add_argument("--locales", default="/usr/share/locale")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    admin1 = read_admin(os.path.join(args.geonames, "admin1CodesASCII.txt"))
    admin2 = read_admin(os.path.join(args.geonames, "admin2Codes.txt.gz"), gzip.open)
    subs = json.load(open(args.iso_codes, encoding="utf-8"))["3166-2"]
    catalogs = []
    for mo in sorted(glob.glob(os.path.join(args.locales, "*", "LC_MESSAGES", "iso_3166-2.mo"))):
        with open(mo, "rb") as f:
            catalogs.append(gettext.GNUTranslations(f))

    def names_of(sub):
        out = [sub["name"]]
        for c in catalogs:
            t = c.gettext(sub["name"])
            if t not in out:
                out.append(t)
        return out

    by_country = {}
    for table, level in ((admin1, 1), (admin2, 2)):
        for code, (name, ascii_name) in table.items():
            by_country.setdefault(code[:2], []).append((code, level, {fold(name), fold(ascii_name), core(name)}))

    lines = set()
    linked = 0
    for sub in subs:
        cc = sub["code"][:2]
        names = names_of(sub)
        keys = {fold(n) for n in names} | {core(n) for n in names}
        keys.discard("")
        cands = by_country.get(cc, [])
        hits = [c for c in cands if c[2] & keys]
        if not hits and "parent" not in sub:
            # Closest admin1 by spelling ("Sardynia" ~ "Sardinia"), when it stands out.
            scored = []
            for code, level, gkeys in cands:
                if level != 1:
                    continue
                best = max(difflib.SequenceMatcher(None, a, b).ratio() for a in keys for b in gkeys if a and b)
                scored.append((best, code, level, gkeys))
            scored.sort(reverse=True)
            if scored and scored[0][0] >= 0.8 and (len(scored) == 1 or scored[1][0] < scored[0][0] - 0.1):
                hits = [scored[0][1:]]
        levels = {h[1] for h in hits}
        want = 1 if "parent" not in sub and 1 in levels else min(levels) if levels else 0
        hits = [h for h in hits if h[1] == want]
        if len(hits) != 1:
            continue
        code, _, gkeys = hits[0]
        linked += 1
        # The ISO code's own part ("BR-RS" -> "RS") as written in addresses ("Santa Maria - RS");
        # the geocoder takes such codes only right after a city of that division.
        part = sub["code"][3:]
        if "parent" not in sub and len(part) == 2 and part.isalpha() and part.isupper():
            lines.add(f"{code}\t{part}")
        for n in names:
            n = re.sub(r"\s*\([^)]*\)", "", n)  # "Emilia-Romagna (régió)"
            k = fold(n)
            if len(k) >= 4 and k not in gkeys and not k.isdigit():
                lines.add(f"{code}\t{unicodedata.normalize('NFC', n.strip())}")
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("# Division names from ISO 3166-2 and its translations (Debian iso-codes, LGPL-2.1+),\n")
        f.write("# linked to GeoNames admin codes by tools/make_gazetteer_admin_names.py. CODE<TAB>name.\n")
        for line in sorted(lines):
            f.write(line + "\n")
    print(f"{len(subs)} ISO 3166-2 subdivisions, {linked} linked, {len(lines)} names -> {args.out}")


if __name__ == "__main__":
    main()
