#!/bin/sh
# c/test/run.sh BUILD "C_TESTS" "BUSTED_CMD" "INTERPRETERS": runs the C tests and the busted specs under each
# interpreter, prints everything, and ends with one line "N passed, N failed" over all of them.
# Exits non-zero if anything failed or a runner crashed.
#
# The runs are independent processes, so they go side by side, NEUROMOD_TEST_JOBS at a time (default: the
# CPU count): each writes its own log, and the logs are printed in the order above once all have ended, so the
# output reads the same at any job count. The first C test starts first, then the busted runs, then the other C
# tests: the Makefile lists the longest one (prop_invariant) first, so that it overlaps everything else.
#
#   c/test/run.sh --job DIR N   (internal) runs line N of DIR/jobs, its output to DIR/N.log, its status to DIR/N.rc
if [ "$1" = "--job" ]; then
  cmd=$(sed -n "$3p" "$2/jobs")
  sh -c "$cmd" > "$2/$3.log" 2>&1
  echo $? > "$2/$3.rc"
  exit 0
fi

build=$1; ctests=$2; busted=$3; interps=$4
jobs=${NEUROMOD_TEST_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
case $jobs in ''|*[!0-9]*|0) echo "NEUROMOD_TEST_JOBS must be a positive count, not '$jobs'"; exit 2 ;; esac
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
self=$0

# the job list, one shell command a line, in start order (N.kind: "c" or the interpreter); cjobs and bjobs the
# C tests' and the busted runs' numbers, in the order they print
n=0; cjobs=""; bjobs=""
add() { n=$((n + 1)); printf '%s\n' "$2" >> "$dir/jobs"; echo "$1" > "$dir/$n.kind"; }
add_busted() { for lua in $interps; do add "$lua" "$busted --lua=$lua --output=TAP spec"; bjobs="$bjobs $n"; done; }
for t in $ctests; do
  add c "'$t'"; echo "$t" > "$dir/$n.name"; cjobs="$cjobs $n"
  [ "$n" -eq 1 ] && add_busted   # after the first C test
done
[ -n "$ctests" ] || add_busted

seq 1 "$n" | xargs -P "$jobs" -I{} sh "$self" --job "$dir" {}

passed=0; failed=0; status=0
for i in $cjobs $bjobs; do
  kind=$(cat "$dir/$i.kind"); log="$dir/$i.log"; rc=$(cat "$dir/$i.rc" 2>/dev/null || echo 1)
  [ "$rc" -eq 0 ] || status=1
  if [ "$kind" = c ]; then
    cat "$log"
    line=$(grep -E '^c: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then echo "$(cat "$dir/$i.name"): crashed before its summary"; failed=$((failed + 1)); status=1; continue; fi
    p=$(echo "$line" | sed -E 's/^c: ([0-9]+) passed, ([0-9]+) failed.*/\1/')
    f=$(echo "$line" | sed -E 's/^c: ([0-9]+) passed, ([0-9]+) failed.*/\2/')
  else
    echo "== busted under $kind =="
    grep -vE '^ok ' "$log"
    p=$(grep -cE '^ok ' "$log"); f=$(grep -cE '^not ok ' "$log")
    echo "$kind: $p passed, $f failed"
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then echo "$kind: busted ran no test"; status=1; failed=$((failed + 1)); fi
  fi
  passed=$((passed + p)); failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
