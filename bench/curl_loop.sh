#!/bin/sh
# The curl command once per request: sh bench/curl_loop.sh <base url> <token> <prm> <requests>
set -e
# The same day each time: curl keeps no cache, and a date command per request would be
# measured too.
base=$1 token=$2 prm=$3 n=$4
t0=$(date +%s%N)
i=1
while [ "$i" -le "$n" ]; do
  curl -sf -o /dev/null -H "Authorization: Bearer $token" -H "Accept: application/json" \
    "$base/daily_consumption?prm=$prm&start=2025-12-31&end=2026-01-01"
  i=$((i + 1))
done
t1=$(date +%s%N)
echo "seconds=$(( (t1 - t0) / 1000 ))e-6"
