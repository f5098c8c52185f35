-- experiments/continual.lua -- continual learning on a curriculum of Go/No-Go tasks (envs/curricula/
-- continual_gonogo.lua: permuted cue-to-response mappings, alternating reversals, two valences), visited in
-- sequence and then revisited.
--
--   lua5.4 experiments/continual.lua [--seeds 10] [--first-seed 1] [--tasks 10] [--block 300] [--criterion 0.9]
--                                    [--max-block 3000] [--eval 100] [--order 1] [--consolidation 0.01]
--                                    [--gating 0.1] [--importance si] [--hidden 64] [--out build/continual]
--                                    [--only 1,5] [--verbose 1] [--cues 6] [--eval-from agent] [--na-beta -2]
--                                    [--trace 1] [--fresh-ungated 1] [--agent KEY=VALUE ...]
--
-- Each seed runs each condition on the same tasks and trials: fine-tuning (the agent without continual learning:
-- continual = false), consolidation only (the library's default agent without its gate, boundaries announced),
-- gating only (the default agent without consolidation, boundaries announced), the full agent with boundaries
-- announced (the library's default agent, told each task's context), and the full agent task-free (the default
-- agent told nothing: it detects the boundaries and infers the contexts). --consolidation, --gating and
-- --importance change those rows where a condition has them on (their defaults are the library's). Training: each task in order, then the same again (revisits); a block is --block trials
-- and then goes on until the last 50 trials reach --criterion (at most --max-block trials; --criterion 0 gives
-- fixed blocks of --block), for every condition alike. After each block of the first pass every task is
-- evaluated frozen for --eval trials (the last half scored: a task-free agent needs a few trials to infer the
-- context; announced conditions are told the task's context), giving the accuracy matrix R (written to
-- <out>/R_<condition>_seed<s>.csv). A fresh agent trained on each task alone, with the condition's options and
-- the same block rule, gives the FWT baseline (its accuracy before training), Continual World's reference AUC
-- (over the first --block trials) and trials to criterion (rolling 20 at 0.8; a block without it counts as its
-- length). Prints, per condition, ACC, BWT and FWT (GEM; T - 1 denominators), Avalanche and max forgetting, the
-- ratio of trials to criterion against the fresh agent (median over tasks, mean over seeds), ACC after the
-- revisits, the mean block length and the share of first-pass blocks that reached --criterion, and for the
-- task-free agent the share of revisits that re-select the first visit's context (and of those that do not,
-- which made a new context or chose another task's; --verbose 1 lists them); 95% t intervals. --verbose 2 also
-- lists, per seed, condition and task, the first visit's trials and trials to criterion, the fresh agent's, and
-- the hidden units open in each (gating), and the trial from which the sequence agent was in the context it ended
-- the block in (a task-free agent's search for it: 1 when it never changed). --eval-from says which agent the evaluations run on: "agent" (the
-- learner itself, every task in turn, as the first versions did: its modulators carry each evaluation's state
-- into the next one and into the next block), "copy" (a copy of the learner evaluates every task in turn; the
-- learner, and the fresh agent, train on untouched by the evaluations) or "snapshot" (each task from its own
-- copy of the learner's state after the block). --na-beta sets the mapping's entry of NA on the inverse
-- temperature (the library's default -2: NA's exploration) for every condition and the fresh agent. --trace 1
-- also prints, per condition and valence, the state each task is scored in (the mean over the scored trials of
-- the withhold bias, the inverse temperature, NA's level and its phasic, tonic and utility inputs, 5-HT's tonic
-- part) in its own evaluation after its block (R[j][j]) and in the one after the last block (R[T][j]), tasks
-- 1 .. T - 1 (those BWT counts). --fresh-ungated 1 also trains a fresh agent without gating (the condition's
-- options, gating 0) on each task and prints the ttc ratio against it ("ttc ratio, ungated fresh").
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)

local nm = require "neuromod"
local stats = require "neuromod.stats"
local metrics = require "neuromod.metrics"
local curriculum = dofile(ROOT .. "/envs/curricula/continual_gonogo.lua")

local o = require("neuromod.task").arguments("continual", arg, { seeds = 10, first_seed = 1, tasks = 10,
  block = 300, eval = 100, order = 1, consolidation = 0.01, gating = 0.1, importance = "si", out = "build/continual",
  hidden = 64, verbose = 0, criterion = 0.9, max_block = 3000, only = "", cues = 6,
  eval_from = "agent", na_beta = -2, trace = 0, fresh_ungated = 0 })
assert(o.eval_from == "agent" or o.eval_from == "copy" or o.eval_from == "snapshot",
       "continual: --eval-from expects agent, copy or snapshot, got " .. tostring(o.eval_from))

local C, G, I = o.consolidation, o.gating, o.importance
local CONDITIONS = {
  { name = "fine-tuning", opts = { continual = false }, announce = false },
  { name = "consolidation", opts = { importance = I, consolidation = C, gating = 0 }, announce = true },
  { name = "gating", opts = { consolidation = 0, gating = G }, announce = true },
  { name = "full, boundaries", opts = { importance = I, consolidation = C, gating = G }, announce = true },
  { name = "full, task-free", opts = { importance = I, consolidation = C, gating = G }, announce = false },
}

-- --only 1,5 runs those conditions alone (by their place in the list above)
if o.only ~= "" then
  local keep = {}
  for k in tostring(o.only):gmatch("%d+") do keep[#keep + 1] = CONDITIONS[tonumber(k)] end
  CONDITIONS = keep
end

local function new_agent(cond, seed)
  local opts = { obs = 0, actions = { name = "Discrete", n = 2, withhold = 0 }, seed = seed, hidden = { o.hidden } }
  for k, v in pairs(o.agent) do opts[k] = v end
  for k, v in pairs(cond.opts) do opts[k] = v end
  if o.na_beta ~= -2 then opts.mapping = { inverse_temperature = { NA = o.na_beta } } end
  return opts
end

-- --trace: the state a task is scored in, summed over the scored trials of its evaluation (state[t])
local TRACED = { "withhold_bias", "inverse_temperature", "NA", "NA phasic", "NA tonic", "utility_drop", "5HT" }
local mods = {}
local function evaluate(agent, tasks, t, rng, announce, state)
  if announce then agent:context(t) end
  agent:freeze(true)   -- each task's evaluation is a new frozen phase (this re-arms the task-free detector)
  local k, n = 0, 0
  local sums = state and { 0, 0, 0, 0, 0, 0, 0 }
  for i = 1, o.eval do
    local ok = tasks.trial(tasks[t], rng, agent)
    if i > o.eval / 2 then
      n = n + 1 if ok then k = k + 1 end
      if sums then
        local m = agent:modulators(mods)
        local v = { m.params.withhold_bias, m.params.inverse_temperature, m.NA, m.phasic.NA, m.tonic.NA,
                    m.signals.utility_drop, m.tonic["5HT"] }
        for q = 1, #TRACED do sums[q] = sums[q] + v[q] end
      end
    end
  end
  if sums then
    for q = 1, #TRACED do sums[q] = sums[q] / n end
    state[t] = sums
  end
  return k / n
end

-- A copy of the agent's whole state (weights, modulators, context, generator) through a checkpoint, for
-- evaluations that must not change the learner.
local SNAP = os.tmpname()
local function copy_of(agent)
  assert(agent:save(SNAP))
  return (assert(nm.load(SNAP)))
end

-- every task's evaluation after a block (or after training), on the agent --eval-from names
local function evaluate_all(agent, tasks, rng, announce, state)
  local acc = {}
  if o.eval_from == "snapshot" then
    for j = 1, #tasks do
      local c = copy_of(agent)
      acc[j] = evaluate(c, tasks, j, rng, announce, state)
      c:close()
    end
    return acc
  end
  local a = o.eval_from == "copy" and copy_of(agent) or agent
  a:freeze(true)
  for j = 1, #tasks do acc[j] = evaluate(a, tasks, j, rng, announce, state) end
  if a ~= agent then a:close() end
  return acc
end

local function ttc(correct)
  local t = metrics.trials_to_criterion(correct, { level = 0.8, window = 20 })
  return t or #correct
end

-- One training block: --block trials, then on until the last CRIT_WINDOW trials reach --criterion (at most
-- --max-block trials in all; --criterion 0 gives fixed blocks). Every condition, and the fresh agent, gets the
-- same rule, so each moves on once it has learned the task (or at the cap), not after a count that suits some.
local CRIT_WINDOW = 50
-- Also returns the first trial of the last run in one context (the trial after which the block's final context was
-- in use to its end: for a task-free agent, when it settled; 1 when the context never changed in the block).
local function train_block(agent, task, tasks, rng)
  local correct, hits, n, ctx, since = {}, 0, 0, agent:context(), 1
  while true do
    n = n + 1
    correct[n] = tasks.trial(task, rng, agent)
    local c = agent:context()
    if c ~= ctx then ctx, since = c, n + 1 end
    if correct[n] then hits = hits + 1 end
    if n > CRIT_WINDOW and correct[n - CRIT_WINDOW] then hits = hits - 1 end
    if n >= o.block and (o.criterion <= 0 or n >= o.max_block or
                         (n >= CRIT_WINDOW and hits >= o.criterion * CRIT_WINDOW)) then
      return correct, since
    end
  end
end

-- the accuracy over the first --block trials: the learning curve's area on the same span for every agent
local function auc_of(correct)
  return (metrics.accuracy(correct, 1, math.min(#correct, o.block)))
end

-- the hidden units the agent's current context keeps open (all of them without gating)
local function open_units(agent)
  local g, k = agent:gain(1), 0
  for i = 1, #g do if g[i] ~= 0 then k = k + 1 end end
  return k
end

local function run(cond, seed, tasks)
  local opts = new_agent(cond, seed)
  opts.obs = tasks.cues
  local agent = nm.agent(opts)
  local rng = nm.rng(1000 + seed)
  local T = #tasks
  local R = metrics.cl_matrix(T)
  local auc, ttcs, first_ctx, reselect, revisits, trials, reached = {}, {}, {}, 0, 0, 0, 0
  local other, made, merged = 0, 0, 0
  -- the task-free condition: the default agent told nothing, which infers its contexts
  local inferred = not cond.announce and cond.opts.continual ~= false
  local final, blocks, open, settled = {}, {}, {}, {}
  local own, last = o.trace > 0 and {} or nil, o.trace > 0 and {} or nil   -- --trace: R[j][j]'s and R[T][j]'s state
  for pass = 1, 2 do
    for i = 1, T do
      if cond.announce then agent:context(i) end
      local correct, since = train_block(agent, tasks[i], tasks, rng)
      trials = trials + #correct
      if pass == 1 then
        if #correct < o.max_block or metrics.accuracy(correct, #correct - CRIT_WINDOW + 1, #correct) >= o.criterion then
          reached = reached + 1
        end
        auc[i] = auc_of(correct)
        ttcs[i] = ttc(correct)
        blocks[i], open[i], settled[i] = #correct, open_units(agent), since
        first_ctx[i] = agent:context()
        for j = 1, i - 1 do
          if first_ctx[j] == first_ctx[i] then
            merged = merged + 1
            if o.verbose > 0 and inferred then
              io.stderr:write(("seed %d task %d: first visit ends in task %d's context %s\n"):format(seed, i, j,
                tostring(first_ctx[i])))
            end
            break
          end
        end
        local state = own and {}
        R[i] = evaluate_all(agent, tasks, rng, cond.announce, i < T and state or last)
        if own then own[i] = state[i] end
        if o.eval_from == "agent" then
          if cond.announce then agent:context(i) end
          agent:freeze(false)
        end
      else
        revisits = revisits + 1
        local c = agent:context()
        if c == first_ctx[i] then reselect = reselect + 1
        else
          local known = false
          for j = 1, T do known = known or first_ctx[j] == c end
          if known then other = other + 1 else made = made + 1 end
          if o.verbose > 0 then
            io.stderr:write(("seed %d task %d: revisit in context %s, first visit %s (%s)\n"):format(seed, i,
              tostring(c), tostring(first_ctx[i]), known and "another task's" or "new"))
          end
        end
      end
    end
  end
  final = evaluate_all(agent, tasks, rng, cond.announce)
  -- re-selection means something only when the agent infers the context
  return { R = R, auc = auc, ttc = ttcs, reselect = inferred and reselect / revisits or nil,
           made = inferred and made / revisits or nil, merged = inferred and merged / T or nil, other = inferred and other / revisits or nil,
           final = stats.mean(final), trials = trials / (2 * T),
           reached = reached / T, blocks = blocks, open = open, settled = settled, own = own, last = last }
end

-- a fresh agent per task: its accuracy before training (b) and its learning curve
local function fresh(seed, tasks, cond)
  local b, auc, ttcs, info = {}, {}, {}, {}
  for j = 1, #tasks do
    local opts = new_agent(cond, seed)
    opts.obs = tasks.cues
    local agent = nm.agent(opts)
    local rng = nm.rng(2000 + seed * 100 + j)
    if o.eval_from == "agent" then
      agent:freeze(true)
      b[j] = evaluate(agent, tasks, j, rng, false)
      agent:freeze(false)
    else
      local c = copy_of(agent)
      b[j] = evaluate(c, tasks, j, rng, false)
      c:close()
    end
    local correct = train_block(agent, tasks[j], tasks, rng)
    auc[j], ttcs[j] = auc_of(correct), ttc(correct)
    info[j] = { block = #correct, open = open_units(agent) }
  end
  return b, auc, ttcs, info
end

local function write_R(path, R)
  local f = assert(io.open(path, "w"))
  local head = { "after_block" }
  for j = 1, #R do head[#head + 1] = "task" .. j end
  f:write(table.concat(head, ","), "\n")
  for i = 1, #R do
    local row = { tostring(i) }
    for j = 1, #R do row[#row + 1] = ("%.4f"):format(R[i][j]) end
    f:write(table.concat(row, ","), "\n")
  end
  f:close()
end

os.execute("mkdir -p " .. o.out)
local tasks = curriculum{ seed = o.order, tasks = o.tasks, cues = o.cues }
local cols = { "learned (diag R)", "ACC", "BWT", "FWT", "forgetting", "max forgetting", "FT (CW)", "ttc ratio", "ACC after revisits",
               "re-selected", "  made a new one", "  chose another's", "merged (first pass)", "fresh block accuracy", "trials a block", "reached criterion" }
if o.fresh_ungated > 0 then table.insert(cols, 9, "ttc ratio, ungated fresh") end
local results, traced = {}, {}
for _, cond in ipairs(CONDITIONS) do results[cond.name] = {} for _, c in ipairs(cols) do results[cond.name][c] = {} end end
for _, cond in ipairs(CONDITIONS) do traced[cond.name] = { win = {}, avoid = {} } end
for seed = o.first_seed, o.first_seed + o.seeds - 1 do
  for _, cond in ipairs(CONDITIONS) do
    local b, fauc, fttc, finfo = fresh(seed, tasks, cond)
    local r = run(cond, seed, tasks)
    if o.verbose > 1 then
      for j = 1, #tasks do
        io.stderr:write(("seed %d %s task %d (%s): in sequence %d trials, ttc %d, %d units open, in its context from trial %d; fresh %d trials, ttc %d, %d units open\n")
          :format(seed, cond.name, j, tasks[j].valence, r.blocks[j], r.ttc[j], r.open[j], r.settled[j], finfo[j].block, fttc[j], finfo[j].open))
      end
    end
    write_R(("%s/R_%s_seed%d.csv"):format(o.out, cond.name:gsub("[^%w]+", "_"), seed), r.R)
    local ratios = {}
    for j = 1, #tasks do ratios[j] = r.ttc[j] / fttc[j] end
    if r.own then
      for j = 1, #tasks - 1 do
        local t = traced[cond.name][tasks[j].valence]
        local row = { r.R[j][j], r.R[#tasks][j] }
        for q = 1, #TRACED do row[#row + 1] = r.own[j][q] row[#row + 1] = r.last[j][q] end
        for q = 1, #row do t[q] = (t[q] or 0) + row[q] end
        t.n = (t.n or 0) + 1
      end
    end
    local row = results[cond.name]
    local add = function(k, v) row[k][#row[k] + 1] = v end
    local d = 0
    for j = 1, #tasks do d = d + r.R[j][j] end
    add("learned (diag R)", d / #tasks)
    add("ACC", metrics.cl_acc(r.R))
    add("BWT", metrics.cl_bwt(r.R))
    add("FWT", metrics.cl_fwt(r.R, b))
    add("forgetting", (metrics.cl_forgetting(r.R)))
    add("max forgetting", (metrics.cl_max_forgetting(r.R)))
    add("FT (CW)", (metrics.cl_forward_transfer(r.auc, fauc)) or 0)
    add("ttc ratio", stats.median(ratios))
    if o.fresh_ungated > 0 then
      local plain = { name = cond.name, opts = {}, announce = cond.announce }
      for k, v in pairs(cond.opts) do plain.opts[k] = v end
      plain.opts.gating = 0
      local _, _, pttc = fresh(seed, tasks, plain)
      local q = {}
      for j = 1, #tasks do q[j] = r.ttc[j] / pttc[j] end
      add("ttc ratio, ungated fresh", stats.median(q))
    end
    add("ACC after revisits", r.final)
    add("fresh block accuracy", stats.mean(fauc))
    add("re-selected", r.reselect)
    add("  made a new one", r.made)
    add("  chose another's", r.other)
    add("merged (first pass)", r.merged)
    add("trials a block", r.trials)
    if o.criterion > 0 then add("reached criterion", r.reached) end
  end
  io.stderr:write(("seed %d done\n"):format(seed))
end

print(("continual: %d tasks (order %d), blocks of %d trials%s, %d evaluation trials, seeds %d-%d, importance %s, consolidation %g, gating %g, hidden %d")
  :format(o.tasks, o.order, o.block, o.criterion > 0 and (" then to %g over %d trials (at most %d)"):format(o.criterion, CRIT_WINDOW, o.max_block) or "",
          o.eval, o.first_seed, o.first_seed + o.seeds - 1, I, C, G, o.hidden)
  .. (o.cues ~= 6 and (", %d cues"):format(o.cues) or "")
  .. (o.na_beta ~= -2 and (", mapping inverse_temperature.NA = %g"):format(o.na_beta) or "")
  .. (o.eval_from ~= "agent" and (", evaluations on a %s"):format(o.eval_from == "copy" and "copy" or "snapshot per task") or ""))
do
  local keys = {}
  for k, v in pairs(o.agent) do keys[#keys + 1] = k .. " = " .. tostring(v) end
  table.sort(keys)
  if #keys > 0 then print("every condition and the fresh agent also: " .. table.concat(keys, ", ")) end
end
print("mean [95% CI] over seeds; BWT, FWT and forgetting over T - 1 tasks, ACC over T")
for _, c in ipairs(cols) do
  local line = { ("%-20s"):format(c) }
  for _, cond in ipairs(CONDITIONS) do
    local x = results[cond.name][c]
    if #x == 0 then line[#line + 1] = ("%-24s"):format("   -")
    else
      local m, lo, hi = stats.ci(x)
      line[#line + 1] = lo and ("%6.3f [%6.3f, %6.3f]"):format(m, lo, hi) or ("%6.3f"):format(m)
    end
  end
  print(table.concat(line, " | "))
end
local names = {}
for _, cond in ipairs(CONDITIONS) do names[#names + 1] = cond.name end
print("columns: " .. table.concat(names, " | "))
print("R matrices: " .. o.out .. "/R_<condition>_seed<s>.csv")
if o.trace > 0 then
  print("\nthe state each task is scored in, tasks 1 .. T - 1, mean over seeds, tasks and scored trials: in its own")
  print("evaluation after its block (R[j][j]) -> in the one after the last block (R[T][j])")
  print(("%-18s %-6s %4s | %-16s | %-16s | %-16s | %-16s | %-16s | %-16s | %-16s | %-16s"):format("condition",
    "tasks", "n", "accuracy", "withhold bias", "inv. temperature", "NA level", "NA phasic", "NA tonic",
    "NA utility input", "5-HT tonic"))
  for _, cond in ipairs(CONDITIONS) do
    for _, v in ipairs { "win", "avoid" } do
      local t = traced[cond.name][v]
      if t.n then
        local line = { ("%-18s %-6s %4d"):format(cond.name, v, t.n) }
        for q = 1, #t, 2 do line[#line + 1] = ("%6.3f -> %6.3f"):format(t[q] / t.n, t[q + 1] / t.n) end
        print(table.concat(line, " | "))
      end
    end
  end
end
os.remove(SNAP)
