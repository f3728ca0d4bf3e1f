#!/bin/sh
# Runs a browser test: run.sh TEST.mjs CREMA_BIN REPO_ROOT ARTIFACT_DIR [ARGS...]; ARGS go to
# the test after --crema/--root/--out/--chromium (e.g. --server BIN).
# Exit 77 (ctest: skipped) only when node or chromium is not installed.
set -eu
test=$1 crema=$2 root=$3 out=$4
shift 4
command -v node >/dev/null 2>&1 || { echo "SKIP: node is not installed (apt-get install nodejs)"; exit 77; }
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "SKIP: $chromium is not installed (apt-get install chromium)"; exit 77; }
if [ ! -d "$root/web/node_modules/playwright-core" ]; then
  echo "FAIL: web/node_modules/playwright-core is missing: run scripts/web-deps first" >&2
  exit 1
fi
mkdir -p "$out"
exec node "$test" --crema "$crema" --root "$root" --out "$out" --chromium "$chromium" "$@"
