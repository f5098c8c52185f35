-- Random calls on populations and lone agents through the Lua API, for spec/random_calls_spec.lua: each case
-- draws a shape, per-member options and a thread count from nm.rng(seed), builds nm.population and the lone
-- agents nm.agent{ seed = s + k - 1, ... }, and gives both the same calls in a random order: act and learn or
-- step (observations as tables or nm.vectors, actions into a reused table), terminal steps, a NaN observation or
-- reward for one member, reset, freeze and thaw, contexts (numbers and strings), replace by another member's copy,
-- evaluate, and a save and load through a file. It prints one line per step (the actions and the errors) and the
-- members' state hashes now and then, and "DIFF ..." wherever a member and its lone agent part. Its output
-- depends only on the seed, so the two backends must print the same lines.
--   lua5.4|luajit spec/support/random_calls.lua SEED CASES STEPS TMPDIR
local nm = require "neuromod"

local seed, cases, steps = tonumber(arg[1]) or 1, tonumber(arg[2]) or 6, tonumber(arg[3]) or 200
local tmp = arg[4] or os.getenv("TMPDIR") or "/tmp"
local g = nm.rng(seed)

local function pick(t) return t[g:random(#t)] end
local function chance(p) return g:random() < p end

local with = require("spec.support.agent_checks").with

-- errors as text without the part that names the caller ("pop:act: ", "agent:act: ")
local function call(f, ...)
  local ok, err = pcall(f, ...)
  if ok then return true end
  return false, (tostring(type(err) == "table" and err[1] or err):gsub("^[%w_.:]+: ", ""))
end

local diffs = 0
local function diff(what)
  diffs = diffs + 1
  print("DIFF " .. what)
end

local function hashes(pop, lone, where)
  local line = {}
  for k = 1, #lone do
    local hp, hl = pop:state_hash(k), lone[k]:state_hash()
    if hp ~= hl then diff(string.format("%s: member %d's state hash", where, k)) end
    line[#line + 1] = string.format("%s", tostring(hp))
  end
  print(where .. " hashes " .. table.concat(line, " "))
end

for case = 1, cases do
  local n_obs, n_act = g:random(1, 4), g:random(2, 4)
  local units = pick { 3, 8, 16, 24 }
  local recurrent = chance(0.3) and pick { "recurrent", "integrator" }
  local opts = { obs = n_obs, actions = n_act,
                 hidden = recurrent and { { kind = recurrent, n = units, tau = pick { 1, 2.5, 5 } } } or { units } }
  local n, threads, s = g:random(1, 20), g:random(1, 3), g:random(1, 1000)
  local members = {}
  for k = 1, n do
    local m = {}
    if chance(0.3) then m.continual = false end
    if chance(0.3) then m.modulators = pick { { DA = true }, { DA = true, NA = true }, { NA = true, ACh = true } } end
    if chance(0.3) then m.learning_rate = pick { 0.01, 0.05, 0.1 } end
    if chance(0.2) then m.max_update = 0.05 end
    members[k] = next(m) and m or nil
  end
  local pop = nm.population(with(opts, { n = n, seed = s, threads = threads, members = members }))
  local lone = {}
  for k = 1, n do lone[k] = nm.agent(with(with(opts, { seed = s + k - 1 }), members[k])) end
  print(string.format("case %d: %d members, %d obs, %d actions, %s %d units, %d threads", case, n, n_obs, n_act,
                      recurrent or "dense", units, threads))

  local function observations()
    local t = chance(0.5) and {} or nm.vector(n * n_obs)
    for i = 1, n * n_obs do t[i] = (g:random(9) - 5) / 4 end
    return t
  end
  local function row(t, k)
    local r = {}
    for i = 1, n_obs do r[i] = t[(k - 1) * n_obs + i] end
    return r
  end

  local acts, pending = {}, {}
  local obs = observations()
  -- act: the population and each lone agent on the same observations
  local function act_all(o)
    for k = 1, n do acts[k] = -1 end
    local ok, err = call(pop.act, pop, o, acts)
    local line = { ok and "ok" or ("error " .. err) }
    for k = 1, n do
      local lok, a = pcall(lone[k].act, lone[k], row(o, k))
      if lok then
        pending[k] = true
        if a ~= acts[k] then diff(string.format("case %d act: member %d acts %s, alone %s", case, k, acts[k], a)) end
      end
      line[#line + 1] = lok and tostring(a) or "x"
    end
    return table.concat(line, " ")
  end

  print("act " .. act_all(obs))
  for t = 1, steps do
    local nobs, r, term = observations(), {}, {}
    for k = 1, n do
      r[k] = acts[k] == (k + t) % n_act and 1 or 0
      term[k] = chance(0.08)
    end
    if chance(0.01) then r[g:random(n)] = 0 / 0 end
    if chance(0.01) then nobs[(g:random(n) - 1) * n_obs + 1] = 0 / 0 end
    if chance(0.5) then
      -- pop:step: learn, then act on next_obs (or on a new episode's observation where one ended)
      local on = nil
      for k = 1, n do
        if term[k] then
          on = on or (function() local c = {}; for i = 1, n * n_obs do c[i] = nobs[i] end; return c end)()
          for i = 1, n_obs do on[(k - 1) * n_obs + i] = (g:random(9) - 5) / 4 end
        end
      end
      for k = 1, n do acts[k] = -1 end
      local ok, err = call(pop.step, pop, r, nobs, term, on, acts)
      local line = { ok and "ok" or ("error " .. err) }
      for k = 1, n do
        local lok = true
        if pending[k] then
          lok = pcall(lone[k].learn, lone[k], r[k], row(nobs, k), term[k])
          if lok then pending[k] = false end
        end
        local a = "x"
        if lok then
          local aok, av = pcall(lone[k].act, lone[k], row(on or nobs, k))
          if aok then a, pending[k] = av, true end
        end
        if a ~= "x" and a ~= acts[k] then diff(string.format("case %d step %d: member %d acts %s, alone %s", case, t, k, acts[k], a)) end
        line[#line + 1] = tostring(a)
      end
      print("step " .. t .. " " .. table.concat(line, " "))
      obs = on or nobs
    else
      local ok, err = call(pop.learn, pop, r, nobs, term)
      local line = { ok and "ok" or ("error " .. err) }
      for k = 1, n do
        local lok = pcall(lone[k].learn, lone[k], r[k], row(nobs, k), term[k])
        if lok then pending[k] = false end
        line[#line + 1] = lok and "l" or "x"
      end
      print("learn " .. t .. " " .. table.concat(line, " "))
      for i = 1, n * n_obs do if nobs[i] ~= nobs[i] then nobs[i] = 0 end end
      obs = nobs
      print("act " .. act_all(obs))
    end
    -- the calls between steps
    local k, j = g:random(n), g:random(n)
    if chance(0.02) then pop:reset(k); lone[k]:reset(); pending[k] = false; print("reset " .. k) end
    if chance(0.02) then
      local on = chance(0.5)
      pop:freeze(k, on); lone[k]:freeze(on)
      print("freeze " .. k .. " " .. tostring(on))
    end
    if chance(0.02) then
      local id = pick { 0, 1, 2, "reversal" }
      local okp, ep = call(pop.context, pop, k, id)
      local okl, el = call(lone[k].context, lone[k], id)
      if okp ~= okl then diff(string.format("case %d: context %s of member %d: %s / %s", case, id, k, ep, el)) end
      print("context " .. k .. " " .. tostring(id) .. " " .. tostring(okp and pop:context(k)))
    end
    if chance(0.01) then
      pop:replace(k, lone[j])
      local path = string.format("%s/neuromod-random-calls-%d-%s.nmck", tmp, seed, nm.backend)
      assert(lone[j]:save(path))
      lone[k] = assert(nm.load(path))
      os.remove(path)
      pending[k] = pending[j]
      print("replace " .. k .. " by " .. j)
    end
    if chance(0.02) then
      local o = {}
      for i = 1, n_obs do o[i] = (g:random(9) - 5) / 4 end
      local pp, vp = pop:evaluate(k, o)
      local pl, vl = lone[k]:evaluate(o)
      local same = vp == vl
      for i = 1, n_act do same = same and pp[i] == pl[i] end
      if not same then diff(string.format("case %d: evaluate of member %d", case, k)) end
      print(string.format("evaluate %d %.9g", k, vp))
    end
    if chance(0.01) then
      local path = string.format("%s/neuromod-random-calls-pop-%d-%s.nmck", tmp, seed, nm.backend)
      assert(pop:save(path))
      local back = assert(nm.population_load(path, g:random(1, 3)))
      os.remove(path)
      pop:close()
      pop = back
      print("save and load")
    end
    if t % 25 == 0 then hashes(pop, lone, string.format("case %d step %d", case, t)) end
  end
  hashes(pop, lone, string.format("case %d end", case))
  pop:close()
  for k = 1, n do lone[k]:close() end
end
print(string.format("random calls: %d cases, %d differences", cases, diffs))
