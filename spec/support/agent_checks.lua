-- Small helpers the option specs share: merging option tables, a continual-learning row's values, a save/load
-- round trip that keeps stepping, and the Pavlovian policy computed by hand from the agent's tensors.
local nm = require "neuromod"
local assert = require "luassert"   -- busted's, which a required module does not see as a global

local M = {}

-- a copy of t with extra's keys laid over it
function M.with(t, extra)
  local o = {}
  for k, v in pairs(t) do o[k] = v end
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

-- A continual-learning row's values: `on` in the default agent (new{ continual = true }), `off` in the agent new
-- builds by itself (the option specs' base, continual = false), `value` taken when given, and each of `bad` refused
-- with a message naming the option.
function M.continual_row(new, option, on, off, value, bad)
  assert.equal(on, new{ continual = true }:config()[option])
  assert.equal(off, new():config()[option])
  assert.equal(value, new{ [option] = value }:config()[option])
  for _, b in ipairs(bad) do
    local ok, err = pcall(new, { [option] = b })
    assert.is_false(ok)
    assert.truthy(tostring(err):match(option), err)
  end
end

-- 50 steps of a punishing two-cue stream, a checkpoint, then 50 more steps on the original and on the reloaded agent.
-- Returns the original, the reloaded agent (for its config) and the two state hashes, which must be equal.
function M.save_and_continue(opts)
  local a = nm.agent(opts)
  for i = 1, 50 do a:act{ 1, 0 } a:learn(i % 7 == 0 and -100 or -1, nil, true) end
  local path = os.tmpname()
  local ok, err = a:save(path)
  if not ok then error("save failed: " .. tostring(err)) end
  local b = nm.load(path)
  os.remove(path)
  for i = 1, 50 do
    a:act{ 0, 1 } a:learn(i % 5 == 0 and -100 or -1, nil, true)
    b:act{ 0, 1 } b:learn(i % 5 == 0 and -100 or -1, nil, true)
  end
  return a, b, a:state_hash(), b:state_hash()
end

local function tensor(a, name)
  for _, t in ipairs(a:tensors()) do if t.name == name then return t end end
end

-- The policy at x by hand: softmax of beta x logits, the withheld action (the first) also taking the withhold bias
-- and -w x V(s), where w = weight(V, modulators) is the Pavlovian weight the spec expects. Returns the
-- probabilities and V(s). For an agent without a hidden layer (its heads read the attended input).
function M.pavlovian_policy(a, x, weight)
  local p, m = a:params(), a:modulators()
  local beta, bias = m.params.inverse_temperature, m.params.withhold_bias
  local att = a:attention()
  local pw, pb = tensor(a, "policy.weight"), tensor(a, "policy.bias")
  local vw, vb = tensor(a, "value.weight"), tensor(a, "value.bias")
  local v = p[vb.offset]
  for j = 1, vw.cols do v = v + p[vw.offset + j - 1] * att[j] * x[j] end
  local w = weight(v, m)
  local z, mx = {}, -math.huge
  for i = 1, pw.rows do
    local logit = p[pb.offset + i - 1]
    for j = 1, pw.cols do logit = logit + p[pw.offset + (i - 1) * pw.cols + j - 1] * att[j] * x[j] end
    z[i] = beta * logit + (i == 1 and (bias - w * v) or 0)
    if z[i] > mx then mx = z[i] end
  end
  local sum = 0
  for i = 1, #z do z[i] = math.exp(z[i] - mx); sum = sum + z[i] end
  for i = 1, #z do z[i] = z[i] / sum end
  return z, v
end

-- 600 one-step trials on one cue: a good world (reward 1 with probability 0.8) for 300, then a punishing one (-1),
-- so V(s) is positive at trial 300 and negative at 600; check(t, agent, x) runs at those two trials
function M.good_then_bad(opts, check)
  local x = { 0.4, -0.7 }
  local a = nm.agent(opts)
  local g = nm.rng(5)
  for t = 1, 600 do
    a:act(x)
    a:learn(t <= 300 and (g:random() < 0.8 and 1 or 0) or -1, x, true)
    if check and (t == 300 or t == 600) then check(t, a, x) end
  end
  return a
end

-- The mean return over the last `last` of `episodes` episodes of an agent on an rlenvs-style episodic task, each
-- episode cut (truncated, not ended) after max_steps steps
function M.last_returns(agent, env, episodes, last, max_steps)
  local total = 0
  for e = 1, episodes do
    local obs, ret, steps = env:start(), 0, 0
    while true do
      local r, nobs, terminal = env:step(agent:act(obs))
      steps, ret = steps + 1, ret + r
      agent:learn(r, nobs, terminal, not terminal and steps >= max_steps or nil)
      if terminal or steps >= max_steps then break end
      obs = nobs
    end
    if e > episodes - last then total = total + ret end
  end
  return total / last
end

return M
