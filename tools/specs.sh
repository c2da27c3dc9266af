#!/bin/sh
# make test and make test-all: the spec files in JOBS busted processes at once (one per core),
# each with a state folder of its own, their outputs printed one after the other, then one
# summary line in busted's words for the whole run. Exit 1 when any process failed.
# Usage: tools/specs.sh STATE_DIR JOBS LUA BUSTED [busted options...]; LUA may be a command line
# (`valgrind ... lua5.4`, `env LD_PRELOAD=... lua5.4`): it is split into words.
set -u
state=$1 jobs=$2 lua=$3 busted=$4
shift 4
# absolute: the library ignores a relative XDG_STATE_HOME (and would use the user's own state)
mkdir -p "$state" && state=$(cd "$state" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT INT TERM
# spec files among the options (BUSTED_ARGS=spec/x_spec.lua) are the ones run; else every one
opts="" files=""
for a in "$@"; do
  case $a in *.lua) files="$files $a" ;; *) opts="$opts $a" ;; esac
done
[ -n "$files" ] || files=$(ls spec/*_spec.lua)
# shellcheck disable=SC2086
set -- $opts
# the largest files first, each to the shard with the fewest bytes so far: shards of like length
# shellcheck disable=SC2086
ls -S $files | awk -v jobs="$jobs" '
  { size = 0; while ((getline line < $0) > 0) size += length(line); close($0)
    best = 1; for (j = 2; j <= jobs; j++) if (load[j] < load[best]) best = j
    load[best] += size; files[best] = files[best] " " $0 }
  END { for (j = 1; j <= jobs; j++) print files[j] }' > "$out/shards"
i=0
while read -r files; do
  [ -n "$files" ] || continue
  i=$((i + 1))
  mkdir -p "$state/$i"
  # shellcheck disable=SC2086
  ( XDG_STATE_HOME="$state/$i" $lua "$busted" -o utfTerminal "$@" $files > "$out/$i.log" 2>&1
    echo $? > "$out/$i.rc" ) &
done < "$out/shards"
wait
rc=0
for log in "$out"/*.log; do
  cat "$log"
  [ "$(cat "${log%.log}.rc")" = 0 ] || rc=1
done
sed 's/\x1b\[[0-9;]*m//g' "$out"/*.log | awk '
  / success(es)? \/ .* failures? \/ .* errors? \/ .* pending : / {
    s += $1; f += $4; e += $7; p += $10; if ($13 > t) t = $13; n++ }
  END { printf "\n%d successes / %d failures / %d errors / %d pending : %s seconds (%d %s at once)\n",
        s, f, e, p, t, n, n == 1 ? "process" : "processes" }'
exit $rc
