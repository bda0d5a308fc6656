#!/bin/bash
# The speed figures of docs/ADAPTIVE.md "Speed" in one run, at the CLI's defaults (every core):
# 1080p and 4K encode/decode with peak memory, and foreman's scaling from 1 to 2 jobs, idle and
# with one core held by a busy process, in rounds. Run it on an otherwise idle machine.
#
#   scripts/speed_check.sh                 # this checkout
#   BASE=/path/to/other/checkout scripts/speed_check.sh   # ... and foreman's rounds of another
#                                          # checkout too (put first on PYTHONPATH), same run
#
# DATA: the data folder (default ../shared/data); CLIP4K: a 4K clip (default
# blue_sky_2160p_2f.mkv, made as docs/ADAPTIVE.md "Speed" shows; skipped when absent).
# Every decode checks each frame's MD5 against the source's, so a line without FAILED is exact.
cd "$(dirname "$0")/.." || exit 1
T=.venv/bin/nlvc-transcode
DATA=${DATA:-../shared/data}
CLIP4K=${CLIP4K:-blue_sky_2160p_2f.mkv}
BS=$DATA/bench/blue_sky_1080p_10f.mkv
F=$DATA/bench/foreman_cif_21f.y4m
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

run() {  # a label, then the command: wall seconds and the peak resident size of the command
  local label=$1; shift
  if ! /usr/bin/time -f "%e %M" -o "$W/time" "$@" >/dev/null 2>"$W/err"; then
    echo "$label: FAILED: $(tail -1 "$W/err")"; return
  fi
  read -r e m < "$W/time"; echo "$label: $e s, peak $((m / 1024)) MiB"
}

echo "== $(date -u +%FT%TZ) $(git rev-parse --short HEAD)"
run "1080p 4 frames default encode" $T "$BS" "$W/bs.nlvc" --max-frames 4
run "1080p 4 frames default decode" $T "$W/bs.nlvc" "$W/bs.mkv"
run "1080p 4 frames fast encode" $T "$BS" "$W/bsf.nlvc" --max-frames 4 --preset fast
run "1080p 4 frames fast decode" $T "$W/bsf.nlvc" "$W/bsf.mkv"
if [ -f "$CLIP4K" ]; then
  run "4K 2 frames default encode" $T "$CLIP4K" "$W/4k.nlvc"
  run "4K 2 frames default decode" $T "$W/4k.nlvc" "$W/4k.mkv"
fi
for round in 1 2 3; do
  for code in this ${BASE:+base}; do
    if [ "$code" = base ]; then export PYTHONPATH=$BASE; else unset PYTHONPATH; fi
    rm -f "$W"/f*.nlvc
    run "foreman $code round $round -j 1" $T "$F" "$W/f1.nlvc" -j 1
    run "foreman $code round $round -j 2" $T "$F" "$W/f2.nlvc" -j 2
    python3 -c "while True: pass" & busy=$!
    sleep 0.5
    run "foreman $code round $round -j 2, one core busy" $T "$F" "$W/f3.nlvc" -j 2
    kill $busy; wait $busy 2>/dev/null
    echo "foreman $code round $round md5 (-j 1, -j 2, busy): $(md5sum "$W"/f1.nlvc "$W"/f2.nlvc "$W"/f3.nlvc | cut -c1-8 | tr '\n' ' ')"
  done
done
unset PYTHONPATH
run "foreman decode -j 1" $T "$W/f2.nlvc" "$W/fd1.mkv" -j 1
run "foreman decode -j 2" $T "$W/f2.nlvc" "$W/fd2.mkv" -j 2
echo "== done $(date -u +%FT%TZ)"
