-- The policy options: the actor's entropy bonus (config policy_entropy): the policy head's change is the learning rate times c times
-- the gradient of H(pi(s)), checked against finite differences; and it keeps the policy from saturating where
-- the plain policy gradient drives it to certainty.
local nm = require "neuromod"
local checks = require "spec.support.agent_checks"

local function entropy(a, x)
  local probs = a:evaluate(x)
  local H = 0
  for _, p in ipairs(probs) do if p > 0 then H = H - p * math.log(p) end end
  return H
end

local function head(a)
  for _, t in ipairs(a:tensors()) do
    if t.name == "policy.weight" then return t end
  end
end

describe("policy_entropy", function()
  it("adds learning_rate x c x dH/dtheta to the policy head, as finite differences of H say", function()
    local x, c = { 0.3, -0.8, 1.2 }, 0.5
    local opts = { obs = 3, actions = 3, hidden = { 8 }, seed = 4, modulators = "none", learning_rate = 0.1,
      inverse_temperature = 2 }
    local with, without = nm.agent(opts), nm.agent(opts)
    with:close()
    opts.policy_entropy = c
    with = nm.agent(opts)
    for _, a in ipairs { with, without } do
      local p = a:params()
      for i = 1, #p do a:set_param(i, p[i] * 3) end -- a policy far from uniform
    end
    -- dH/dtheta for the head's weights and biases, before the step
    local p0 = with:params()
    local t = head(with)
    local first, last = t.offset, t.offset + t.rows * t.cols + t.rows - 1 -- weight then bias (policy.bias follows)
    local fd = {}
    for k = first, last do
      local h = 1e-3
      with:set_param(k, p0[k] + h)
      local hp = entropy(with, x)
      with:set_param(k, p0[k] - h)
      local hm = entropy(with, x)
      with:set_param(k, p0[k])
      fd[k] = (hp - hm) / (2 * h)
    end
    for _, a in ipairs { with, without } do
      a:act(x)
      a:learn(0.5, x, false)
    end
    local pw, pn = with:params(), without:params()
    local worst, moved = 0, 0
    for k = first, last do
      local bonus = pw[k] - pn[k]
      local want = 0.1 * c * fd[k]
      moved = math.max(moved, math.abs(want))
      worst = math.max(worst, math.abs(bonus - want) / (1e-4 + math.abs(want)))
    end
    assert.is_true(moved > 1e-3, "the bonus should move the head")
    assert.is_true(worst < 2e-2, "relative error " .. worst)
    -- nothing else differs: the trunk, the value head and the predictor see the same step
    for k = 1, #pw do
      if k < first or k > last then assert.equal(pn[k], pw[k]) end
    end
    with:close() without:close()
  end)

  it("keeps a two-armed bandit's actor further from certainty than the plain policy gradient", function()
    -- no trunk, so the head the bonus acts on is the whole actor; saturation = |log(p / (1 - p))| of the good arm
    local function saturation(c, seed)
      local a = nm.agent{ obs = 1, actions = 2, hidden = {}, seed = seed, policy_entropy = c,
        withhold_action = false }
      local g = nm.rng(seed)
      for _ = 1, 3000 do
        local act = a:act({ 1 })
        local r = (g:random() < (act == 1 and 0.8 or 0.2)) and 1 or 0
        a:learn(r, { 1 }, true)
      end
      local pb = a:evaluate({ 1 })[2]
      a:close()
      return math.abs(math.log(pb / (1 - pb)))
    end
    for seed = 1, 5 do
      local plain, bonus = saturation(0, seed), saturation(0.3, seed)
      assert.is_true(bonus < 0.8 * plain, ("seed %d: saturation %.2f with the bonus, %.2f without"):format(seed,
        bonus, plain))
    end
  end)

  it("is refused out of range, naming the option", function()
    local ok, err = pcall(nm.agent, { obs = 1, actions = 2, policy_entropy = -1 })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("policy_entropy", 1, true), err)
  end)
end)

describe("outcome_bias", function()
  -- the policy's logits gain outcome_bias x level_NA x q_a(s), q from the outcome predictor's weights; with no
  -- trunk the features are the attended observation, so the policy can be computed by hand from the parameters
  local function tensor(a, name)
    for _, t in ipairs(a:tensors()) do if t.name == name then return t end end
  end
  local function by_hand(a, x, w)
    local p, m = a:params(), a:modulators()
    local beta, bias = m.params.inverse_temperature, m.params.withhold_bias
    local att = a:attention()
    local pw, pb, qw, qb = tensor(a, "policy.weight"), tensor(a, "policy.bias"), tensor(a, "predictor.weight"),
      tensor(a, "predictor.bias")
    local z, mx = {}, -math.huge
    for i = 1, pw.rows do
      local logit, q = p[pb.offset + i - 1], p[qb.offset + i - 1]
      for j = 1, pw.cols do
        local u = att[j] * x[j]
        logit = logit + p[pw.offset + (i - 1) * pw.cols + j - 1] * u
        q = q + p[qw.offset + (i - 1) * qw.cols + j - 1] * u
      end
      z[i] = beta * logit + (i == 1 and bias or 0) + w * m.levels.NA * q
      if z[i] > mx then mx = z[i] end
    end
    local sum = 0
    for i = 1, #z do z[i] = math.exp(z[i] - mx); sum = sum + z[i] end
    for i = 1, #z do z[i] = z[i] / sum end
    return z
  end

  it("adds outcome_bias x level_NA x q_a(s) to the logits, and nothing while NA is 0", function()
    local x = { 0.4, -0.7 }
    local a = nm.agent{ obs = 2, actions = 3, hidden = {}, seed = 2, outcome_bias = 5 }
    local g = nm.rng(2)
    local probs = a:evaluate(x)
    assert.equal(0, a:modulators().levels.NA)
    local hand = by_hand(a, x, 0)
    for i = 1, 3 do assert.is_true(math.abs(probs[i] - hand[i]) < 1e-5) end
    -- surprising outcomes raise NA; the predictor's values then count in the policy
    for t = 1, 400 do
      a:act(x)
      a:learn(t > 200 and (g:random() < 0.5 and 3 or -3) or 0.1, x, true)
    end
    local na = a:modulators().levels.NA
    assert.is_true(na > 0.05, "NA " .. na)
    probs = a:evaluate(x)
    hand = by_hand(a, x, 5)
    local plain = by_hand(a, x, 0)
    local differs = false
    for i = 1, 3 do
      assert.is_true(math.abs(probs[i] - hand[i]) < 1e-4, ("action %d: %g vs %g"):format(i, probs[i], hand[i]))
      if math.abs(probs[i] - plain[i]) > 1e-3 then differs = true end
    end
    assert.is_true(differs, "the outcome bias should change the policy")
    a:close()
  end)
end)

