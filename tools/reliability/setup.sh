#!/usr/bin/env bash
# Installs the reliability suite's outside tools (.ci/run runs this before `npm test`):
# schemathesis from PyPI, in a venv under ${XDG_CACHE_HOME:-$HOME/.cache}/concert-reliability.
# Idempotent: a venv already built from the same requirements.txt is left as it is.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REQUIREMENTS="$HERE/requirements.txt"
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/concert-reliability/venv"
STAMP="$VENV/.requirements.sha256"
PYTHON="${PYTHON:-python3}"
want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"

if [ -x "$VENV/bin/schemathesis" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
  echo "schemathesis already installed in $VENV ($("$VENV/bin/schemathesis" --version 2>/dev/null | tail -1))"
  exit 0
fi

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "setup.sh: $PYTHON not found: install Python 3.9-3.13 with venv to run the fuzzing spec" >&2
  exit 1
fi
"$PYTHON" -c 'import sys; sys.exit(0 if (3, 9) <= sys.version_info[:2] <= (3, 13) else 1)' || {
  echo "setup.sh: $("$PYTHON" --version 2>&1) found; schemathesis 3.39 needs Python 3.9-3.13 (set PYTHON=...)" >&2
  exit 1
}

echo "installing schemathesis into $VENV"
mkdir -p "$(dirname "$VENV")"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$REQUIREMENTS"
"$VENV/bin/schemathesis" --version
echo "$want" > "$STAMP"
