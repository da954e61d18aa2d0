#!/usr/bin/env bash
# Side by side on ../shared/bench's data: the floor (bare calamine), essaim
# (as files arrive, then as a history rebuild with `run --no-feedback`),
# and the polars + fastexcel + DuckDB script a user would write instead,
# interleaved round by round on the same generated files; prints each one's
# median wall time, CPU time (user + system, its whole tree) and peak
# memory (RSS, the largest process of its tree), and, round by round, the CPU time the host took back from this virtual
# machine during each measurement (steal): wall times are comparable only
# between rounds with little of it.
#
#   benches/side_by_side.sh                  # 3 rounds, ten years: 65 x 40 x 200
#   benches/side_by_side.sh --runs 5 --structures 65 --periods 40 --rows 200
#
# Needs python3 (a virtual environment with ../shared/bench/requirements.txt
# is made once under $CARGO_TARGET_DIR; without it, the polars column is
# left out) and GNU time. Builds essaim and the floor in release mode.
#
# essaim is measured three ways from an empty database: as files arrive
# (the generator's `inbox/<date>/<file>` fed as successive runs, each
# file's first sending, then its resubmissions; essaim's time is their
# sum), the same with `--no-feedback`, and as a history rebuild: one
# `run --no-feedback` over the whole dated tree, as the floor and the
# script read it. Each file's modification time is set to its sending
# day (as a copy that keeps times has it), which orders the files a run
# receives together.
set -euo pipefail

runs=3 structures=65 periods=40 rows=200 seed=2
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --structures) structures=$2; shift 2 ;;
        --periods) periods=$2; shift 2 ;;
        --rows) rows=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

here=$(cd "$(dirname "$0")/.." && pwd)
shared=${ESSAIM_SHARED_BENCH:-$here/../shared/bench}
[ -d "$shared" ] || { echo "no $shared (set ESSAIM_SHARED_BENCH)" >&2; exit 2; }
shared=$(cd "$shared" && pwd)
target=${CARGO_TARGET_DIR:-$here/target}
work=$target/essaim-bench/side-$structures-$periods-$rows-$seed
mkdir -p "$work"
TIME=/usr/bin/time
[ -x $TIME ] || { echo "GNU time (/usr/bin/time) is needed" >&2; exit 2; }

# Python for the generator and the peer.
venv=$target/essaim-bench/venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" && "$venv/bin/pip" install -q -r "$shared/requirements.txt" \
        || echo "warning: could not install the peer's packages; the polars column is left out" >&2
fi
py=$venv/bin/python
peer=yes
"$py" -c "import polars, fastexcel, duckdb" 2>/dev/null || peer=no

# Data, once.
if [ ! -f "$work/data/expected.json" ]; then
    echo "generating $structures x $periods x $rows into $work/data" >&2
    rm -rf "$work/data"
    "$py" "$shared/gen_workbooks.py" --no-aliases --out "$work/data" --structures "$structures" \
        --periods "$periods" --rows "$rows" --seed "$seed" >&2
fi

# essaim's registry: innovations by code (a structure code's prefix).
cfg=$work/cfg
rm -rf "$cfg" "$work/in"
mkdir -p "$cfg"
"$py" - "$work/data" "$cfg" <<'EOF'
import csv, sys, os
src, cfg = sys.argv[1], sys.argv[2]
structures = list(csv.DictReader(open(os.path.join(src, "structures.csv"), encoding="utf-8")))
code_of = {}
for s in structures:
    code_of.setdefault(s["innovation"], s["code"].split("-")[0])
