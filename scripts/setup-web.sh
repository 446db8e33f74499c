#!/usr/bin/env bash
# Installs what the browser page (serve/web/) and its browser test need, idempotently:
#   chromium           Debian's package (/usr/bin/chromium), the browser the test drives
#   npm                Debian's package, when there is no npm (it brings Node.js)
#   onnxruntime-web    from npm, pinned by serve/web/package-lock.json (`npm ci`)
#   (playwright and pillow, from PyPI, come with scripts/setup.sh's Python environment;
#    this script checks that they are there)
#
# Nothing is fetched at page run time (no CDN): the page is served with the files
# `npm ci` put in serve/web/node_modules. Playwright drives Debian's chromium through
# executable_path; `playwright install` (its own browser download) is never run.
# A rerun that finds everything in place prints one "ok" line per step.
#
# Usage: scripts/setup-web.sh          install (or check) everything
#        DCGAN_PYTHON=PY scripts/setup-web.sh
set -euo pipefail


root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
web="$root/serve/web"
python=${DCGAN_PYTHON:-$root/.native/venv/bin/python}
# shellcheck source=scripts/apt.sh
source "$root/scripts/apt.sh"

# 1. chromium and npm (Debian), in one apt-get call when either is missing
debs=()
[ -x /usr/bin/chromium ] || debs+=(chromium)
command -v npm >/dev/null || debs+=(npm)
if [ ${#debs[@]} -gt 0 ]; then
    apt_install "${debs[@]}" || exit 1
fi
[ -x /usr/bin/chromium ] || { echo "setup-web: apt-get installed chromium but /usr/bin/chromium is missing" >&2; exit 1; }
command -v npm >/dev/null || { echo "setup-web: apt-get installed npm but there is no npm on PATH" >&2; exit 1; }
echo "setup-web: chromium ok ($(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium))" >&2

# 2. onnxruntime-web (npm, exactly what package-lock.json pins)
if [ ! -d "$web/node_modules/onnxruntime-web/dist" ] || [ "$web/package-lock.json" -nt "$web/node_modules" ]; then
    echo "setup-web: npm ci in serve/web (onnxruntime-web as pinned by package-lock.json)" >&2
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$web/node_modules"
fi
ortweb=$(cd "$web" && node -p 'require("./node_modules/onnxruntime-web/package.json").version')
echo "setup-web: onnxruntime-web $ortweb ok in serve/web/node_modules" >&2

# 3. playwright and pillow (installed from PyPI by scripts/setup.sh)
[ -x "$python" ] || { echo "setup-web: $python not found; run scripts/setup.sh first or set DCGAN_PYTHON" >&2; exit 1; }
"$python" -c 'import playwright, PIL, numpy' 2>/dev/null \
    || { echo "setup-web: playwright or pillow missing in $python; run scripts/setup.sh" >&2; exit 1; }
echo "setup-web: $("$python" -c 'import importlib.metadata as m; print("playwright", m.version("playwright"), "pillow", m.version("pillow"))') ok" >&2
