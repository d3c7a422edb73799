#!/usr/bin/env bash
# The whole test suite (what `make test` and CI run). Unit, integration, system and e2e tests
# all run on the real embedded broker and PostgreSQL that the fixtures start.
set -uo pipefail
cd "$(dirname "$0")/.."

# The IDVA page's browser test drives a real headless Chromium (Debian's package).
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (Debian package) for the browser test…"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  ($SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null) \
    || { echo "error: could not install chromium; the browser test needs it"; exit 1; }
fi

# The conformance tests (tests/conformance) run the AsyncAPI parser and the CloudEvents JS SDK
# through node, installed from the committed lock file (install scripts off: none is needed).
NODE_VALIDATORS=tests/conformance/node
if [ ! -d "$NODE_VALIDATORS/node_modules" ] || [ "$NODE_VALIDATORS/package-lock.json" -nt "$NODE_VALIDATORS/node_modules" ]; then
  command -v npm >/dev/null 2>&1 || { echo "error: node and npm are needed for tests/conformance (Node.js 20+)"; exit 1; }
  echo "installing the JavaScript validators (npm ci in $NODE_VALIDATORS)…"
  (cd "$NODE_VALIDATORS" && SCARF_ANALYTICS=false npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null) \
    || { echo "error: npm ci failed in $NODE_VALIDATORS"; exit 1; }
  touch "$NODE_VALIDATORS/node_modules"
fi

# The alert rules are tested with promtool (`promtool test rules`, `promtool check metrics`), from
# Debian's prometheus package. Only promtool is taken: the package is downloaded and unpacked into
# .tools/prometheus, never installed, so no Prometheus server is set up or started on the machine.
PROMTOOL_DIR=.tools/prometheus
if ! command -v promtool >/dev/null 2>&1 && [ ! -x "$PROMTOOL_DIR/usr/bin/promtool" ]; then
  echo "unpacking promtool from Debian's prometheus package into $PROMTOOL_DIR…"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  download=$(mktemp -d)
  ( cd "$download" && (apt-get download -qq prometheus 2>/dev/null \
      || { $SUDO apt-get update -qq && apt-get download -qq prometheus; }) ) \
    && mkdir -p "$PROMTOOL_DIR" && dpkg-deb -x "$download"/prometheus_*.deb "$download/x" \
    && mkdir -p "$PROMTOOL_DIR/usr/bin" && mv "$download/x/usr/bin/promtool" "$PROMTOOL_DIR/usr/bin/promtool" \
    || { rm -rf "$download"; echo "error: could not get promtool; the alert rule tests need it"; exit 1; }
  rm -rf "$download"
fi
if [ -x "$PROMTOOL_DIR/usr/bin/promtool" ]; then export PATH="$PWD/$PROMTOOL_DIR/usr/bin:$PATH"; fi

echo "== alert rules (promtool)"
promtool check rules deploy/prometheus/alerts.yml || exit 1
promtool test rules deploy/prometheus/alerts.test.yml || exit 1

echo "== ruff"
.venv/bin/ruff check . || exit 1
echo "== import contracts"
.venv/bin/lint-imports || exit 1
echo "== types (mypy)"
.venv/bin/mypy || exit 1
echo "== pytest"
.venv/bin/pytest "$@"
rc=$?
if [ "$rc" = 5 ]; then
  echo "error: pytest collected no tests"
  exit 1
fi
exit "$rc"