phases = {r["innovation"]: r["phase"] for r in csv.DictReader(open(os.path.join(src, "innovations.csv"), encoding="utf-8"))}
with open(os.path.join(cfg, "innovations.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["code", "nom", "phase"])
    for name, code in code_of.items():
        w.writerow([code, name, phases.get(name, "essaimage")])
with open(os.path.join(cfg, "structures.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=list(structures[0].keys()))
    w.writeheader()
    for s in structures:
        s = dict(s)
        s["innovation"] = code_of[s["innovation"]]
        w.writerow(s)
EOF
# The k-th sending of a file name goes to in/k (hard links, in date order).
"$py" - "$work/data/inbox" "$work/in" <<'EOF'
import os, sys
src, dst = sys.argv[1], sys.argv[2]
seen = {}
for day in sorted(os.listdir(src)):
    d = os.path.join(src, day)
    entries = sorted(os.listdir(d)) if os.path.isdir(d) else []
    for name in entries:
        k = seen.get(name, 0) + 1
        seen[name] = k
        os.makedirs(os.path.join(dst, str(k)), exist_ok=True)
        os.link(os.path.join(d, name), os.path.join(dst, str(k), name))
EOF
# Each file dated by its sending day (noon UTC).
"$py" - "$work/data/inbox" <<'EOF'
import datetime, os, sys
src = sys.argv[1]
for day in os.listdir(src):
    d = os.path.join(src, day)
    at = datetime.datetime.strptime(day, "%Y-%m-%d").replace(hour=12, tzinfo=datetime.timezone.utc).timestamp()
    for name in os.listdir(d):
        os.utime(os.path.join(d, name), (at, at))
EOF
passes=$(ls "$work/in" | sort -n)
config() { # name inbox
    sed -e "s|^inbox = .*|inbox = \"$2\"|" \
        -e "s|^data = .*|data = \"$work/essaim-data\"|" \
        -e "s|^innovations = .*|innovations = \"$cfg/innovations.csv\"|" \
        -e "s|^structures = .*|structures = \"$cfg/structures.csv\"|" \
        -e '/^"Jeun_ESS_Créative"/d' \
        "$here/config/essaim.toml" > "$cfg/essaim-$1.toml"
}
for k in $passes; do config "$k" "$work/in/$k"; done
config all "$work/data/inbox"

echo "building essaim and the floor (release)" >&2
(cd "$here" && cargo build --release --bin essaim >&2)
essaim=$target/release/essaim
floor_target=${FLOOR_TARGET_DIR:-$target/floor-target}
(cd "$shared/floor" && CARGO_TARGET_DIR=$floor_target cargo build --release >&2)
floor=$floor_target/release/floor

# CPU time the host took back from this virtual machine, in hundredths of
# a second (the `steal` column of /proc/stat; 0 where there is none): a
# round with much of it is slower for every contestant.
steal() { awk '/^cpu /{print $9; exit}' /proc/stat 2>/dev/null || echo 0; }
steal_total=0
# One measurement: "seconds KiB steal cpu" of a command (its tree's largest
# process; steal in hundredths of a second; CPU seconds, user + system, of
# the command and the children it waited for: essaim's workers, the
# script's threads).
measure() {
    local out s0 e m u s
    s0=$(steal)
    # A run that refused some files exits non-zero: measured all the same.
    out=$($TIME -f "%e %M %U %S" "$@" 2>&1 >/dev/null | tail -1) || true
    read -r e m u s <<<"$out"
    echo "$e $m $(( $(steal) - s0 )) $(echo "$u + $s" | bc)"
}
declare -a t_floor t_essaim t_quiet t_whole t_peer m_floor m_essaim m_quiet m_whole m_peer
declare -a c_floor c_essaim c_quiet c_whole c_peer
# essaim's runs from an empty database, one per configuration named before
# `--`, with the arguments after it: "seconds KiB steal cpu" (summed,
# largest, summed, summed).
# The previous database folder is moved aside, and deleted after the last
# round: on a file system without a journal (this machine's), ext4 skips
# the inodes freed in the last minutes one by one when it makes a new file,
# so deleting ten thousand files just before a run made that run's own new
# files (archive copies, messages) cost about a second of kernel time on
# the first pass (perf: recently_deleted, find_inode_bit).
trash=$work/trash
essaim_runs() {
    if [ -d "$work/essaim-data" ]; then
        mkdir -p "$trash" && mv "$work/essaim-data" "$trash/$(date +%s%N)"
    fi
    local total=0 peak=0 stolen=0 cpu=0 t m st c k runs=()
    while [ "$1" != -- ]; do runs+=("$1"); shift; done
    shift
    for k in "${runs[@]}"; do
        read -r t m st c < <(measure "$essaim" --config "$cfg/essaim-$k.toml" --log-format json -q run "$@")
        total=$(echo "$total + $t" | bc)
        cpu=$(echo "$cpu + $c" | bc)
        stolen=$((stolen + st))
        if [ "$m" -gt "$peak" ]; then peak=$m; fi
    done
    echo "$total $peak $stolen $cpu"
}
# Seconds of steal, for the round lines.
secs() { printf '%.1f' "$(echo "$1 / 100" | bc -l)"; }
for r in $(seq 1 "$runs"); do
    read -r t m s_floor c < <(measure "$floor" "$work/data/inbox")
    t_floor+=("$t"); m_floor+=("$m"); c_floor+=("$c")
    # As a structure's files arrive: feedback e-mail and annotated copy each.
    read -r t m s_essaim c < <(essaim_runs $passes --)
    t_essaim+=("$t"); m_essaim+=("$m"); c_essaim+=("$c")
    # The same runs, nothing written to the structures.
    read -r t m s_quiet c < <(essaim_runs $passes -- --no-feedback)
    t_quiet+=("$t"); m_quiet+=("$m"); c_quiet+=("$c")
    # Rebuilding history: one run over every dated folder, as the script.
    read -r t m s_whole c < <(essaim_runs all -- --no-feedback)
    t_whole+=("$t"); m_whole+=("$m"); c_whole+=("$c")
    s_peer=0
    if [ "$peer" = yes ]; then
        rm -f "$work/peer.duckdb"
        read -r t m s_peer c < <(measure "$py" "$shared/peer_polars.py" "$work/data" --db "$work/peer.duckdb" --today 2026-11-25)
        t_peer+=("$t"); m_peer+=("$m"); c_peer+=("$c")
    fi
    steal_total=$((steal_total + s_floor + s_essaim + s_quiet + s_whole + s_peer))
    echo "round $r: floor ${t_floor[-1]} s, essaim ${t_essaim[-1]} s, --no-feedback ${t_quiet[-1]} s, one run ${t_whole[-1]} s${t_peer:+, polars ${t_peer[-1]} s}" >&2
    echo "  steal: floor $(secs "$s_floor") s, essaim $(secs "$s_essaim") s, --no-feedback $(secs "$s_quiet") s, one run $(secs "$s_whole") s${t_peer:+, polars $(secs "$s_peer") s}" >&2
done

rm -rf "$trash"
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mf=$(median "${t_floor[@]}"); me=$(median "${t_essaim[@]}"); mq=$(median "${t_quiet[@]}"); mw=$(median "${t_whole[@]}")
printf '\n%s rounds, %s files (%s x %s x %s), medians (%s s of steal in all):\n' "$runs" \
    "$(find "$work/data/inbox" -type f | wc -l)" "$structures" "$periods" "$rows" "$(secs "$steal_total")"
row() { # label wall-seconds KiB cpu-seconds
    printf '| %-36s | %7.2fs | %7.2fs | %6d MiB | %7.2f |\n' "$1" "$2" "$4" $(( $3 / 1024 )) "$(echo "$2 / $mf" | bc -l)"
}
printf '| %-36s | %8s | %8s | %10s | %7s |\n' "" "time" "CPU" "peak RSS" "x floor"
row "floor (calamine, read every cell)" "$mf" "$(median "${m_floor[@]}")" "$(median "${c_floor[@]}")"
row "essaim, runs as files arrive" "$me" "$(median "${m_essaim[@]}")" "$(median "${c_essaim[@]}")"
row "essaim, the same --no-feedback" "$mq" "$(median "${m_quiet[@]}")" "$(median "${c_quiet[@]}")"
row "essaim, one run (history rebuild)" "$mw" "$(median "${m_whole[@]}")" "$(median "${c_whole[@]}")"
if [ "$peer" = yes ]; then
    mp=$(median "${t_peer[@]}")
    row "polars + fastexcel + DuckDB" "$mp" "$(median "${m_peer[@]}")" "$(median "${c_peer[@]}")"
    printf 'essaim is %.2fx faster than the polars script as files arrive (%.2fx with --no-feedback), %.2fx rebuilding history in one run\n' \
        "$(echo "$mp / $me" | bc -l)" "$(echo "$mp / $mq" | bc -l)" "$(echo "$mp / $mw" | bc -l)"
fi
# No run can take less wall time than its CPU time spread over every core.
cores=$(nproc)
cw=$(median "${c_whole[@]}")
printf 'on %s cores, the one run'"'"'s %.2f s of CPU need at least %.2f s (%.2fx the floor) even with every core busy throughout\n' \
    "$cores" "$cw" "$(echo "$cw / $cores" | bc -l)" "$(echo "$cw / $cores / $mf" | bc -l)"
