#!/usr/bin/env bash
# Renders the digest of three readers (national, the TAPAJ innovation, the
# Gironde département) as a mail client would, in headless Chromium
# (Debian's `chromium`), saves a PNG screenshot of each, and checks through
# the rendered DOM that each reader sees its own scope: its headline
# figures equal to `essaim indicators` for that scope, its breakdown table
# (innovations, or the innovation's structures, or the innovations present
# in the département), and its own chart.
#
#   tests/render_digest.sh [OUT_DIR]     (default: target/digest-render)
#
# Loads the published figures' fixture set (fixtures/figures) into a
# temporary data folder first, so it needs nothing but a build of essaim,
# python3 and chromium (installed if missing, as root).
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
sed -e 's|^inbox = .*|inbox = "'"$PWD"'/fixtures/figures"|' \
    -e 's|^data = .*|data = "'"$work"'/data"|' \
    -e 's|^innovations = .*|innovations = "'"$PWD"'/config/innovations.csv"|' \
    -e 's|^structures = .*|structures = "'"$PWD"'/config/structures.csv"|' \
    config/essaim.toml > "$work/essaim.toml"
export ESSAIM_HASH_KEY="render-key-0123456789abcdef0123456789abcdef"
essaim() { cargo run -q -- --config "$work/essaim.toml" --log-format json -q "$@"; }
essaim run >/dev/null 2>&1 || true
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --user-data-dir="$work/chromium" --window-size=760,1800)
fail=0
for scope in national innovation:TAPAJ departement:33; do
  dir="$out/${scope/:/-}"
  mkdir -p "$dir"
  essaim digest --preview "$dir" --scope "$scope" >/dev/null
  chromium "${flags[@]}" --screenshot="$dir/digest.png" "file://$dir/digest.html" 2>/dev/null
  chromium "${flags[@]}" --dump-dom "file://$dir/digest.html" 2>/dev/null > "$dir/digest.dom.html"
  kind="${scope%%:*}"; code="${scope#*:}"
  if [ "$kind" = national ]; then essaim indicators --format json > "$dir/expected.json"
  else essaim indicators --format json --by "$kind" > "$dir/expected.json"; fi
  python3 - "$dir" "$kind" "$code" <<'PY' || fail=1
import csv, json, re, sys, html
from pathlib import Path
d, kind, code = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
dom = (d / "digest.dom.html").read_text()
expected = json.loads((d / "expected.json").read_text())
problems = []
if f'data-scope="{kind}"' not in dom:
    problems.append(f"scope {kind} not shown")
for ind in ("deld", "job_seekers", "exits_to_employment"):
    m = re.search(rf'data-indicator="{ind}"><strong>([^<]*(?:&lt;[^<]*)?)</strong>', dom)
    want = expected[ind] if kind == "national" else expected[ind].get(code)
    got = html.unescape(m.group(1)) if m else None
    if got != str(want):
        problems.append(f"{ind}: page shows {got!r}, indicators says {want!r}")
table = dom.split('id="repartition"', 1)[1].split("</table>", 1)[0] if 'id="repartition"' in dom else ""
codes = set(re.findall(r'data-code="([^"]*)"', table))
rows = list(csv.DictReader(open("config/structures.csv", encoding="utf-8")))
want_codes = {
    "national": {r["code"] for r in csv.DictReader(open("config/innovations.csv", encoding="utf-8"))},
    "innovation": {r["code"] for r in rows if r["innovation"] == code},
    "departement": {r["innovation"] for r in rows if r["departement"] == code},
}[kind]
if codes != want_codes:
    problems.append(f"breakdown lists {sorted(codes)}, expected {sorted(want_codes)}")
if 'src="graphique.png"' not in dom or not (d / "graphique.png").exists():
    problems.append("no chart")
if "Référence Insee 2016" not in dom:
    problems.append("no Insee reference")
for p in problems:
    print(f"{d.name}: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY
  test -s "$dir/digest.png" || { echo "$scope: no screenshot" >&2; fail=1; }
done
if cmp -s "$out/national/graphique.png" "$out/innovation-TAPAJ/graphique.png" \
   || cmp -s "$out/national/graphique.png" "$out/departement-33/graphique.png"; then
  echo "a reader got the national chart" >&2; fail=1
fi
[ "$fail" = 0 ] && echo "digests rendered in $out/{national,innovation-TAPAJ,departement-33}/digest.png (DOM checked: each reader's scope, figures and chart)"
exit "$fail"
