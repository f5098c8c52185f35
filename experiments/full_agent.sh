#!/bin/sh
# experiments/full_agent.sh -- the continual agent (now the library's default) against the plain agent on the other
# tasks' results. Runs one task's reported command at the plain agent (P: continual = false, the defaults before the
# continual agent became the default), the library's defaults (D), and the variants of the study in
# docs/results/full_agent.md, each built on P: the full task-free agent (F), F + policy_entropy 0.5 (F2), ...
# Usage (after eval "$(make -s env)"):
#   sh experiments/full_agent.sh gonogo|setshift|reversal|volatile|valence|cliff [extra arguments]
# VARIANTS="P D F F2 FO FL FOL FY FE FOFE FYE FYD FYS FYDW FYT FYTW FYTWM FYTWMG" picks the variants (default P D):
# FYTWMG = FYTWM + model_gate evidence, the default agent's options spelled out; FO = F + gate_first open, FL =
# F + boundary_learning learn, FOL = both, FY = F + gate_first open_yield, FE = F + boundary_trigger evidence,
# FOFE = FE + gate_first open_free, FYE = FE + gate_first open_yield, FYD = FY + boundary_trigger evidence_defer,
# FYS = FY + boundary_trigger evidence_state, FYDW = FYD + gate_step width, FYT = FY + boundary_trigger evidence_table,
# FYTW = FYT + gate_step width, FYTWM = FYTW + gate_min 6.
P="--agent continual=false"
F="$P --agent importance=si --agent consolidation=0.01 --agent gating=0.1 --agent boundary=0.5 --agent context_predictor=context_reset --agent context_tonic=context"
F2="$F --agent policy_entropy=0.5"
O="--agent gate_first=open"
L="--agent boundary_learning=learn"
Y="--agent gate_first=open_yield"
E="--agent boundary_trigger=evidence"
task=$1; shift
for v in ${VARIANTS:-P D}; do
  case $v in P) A=$P;; D) A="";; F) A=$F;; F2) A=$F2;; FO) A="$F $O";; FL) A="$F $L";; FOL) A="$F $O $L";; FY) A="$F $Y";;
    FE) A="$F $E";; FOFE) A="$F $E --agent gate_first=open_free";; FYE) A="$F $Y $E";;
    FYD) A="$F $Y --agent boundary_trigger=evidence_defer";;
    FYS) A="$F $Y --agent boundary_trigger=evidence_state";;
    FYDW) A="$F $Y --agent boundary_trigger=evidence_defer --agent gate_step=width";;
    FYT) A="$F $Y --agent boundary_trigger=evidence_table";;
    FYTW) A="$F $Y --agent boundary_trigger=evidence_table --agent gate_step=width";;
    FYTWM) A="$F $Y --agent boundary_trigger=evidence_table --agent gate_step=width --agent gate_min=6";;
    FYTWMG) A="$F $Y --agent boundary_trigger=evidence_table --agent gate_step=width --agent gate_min=6 --agent model_gate=evidence";;
    *) echo "full_agent.sh: unknown variant '$v'" >&2; exit 2;; esac
  echo "== $v"
  if [ "$task" = gonogo ]; then
    for s in 1 2 3 4 5 6 7 8 9 10; do
      printf 'seed %2d  ' "$s"
      nice -n 10 luajit bin/neuromod run envs/gonogo.lua --trials 2000 --seed "$s" --quiet $A "$@" |
        awk '/all .*last 100/ {acc=$3} /reached/ {c=$NF} /never reached|did not reach/ {c="never"} END {print "criterion " c "  final " acc}'
    done
  else
    nice -n 10 lua5.4 "experiments/$task.lua" $A "$@"
  fi
done
