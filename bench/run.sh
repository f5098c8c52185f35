#!/bin/sh
# bench/run.sh [steps]: bench/step.lua under lua5.4 (C-API backend) and luajit (FFI backend), then the
# LuaJIT / Lua 5.4 speed ratio for each benchmark, and for Go/No-Go the time per step that is not the C
# core's (the task in Lua plus the binding: total minus the C-calls-only floor measured under LuaJIT).
# Run after `make`; bench/step.lua finds the checkout's Lua files and library itself. LUA54 and LUAJIT name
# the interpreters (default lua5.4, luajit).
set -e
cd "$(dirname "$0")/.."
LUA54=${LUA54:-lua5.4}
LUAJIT=${LUAJIT:-luajit}
unset NEUROMOD_BACKEND
res54=$(mktemp); resjit=$(mktemp); trap 'rm -f "$res54" "$resjit"' EXIT
"$LUA54" bench/step.lua "$@" 2>"$res54"
echo
"$LUAJIT" bench/step.lua "$@" 2>"$resjit"
echo
awk -v f54="$res54" -v fjit="$resjit" '
  BEGIN {
    while ((getline line < f54) > 0) { split(line, w, " "); if (w[1] == "result") a[w[2] " " w[3]] = w[4] }
    while ((getline line < fjit) > 0) { split(line, w, " "); if (w[1] == "result") b[w[2] " " w[3]] = w[4] }
    printf "%-24s %8s %14s %14s %8s\n", "LuaJIT / Lua 5.4", "hidden", "lua5.4 st/s", "luajit st/s", "ratio"
    n = split("gonogo agent", names, " "); split("16 64", hs, " ")
    for (i = 1; i <= n; i++) for (j = 1; j <= 2; j++) {
      k = names[i] " " hs[j]
      if (!(k in a) || !(k in b)) { print "missing result for " k > "/dev/stderr"; exit 1 }
      printf "%-24s %8d %14.0f %14.0f %7.2fx\n", (names[i] == "gonogo" ? "gonogo (task+agent)" : "agent (act+learn)"), hs[j], a[k], b[k], b[k] / a[k]
    }
    printf "\n%-24s %8s %14s %14s %8s\n", "Lua side of gonogo", "hidden", "lua5.4 us/st", "luajit us/st", "ratio"
    for (j = 1; j <= 2; j++) {
      k = "gonogo " hs[j]; f = "cfloor " hs[j]
      if (!(f in b)) { print "missing result for " f " (LuaJIT did not run the FFI backend)" > "/dev/stderr"; exit 1 }
      floor_us = 1e6 / b[f]; o54 = 1e6 / a[k] - floor_us; ojit = 1e6 / b[k] - floor_us
      printf "%-24s %8d %14.3f %14.3f %7.2fx\n", "(total - C floor " sprintf("%.3f", floor_us) ")", hs[j], o54, ojit, (ojit > 0 ? o54 / ojit : 0)
    }
  }'