describe("predictor_forget", function()
  -- the outcome values of the actions not taken move predictor_forget x level_NA (clamped to [0, 1]) of the way
  -- toward the average reward (tonic DA) each learn step, in every state; the taken action's value learns as before
  local function tensor(a, name)
    for _, t in ipairs(a:tensors()) do if t.name == name then return t end end
  end
  local function run(forget, steps)
    local a = nm.agent{ obs = 2, actions = 3, hidden = {}, seed = 4, predictor_forget = forget }
    local g = nm.rng(4)
    for t = 1, steps do
      a:act({ 0.3, -0.5 })
      a:learn(t > 150 and (g:random() < 0.5 and 2 or -2) or 0.2, { 0.3, -0.5 }, true)
    end
    return a
  end

  it("defaults to 0, the behaviour before it existed", function()
    local a = nm.agent{ obs = 2, actions = 3 }
    assert.equal(0, a:config().predictor_forget)
    a:close()
    local b, c = run(0, 300), nm.agent{ obs = 2, actions = 3, hidden = {}, seed = 4 }
    local g = nm.rng(4)
    for t = 1, 300 do
      c:act({ 0.3, -0.5 })
      c:learn(t > 150 and (g:random() < 0.5 and 2 or -2) or 0.2, { 0.3, -0.5 }, true)
    end
    assert.equal(c:state_hash(), b:state_hash())
    b:close(); c:close()
  end)

  it("moves the values of the actions not taken toward the average reward by forget x level_NA", function()
    -- q_b(s) = Wq_b u + bq_b: every weight of row b shrinks by (1 - k) and the bias moves k of the way to the
    -- average reward, k = forget x level_NA, so q_b moves so in every state (read from the weights: attention
    -- changes with the step)
    local f = 0.3
    local a = run(f, 300)
    local m = a:modulators()
    local na = math.min(1, m.levels.NA)
    assert.is_true(na > 0.05, "NA " .. na)
    local k, rho = f * na, m.tonic.DA
    local qw, qb = tensor(a, "predictor.weight"), tensor(a, "predictor.bias")
    local x = { 0.3, -0.5 }
    local taken = a:act(x)
    local p0 = a:params()
    a:learn(0.2, x, true)
    local p1 = a:params()
    for i = 1, 3 do
      if i - 1 ~= taken then
        local b = qb.offset + i - 1
        local want = (1 - k) * p0[b] + k * rho
        assert.is_true(math.abs(p1[b] - want) < 1e-6, ("bias %d: %g vs %g"):format(i - 1, p1[b], want))
        for j = 1, qw.cols do
          local w = qw.offset + (i - 1) * qw.cols + j - 1
          assert.is_true(math.abs(p1[w] - (1 - k) * p0[w]) < 1e-6, ("weight %d,%d"):format(i - 1, j))
        end
      end
    end
    a:close()
  end)

  it("refuses a value outside [0, 1]", function()
    local ok, err = pcall(nm.agent, { obs = 1, actions = 2, predictor_forget = 1.5 })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("predictor_forget", 1, true), err)
  end)
end)

describe("pavlovian", function()
  -- the withheld action's logit takes -pavlovian x V(s); when V < 0, times exp(M[withhold_bias][5HT] level_5HT)
  local function weight(k)
    -- the default mapping's withhold_bias x 5HT entry is 2
    return function(v, m) return v < 0 and k * math.exp(2 * m.levels["5HT"]) or k end
  end

  it("pulls toward acting in good states and withholding in bad ones, the bad half scaled by 5-HT", function()
    local seen = {}
    local a = checks.good_then_bad({ obs = 2, actions = 2, hidden = {}, seed = 5, pavlovian = 3, withhold_action = 0 },
      function(t, a, x)
        local probs = a:evaluate(x)
        local hand, v = checks.pavlovian_policy(a, x, weight(3))
        local plain = checks.pavlovian_policy(a, x, weight(0))
        for i = 1, 2 do assert.is_true(math.abs(probs[i] - hand[i]) < 1e-4, ("t %d action %d: %g vs %g"):format(t, i, probs[i], hand[i])) end
        seen[t] = { v = v, shift = probs[1] - plain[1] }
      end)
    assert.is_true(seen[300].v > 0 and seen[300].shift < 0, "a good state: less withholding")
    assert.is_true(seen[600].v < 0 and seen[600].shift > 0, "a bad state: more withholding")
    assert.is_true(a:modulators().levels["5HT"] > 0.1)
    a:close()
  end)
end)

