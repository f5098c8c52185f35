-- neuromod.study: a task run over conditions x seeds, with per-trial records and per-seed measures.
--
--   local study = require "neuromod.study"
--   local s = study{ name = "setshift", task = TASK, conditions = { {name = "DA", modulators = {DA = true}}, ... },
--                    seeds = 20 | {3, 4, 5} | {first = 21, count = 20}, trials = 1000, measures = MEASURES,
--                    options = {...} }
--   s:jobs() -> { job, ... }        one job per (condition, seed), conditions outer, seeds inner
--   s:job(id) -> job                the job with that id (error if none)
--   s:run_job(job [, observe]) -> result     one job on its own: { id, job, records, measures }
--   s:merge(results) -> per-condition results (any order in; each job exactly once)
--   s:run([observe]) -> s:merge(the result of every job)
--   s:run_populations([observe [, threads]]) -> the same, each condition's seeds stepped as one nm.population
--
-- A job is { id, condition, condition_index, seed, seed_index }; its id, "<name>/<condition name>/<seed>", is
-- stable: it depends only on the study's name, the condition's name and the seed, so a job can be run in
-- another process (s:run_job(s:job(id))) and its result merged with the others. run_job builds a fresh task
-- instance and agent, so its result depends on nothing but the study's definition and the job; it writes
-- nothing. observe(t, trial, records, job), if given, is called after every trial's record (progress lines, a
-- live log): the caller's side effect, not the job's.
--
-- TASK, the one trial loop's parts:
--   env(job, options) -> a task instance (rlenvs protocol: start, step, getStateSpace, getActionSpace)
--   agent(env, job, options) -> agent options (optional) merged over { obs, actions, seed = job.seed,
--        modulators = condition.modulators, mapping = condition.mapping }; condition.options override both
--   policy = true: before each trial's first act, trial.probs = agent:evaluate(obs)
--   columns = { name, ... }: the per-trial records, one array per name, indexed by trial
--   record(records, t, trial, state) fills records[name][t] after trial t. trial = { obs (the trial's first
--        observation), probs, action (the last), reward (the sum over the trial's steps), steps, info (the
--        terminal step's), agent }; state is a table private to the job (for running quantities).
-- A trial is an episode: env:start(), then act, step, learn until the step is terminal.
--
-- MEASURES: an ordered list of { name, fn }; fn(records, job, measures) -> value, where measures holds the
-- values of the measures before it. Measures should compute through neuromod.metrics, which holds the one
-- trials-to-criterion and the one entropy.
--
-- s:merge returns an array in the conditions' order of { name, condition, seeds = { measures per seed },
-- records = { records per seed }, jobs = { job per seed } }, seeds in the study's seed order.
local nm = require "neuromod"

local study = {}
local Study = {}
Study.__index = Study

local function fail(fname, msg) error("study" .. fname .. ": " .. msg, 3) end

local function seed_list(seeds)
  if type(seeds) == "number" then
    local out = {}
    for i = 1, seeds do out[i] = i end
    return out
  end
  if type(seeds) == "table" and seeds.first ~= nil then
    local out = {}
    for i = 1, seeds.count or 0 do out[i] = seeds.first + i - 1 end
    return out
  end
  if type(seeds) == "table" then
    local out = {}
    for i, s in ipairs(seeds) do out[i] = s end
    return out
  end
  fail("", "seeds: expected a count, a list of seeds or {first, count}, got " .. type(seeds))
end

function study.new(def)
  if type(def) ~= "table" then fail("", "expected a table { task, conditions, seeds, trials, measures }") end
  local task = def.task
  if type(task) ~= "table" or type(task.env) ~= "function" or type(task.record) ~= "function" then
    fail("", "task: expected a table with env(job, options) and record(records, t, trial, state)")
  end
  if type(def.conditions) ~= "table" or #def.conditions == 0 then fail("", "conditions: expected a non-empty list") end
  local seen = {}
  for i, c in ipairs(def.conditions) do
    if type(c) ~= "table" or type(c.name) ~= "string" then fail("", "conditions[" .. i .. "]: expected { name = ... }") end
    if seen[c.name] then fail("", "conditions: two are named '" .. c.name .. "'") end
    seen[c.name] = true
  end
  local seeds = seed_list(def.seeds)
  for i, s in ipairs(seeds) do
    if type(s) ~= "number" or s ~= math.floor(s) then fail("", "seeds[" .. i .. "]: expected an integer, got " .. tostring(s)) end
  end
  if #seeds == 0 then fail("", "seeds: no seed") end
  local trials = def.trials
  if type(trials) ~= "number" or trials < 1 or trials ~= math.floor(trials) then
    fail("", "trials: expected a positive integer, got " .. tostring(trials))
  end
  for i, m in ipairs(def.measures or {}) do
    if type(m) ~= "table" or type(m[1]) ~= "string" or type(m[2]) ~= "function" then
      fail("", "measures[" .. i .. "]: expected { name, fn }")
    end
  end
  return setmetatable({ name = def.name or "study", task = task, conditions = def.conditions, seeds = seeds,
                        trials = trials, measures = def.measures or {}, options = def.options or {} }, Study)
end

setmetatable(study, { __call = function(_, def) return study.new(def) end })

function Study:jobs()
  local out = {}
  for ci, c in ipairs(self.conditions) do
    for si, s in ipairs(self.seeds) do
      out[#out + 1] = { id = self.name .. "/" .. c.name .. "/" .. s, condition = c, condition_index = ci, seed = s,
                        seed_index = si }
    end
  end
  return out
end

function Study:job(id)
  for _, j in ipairs(self:jobs()) do if j.id == id then return j end end
  fail(":job", "id: no job '" .. tostring(id) .. "' in study '" .. self.name .. "'")
end

-- The trial loop of a job: trials first .. self.trials of env with agent, recorded into records (columns
-- created where missing). A trial is an episode: env:start(), then act, step, learn until terminal. A run
-- continued from a checkpoint (neuromod.runner) calls it with its restored task, agent and records.
function Study:run_trials(job, env, agent, records, first, observe)
  local task = self.task
  local state = {}
  for _, name in ipairs(task.columns or {}) do records[name] = records[name] or {} end
  local trial = { agent = agent }
  for t = first, self.trials do
    local obs = env:start()
    trial.obs, trial.reward, trial.steps = obs, 0, 0
    if task.policy then trial.probs = agent:evaluate(obs) end
    repeat
      local a = agent:act(obs)
      local r, nobs, terminal, info = env:step(a)
      agent:learn(r, nobs, terminal, type(info) == "table" and info.truncated == true or nil)
      trial.action, trial.reward, trial.steps, trial.info = a, trial.reward + r, trial.steps + 1, info
      obs = nobs
    until terminal
    task.record(records, t, trial, state)
    if observe then observe(t, trial, records, job) end
  end
  return records
end

-- The agent options of a job: { obs, actions, seed, modulators, mapping }, then the task's, then the condition's.
local function job_options(self, job, env)
  local cond = job.condition
  local opts = { obs = env:getStateSpace(), actions = env:getActionSpace(), seed = job.seed,
                 modulators = cond.modulators, mapping = cond.mapping }
  if self.task.agent then for k, v in pairs(self.task.agent(env, job, self.options)) do opts[k] = v end end
  for k, v in pairs(cond.options or {}) do opts[k] = v end
  return opts
end

-- One (condition, seed): a fresh task instance and agent, the trial loop, then the measures in order.
-- keep_agent = true leaves the agent open in result.agent (e.g. to save it); otherwise it is closed.
function Study:run_job(job, observe, keep_agent)
  local env = self.task.env(job, self.options)
  local agent = nm.agent(job_options(self, job, env))
  local records = self:run_trials(job, env, agent, {}, 1, observe)
  local measures = {}
  for _, m in ipairs(self.measures) do measures[m[1]] = m[2](records, job, measures) end
  local result = { id = job.id, job = job, records = records, measures = measures }
  if keep_agent then result.agent = agent else agent:close() end
  return result
end

function Study:merge(results)
  local jobs = self:jobs()
  local by_id = {}
  for _, r in ipairs(results) do
    if by_id[r.id] then fail(":merge", "results: job '" .. r.id .. "' appears twice") end
    by_id[r.id] = r
  end
  local out = {}
  for ci, c in ipairs(self.conditions) do out[ci] = { name = c.name, condition = c, seeds = {}, records = {}, jobs = {} } end
  for _, j in ipairs(jobs) do
    local r = by_id[j.id]
    if not r then fail(":merge", "results: job '" .. j.id .. "' is missing") end
    by_id[j.id] = nil
    local c = out[j.condition_index]
    c.seeds[j.seed_index], c.records[j.seed_index], c.jobs[j.seed_index] = r.measures, r.records, j
  end
  local extra = next(by_id)
  if extra then fail(":merge", "results: job '" .. extra .. "' is not one of this study's") end
  return out
end

-- The jobs of one condition as one population: member k is job k's agent (its options, its seed) with its own
-- task instance, records and trial loop, stepped in lockstep: each step every member acts (one pop:act), steps
-- its task, and learns (one pop:learn). Member k takes exactly the calls run_job's agent would, in the same
-- order (start, evaluate, act, step, learn, record), so its records are the same. A member that has finished
-- its trials keeps stepping on its last observation (reward 0, terminal) until the others finish; nothing of it
-- is recorded. trial.agent is a stand-in whose modulators() and evaluate() read the member.
local function run_condition(self, jobs, observe, threads)
  local task, n = self.task, #jobs
  local envs, members, records, states, trials, t, done, obs = {}, {}, {}, {}, {}, {}, {}, {}
  for k, job in ipairs(jobs) do
    envs[k] = task.env(job, self.options)
    members[k] = job_options(self, job, envs[k])
    records[k], states[k] = {}, {}
    for _, name in ipairs(task.columns or {}) do records[k][name] = {} end
  end
  local pop = nm.population{ n = n, members = members, threads = threads or 1,
                             obs = members[1].obs, actions = members[1].actions }
  local flat, nflat, rewards, terms, actions = {}, {}, {}, {}, nil
  local function begin(k)
    local o = envs[k]:start()
    obs[k] = o
    local tr = trials[k]
    tr.obs, tr.reward, tr.steps = o, 0, 0
    if task.policy then tr.probs = pop:evaluate(k, o) end
  end
  for k = 1, n do
    local member = k
    local stand_in = {
      modulators = function(_, out) return pop:modulators(member, out) end,
      state_hash = function() return pop:state_hash(member) end,
      evaluate = function(_, o) return pop:evaluate(member, o) end,
    }
    trials[k] = { agent = stand_in }
    t[k], done[k] = 1, self.trials < 1
    begin(k)
  end
  local width = #obs[1]
  local left = n
  while left > 0 do
    for k = 1, n do
      local o = obs[k]
      for i = 1, width do flat[(k - 1) * width + i] = o[i] end
    end
    actions = pop:act(flat, actions)
    for k = 1, n do
      local base = (k - 1) * width
      if done[k] then
        rewards[k], terms[k] = 0, true
        for i = 1, width do nflat[base + i] = flat[base + i] end
      else
        local a = actions[k]
        local r, nobs, terminal, info = envs[k]:step(a)
        local tr = trials[k]
        tr.action, tr.reward, tr.steps, tr.info = a, tr.reward + r, tr.steps + 1, info
        rewards[k], terms[k] = r, terminal and true or false
        -- a terminal step may come without a next observation: V(s') is 0 then, so any finite stand-in will do
        local src = nobs or obs[k]
        for i = 1, width do nflat[base + i] = src[i] end
        obs[k] = nobs
      end
    end
    pop:learn(rewards, nflat, terms)
    for k = 1, n do
      if not done[k] and terms[k] then
        task.record(records[k], t[k], trials[k], states[k])
        if observe then observe(t[k], trials[k], records[k], jobs[k]) end
        t[k] = t[k] + 1
        if t[k] > self.trials then done[k] = true; left = left - 1 else begin(k) end
      end
    end
  end
  pop:close()
  local results = {}
  for k, job in ipairs(jobs) do
    local measures = {}
    for _, m in ipairs(self.measures) do measures[m[1]] = m[2](records[k], job, measures) end
    results[k] = { id = job.id, job = job, records = records[k], measures = measures }
  end
  return results
end

function Study:run_populations(observe, threads)
  local results, by_condition = {}, {}
  for _, j in ipairs(self:jobs()) do
    local list = by_condition[j.condition_index] or {}
    by_condition[j.condition_index] = list
    list[#list + 1] = j
  end
  for ci = 1, #self.conditions do
    for _, r in ipairs(run_condition(self, by_condition[ci], observe, threads)) do results[#results + 1] = r end
  end
  return self:merge(results)
end

function Study:run(observe)
  local results = {}
  for i, j in ipairs(self:jobs()) do results[i] = self:run_job(j, observe) end
  return self:merge(results)
end

return study
