#!/usr/bin/env bash
# Renders the digest as a reader's mail client would, in headless Chromium
# (Debian's `chromium`), saves a PNG screenshot, and checks through the DOM
# dump that the headline figures are on the page.
#
#   tests/render_digest.sh [OUT_DIR]     (default: target/digest-render)
#
# Runs the sample inbox into a temporary data folder first, so it needs
# nothing but a build of essaim and chromium (installed if missing, as root).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/digest-render}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
if ! command -v chromium >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sed -e 's|^inbox = .*|inbox = "'"$PWD"'/fixtures/inbox"|' \
    -e 's|^data = .*|data = "'"$work"'/data"|' \
    -e 's|^innovations = .*|innovations = "'"$PWD"'/config/innovations.csv"|' \
    -e 's|^structures = .*|structures = "'"$PWD"'/config/structures.csv"|' \
    config/essaim.toml > "$work/essaim.toml"
export ESSAIM_HASH_KEY="render-key-0123456789abcdef0123456789abcdef"
cargo run -q -- --config "$work/essaim.toml" --log-format json -q run >/dev/null || true
cargo run -q -- --config "$work/essaim.toml" -q digest --preview "$out"
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --user-data-dir="$work/chromium" --window-size=760,1400)
chromium "${flags[@]}" --screenshot="$out/digest.png" "file://$out/digest.html" 2>/dev/null
chromium "${flags[@]}" --dump-dom "file://$out/digest.html" 2>/dev/null > "$out/digest.dom.html"
# The page must show the headline figures, as rendered.
fail=0
for needle in 'id="chiffres-cles"' 'Demandeurs d'"'"'emploi de longue durée' 'data-indicator="deld"><strong>5</strong>' 'Référence Insee 2016' 'graphique.png'; do
  if ! grep -qF "$needle" "$out/digest.dom.html"; then
    echo "missing in the rendered page: $needle" >&2
    fail=1
  fi
done
test -s "$out/digest.png" || { echo "no screenshot" >&2; fail=1; }
[ "$fail" = 0 ] && echo "digest rendered: $out/digest.png (DOM checked: headline figures present)"
exit "$fail"
