#!/usr/bin/env python3
"""Reference ids for the .model test folders from Debian's spm_encode (libsentencepiece).
Usage: spm_reference_ids.py MODEL LINES_FILE OUT_FILE [--fairseq]
One output line per input line: the ids WITHOUT special tokens; with --fairseq mapped as
Hugging Face maps XLM-R's sentencepiece.bpe.model (id + 1, <unk> -> 3). spm_encode reads
lines, so a test line holding a newline ("\\n" in LINES_FILE) gets "SKIP".
"""
import subprocess, sys
model, lines_file, out_file = sys.argv[1:4]
fairseq = "--fairseq" in sys.argv
lines = open(lines_file, encoding="utf-8").read().split("\n")[:-1]
r = subprocess.run(["spm_encode", "--model", model, "--output_format=id"],
                   input="\n".join(l.replace("\\n", " ") for l in lines).encode() + b"\n",
                   capture_output=True, check=True)
got = r.stdout.decode().split("\n")[:len(lines)]
assert len(got) == len(lines), (len(got), len(lines))
out = []
for l, ids in zip(lines, got):
    if "\\n" in l:
        out.append("SKIP"); continue
    v = [int(x) for x in ids.split()]
    if fairseq:
        v = [3 if x == 0 else x + 1 for x in v]
    out.append(" ".join(map(str, v)))
open(out_file, "w").write("\n".join(out) + "\n")
print(f"{len(out)} lines -> {out_file}")
