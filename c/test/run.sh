#!/bin/sh
# c/test/run.sh BUILD "C_TESTS" "BUSTED_CMD" "INTERPRETERS": runs the C tests and the busted specs under each
# interpreter, prints everything, and ends with one line "N passed, N failed" over all of them.
# Exits non-zero if anything failed or a runner crashed.
build=$1; ctests=$2; busted=$3; interps=$4
passed=0; failed=0; status=0
log=$(mktemp); trap 'rm -f "$log"' EXIT
for t in $ctests; do
  if "$t" >"$log" 2>&1; then :; else status=1; fi
  cat "$log"
  line=$(grep -E '^c: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  if [ -z "$line" ]; then echo "$t: crashed before its summary"; failed=$((failed + 1)); status=1; continue; fi
  p=$(echo "$line" | sed -E 's/^c: ([0-9]+) passed, ([0-9]+) failed.*/\1/')
  f=$(echo "$line" | sed -E 's/^c: ([0-9]+) passed, ([0-9]+) failed.*/\2/')
  passed=$((passed + p)); failed=$((failed + f))
done
for lua in $interps; do
  echo "== busted under $lua =="
  if sh -c "$busted --lua=$lua --output=TAP spec" >"$log" 2>&1; then :; else status=1; fi
  grep -vE '^ok ' "$log"
  p=$(grep -cE '^ok ' "$log"); f=$(grep -cE '^not ok ' "$log")
  echo "$lua: $p passed, $f failed"
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then echo "$lua: busted ran no test"; status=1; failed=$((failed + 1)); fi
  passed=$((passed + p)); failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
