-- experiments/full_agent_probe.lua -- where does the task-free boundary detector fire? Counts the changes of
-- agent:context() (each one follows a detection) on four tasks, with the agent options given by --agent.
--   --task setshift  (default) experiments/setshift.lua's study at its defaults (shift after trial 300): per
--                    condition, changes before the shift, in trials 301-350 and later, and the seeds with one
--                    in 301-350 (at which post-shift trial)
--   --task gonogo    envs/gonogo.lua, 2000 trials, the library's agent: per seed, changes and their trials
--   --task reversal  experiments/reversal.lua's task and agent (hidden 32), DA + NA, 1000 trials; --combination 1
--                    adds its combination row (outcome_bias 10, predictor_rate 0.5, NA on beta -3,
--                    predictor_forget 0.2): reversals, context changes and new contexts per seed
--   --task cliff     experiments/cliff.lua's grid, 500 episodes (at most 1000 steps), 5-HT from punishment;
--                    --modulators DA (DA only) or all with na_expected variance: mean return over the last 50
--                    and the context changes per seed
-- Usage (after eval "$(make -s env)"):
--   lua5.4 experiments/full_agent_probe.lua [--task T] [--seeds N] [--first-seed S] [--agent KEY=VALUE ...]
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)
local nm = require "neuromod"
local task = require "neuromod.task"
local o = task.arguments("full_agent_probe", arg, { task = "setshift", seeds = 20, first_seed = 1,
  combination = 0, modulators = "DA" })

-- runs env with agent for n episodes; on_change(episode, context) after each change of context
local function episodes(env, agent, n, max_steps, on_change, on_episode)
  local last = agent:context()
  for e = 1, n do
    local obs, ret, steps, info = env:start(), 0, 0, nil
    while true do
      local a = agent:act(obs)
      local r, nobs, terminal
      r, nobs, terminal, info = env:step(a)
      steps, ret = steps + 1, ret + r
      agent:learn(r, nobs, terminal, (not terminal and max_steps and steps >= max_steps) or nil)
      local c = agent:context()
      if c ~= last then last = c; on_change(e, c) end
      if terminal or (max_steps and steps >= max_steps) then break end
      obs = nobs
    end
    if on_episode then on_episode(e, ret, info) end
  end
end

local seeds = {}
for s = o.first_seed, o.first_seed + o.seeds - 1 do seeds[#seeds + 1] = s end

if o.task == "setshift" then
  local setshift = dofile(ROOT .. "/experiments/setshift.lua")
  local s = 300
  local st = setshift.study({ seeds = o.seeds, first_seed = o.first_seed, agent = o.agent })
  local rows = {}
  for _, job in ipairs(st:jobs()) do
    local name = job.condition.name
    local r = rows[name] or { pre = 0, after = 0, late = 0, seeds_after = 0, n = 0, first = {}, contexts = 0 }
    rows[name] = r
    local last, hit, seen = 0, false, { [0] = true }
    st:run_job(job, function(t, trial)
      local c = trial.agent:context()
      if c ~= last then
        if t <= s then r.pre = r.pre + 1 elseif t <= s + 50 then r.after = r.after + 1 else r.late = r.late + 1 end
        if t > s and t <= s + 50 and not hit then hit = true; r.first[#r.first + 1] = t - s end
        if not seen[c] then seen[c] = true; r.contexts = r.contexts + 1 end
        last = c
      end
    end)
    r.n = r.n + 1
    if hit then r.seeds_after = r.seeds_after + 1 end
  end
  print(("set shift: context changes per seed (mean over seeds %d-%d); shift after trial %d"):format(
    seeds[1], seeds[#seeds], s))
  print("condition  before shift  trials 301-350  after 350  new contexts  seeds with a change in 301-350 (first at +k)")
  for _, c in ipairs(setshift.CONDITIONS) do
    local r = rows[c.name]
    table.sort(r.first)
    print(("%-9s  %12.2f  %14.2f  %9.2f  %12.2f  %d/%d (%s)"):format(c.name, r.pre / r.n, r.after / r.n,
      r.late / r.n, r.contexts / r.n, r.seeds_after, r.n, table.concat(r.first, " ")))
  end
elseif o.task == "gonogo" then
  local Env = dofile(ROOT .. "/envs/gonogo.lua")
  for _, s in ipairs(seeds) do
    local env = Env{ seed = s }
    local agent = nm.agent(task.with({ obs = env:getStateSpace(), actions = env:getActionSpace(), seed = s }, o.agent))
    local at = {}
    episodes(env, agent, 2000, nil, function(e, c) at[#at + 1] = e .. ":" .. c end)
    print(("gonogo seed %d: %d context changes (trial:context %s)"):format(s, #at, table.concat(at, " ")))
    agent:close()
  end
elseif o.task == "reversal" then
  local Reversal = dofile(ROOT .. "/envs/reversal.lua")
  local tot, ch, made = 0, 0, 0
  for _, s in ipairs(seeds) do
    local env = Reversal{ seed = s, p = 0.8, reverse = "criterion", criterion = 8 }
    local opts = { obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { 32 }, seed = s,
                   modulators = { DA = true, NA = true } }
    if o.combination ~= 0 then
      opts.outcome_bias, opts.predictor_rate, opts.predictor_forget = 10, 0.5, 0.2
      opts.mapping = { inverse_temperature = { NA = -3 } }
    end
    local agent = nm.agent(task.with(opts, o.agent))
    local seen, reversals = { [agent:context()] = true }, 0
    episodes(env, agent, 1000, nil, function(_, c)
      ch = ch + 1
      if not seen[c] then seen[c] = true; made = made + 1 end
    end, function(_, _, info) reversals = info.reversals end)
    tot = tot + reversals
    agent:close()
  end
  print(("reversal%s, DA + NA, seeds %d-%d: reversals %.1f, context changes %.1f, new contexts %.1f per seed (1000 trials)")
    :format(o.combination ~= 0 and " (combination)" or "", seeds[1], seeds[#seeds], tot / #seeds, ch / #seeds, made / #seeds))
elseif o.task == "cliff" then
  local Grid = dofile(ROOT .. "/envs/gridworld.lua")
  for _, s in ipairs(seeds) do
    local env = Grid{ seed = s }
    local opts = { obs = env:getStateSpace(), actions = env:getActionSpace(), seed = s, withhold_action = false,
                   serotonin_input = "punishment" }
    if o.modulators == "DA" then opts.modulators = { DA = true } else opts.na_expected = "variance" end
    local agent = nm.agent(task.with(opts, o.agent))
    local changes, late = 0, 0
    episodes(env, agent, 500, 1000, function() changes = changes + 1 end,
      function(e, ret) if e > 450 then late = late + ret end end)
    print(("cliff (%s) seed %d: last 50 episodes %.1f, %d context changes"):format(
      o.modulators == "DA" and "DA only" or "all four, na_expected variance", s, late / 50, changes))
    agent:close()
  end
else
  error("full_agent_probe: --task expects setshift, gonogo, reversal or cliff, got " .. tostring(o.task))
end
