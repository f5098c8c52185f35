-- The neuron scale (c/modulators.c): ACh's attentional set over inputs, released by NA, and NA's gain focused
-- on the most active hidden units (GANE). Both are options, off by default.
local nm = require "neuromod"

local function mean(t) local s = 0 for _, x in ipairs(t) do s = s + x end return s / #t end

-- A one-step task: input 1 (0 or 1) says whether Go (action 1) pays +1 or costs 1; input 2 is an equally
-- active coin that predicts nothing; input 3 is a low-amplitude coin (0 or 0.1) that predicts nothing either
-- (the case that a first-layer column norm got wrong: its weights stay at their initial size).
local function cue_task(opts, steps)
  local a = nm.agent(opts)
  local g = nm.rng(opts.seed or 1)
  for _ = 1, steps do
    local x = { g:random(0, 1), g:random(0, 1), 0.1 * g:random(0, 1) }
    local act = a:act(x)
    a:learn(act == 1 and (x[1] == 1 and 1 or -1) or 0, nil, true)
  end
  return a
end

describe("ACh attentional set", function()
  it("raises the attention of the input that predicts reward and lowers the irrelevant ones", function()
    for seed = 1, 3 do
      local a = cue_task({ obs = 3, actions = 2, hidden = { 16 }, seed = seed, attention_set = 100,
                           modulators = { DA = true, ACh = true } }, 2000)
      local at, A = a:attention(), a:modulators().params.attention
      assert.near(A, mean(at), 1e-4 * A)
      -- every input starts at A, the mean; measured on seeds 1-8: input 1 at 1.42-1.65 A, input 2 at
      -- 0.70-0.97 A, input 3 at 0.45-0.77 A
      assert.is_true(at[1] > A, "predictive input " .. at[1] / A)
      assert.is_true(at[2] < A, "irrelevant input " .. at[2] / A)
      assert.is_true(at[3] < A, "low-amplitude irrelevant input " .. at[3] / A)
    end
  end)

  it("is uniform when ACh is switched off, or without the option", function()
    for _, opts in ipairs {
      { obs = 3, actions = 2, hidden = { 16 }, attention_set = 100, modulators = { DA = true, NA = true } },
      { obs = 3, actions = 2, hidden = { 16 } },
    } do
      local a = cue_task(opts, 500)
      local A = a:modulators().params.attention
      for _, x in ipairs(a:attention()) do assert.equal(A, x) end
    end
  end)

  it("is released by NA: a rise of NA pulls the attention back toward uniform", function()
    local opts = { obs = 3, actions = 2, hidden = { 16 }, seed = 2, attention_set = 100, modulators = "all" }
    local a = cue_task(opts, 2000)
    local function spread() local at = a:attention() return (at[1] - at[2]) / mean(at) end
    local before = spread()
    -- the rules change: input 1 now predicts the opposite outcome, a surprise that raises NA
    local g, peak = nm.rng(9), 0
    for _ = 1, 60 do
      local x = { g:random(0, 1), g:random(0, 1), 0.1 * g:random(0, 1) }
      local act = a:act(x)
      a:learn(act == 1 and (x[1] == 1 and -1 or 1) or 0, nil, true)
      peak = math.max(peak, a:modulators().NA)
    end
    assert.is_true(peak > 0.2, "NA rose to " .. peak)
    assert.is_true(spread() < 0.8 * before, "spread " .. before .. " -> " .. spread())
  end)
end)

describe("NA gain focus", function()
  -- a constant input and reward 1, then reward -1: the surprise raises NA. The agent without continual learning:
  -- the default one would meet the reversal with a new context whose gate closes units (their gain 0)
  local function run(opts)
    if opts.continual == nil then opts.continual = false end
    local a = nm.agent(opts)
    local x = { 1, 0.5, -0.5 }
    for t = 1, 400 do
      a:act(x)
      a:learn(t <= 300 and 1 or -1, nil, true)
    end
    return a, x
  end

  it("gives more gain to the more active units when NA is up, keeping the layer mean", function()
    local a, x = run{ obs = 3, actions = 2, hidden = { 16 }, seed = 3, gain_focus = 1 }
    local m = a:modulators()
    assert.is_true(m.NA > 0.1, "NA " .. m.NA)
    local g, G = a:gain(), m.params.gain
    assert.near(G, mean(g), 1e-4 * G)
    local lo, hi = math.huge, -math.huge
    for _, v in ipairs(g) do lo, hi = math.min(lo, v), math.max(hi, v) end
    assert.is_true(hi - lo > 0.05 * G, "gains differ: " .. lo .. " .. " .. hi)
    -- activity |h_i| = |tanh(g_i (W x + b)_i)|, from the weights
    local p, W, b = a:params()
    for _, t in ipairs(a:tensors()) do
      if t.name == "trunk1.weight" then W = t elseif t.name == "trunk1.bias" then b = t end
    end
    local h = {}
    for i = 1, 16 do
      local z = p[b.offset + i - 1]
      for j = 1, 3 do z = z + p[W.offset + (i - 1) * 3 + j - 1] * x[j] end
      local e = math.exp(2 * g[i] * z)
      h[i] = math.abs((e - 1) / (e + 1))
    end
    -- rank agreement: every pair of units whose activities differ clearly is ordered the same way by gain
    local agree, pairs = 0, 0
    for i = 1, 16 do
      for j = i + 1, 16 do
        if math.abs(h[i] - h[j]) > 0.1 then
          pairs = pairs + 1
          if (h[i] > h[j]) == (g[i] > g[j]) then agree = agree + 1 end
        end
      end
    end
    assert.is_true(pairs > 10 and agree == pairs, agree .. " of " .. pairs .. " pairs ordered by activity")
  end)

  it("is uniform when NA is switched off, or without the option", function()
    for _, opts in ipairs {
      { obs = 3, actions = 2, hidden = { 16, 8 }, seed = 3, gain_focus = 1, modulators = { DA = true, ACh = true } },
      { obs = 3, actions = 2, hidden = { 16, 8 }, seed = 3 },
    } do
      local a = run(opts)
      local G = a:modulators().params.gain
      for l = 1, 2 do for _, v in ipairs(a:gain(l)) do assert.equal(G, v) end end
    end
  end)

  it("refuses a layer that does not exist", function()
    local a = nm.agent{ obs = 3, actions = 2, hidden = { 4 } }
    local ok, e = pcall(a.gain, a, 2)
    assert.is_false(ok)
    assert.truthy(e:find("agent:gain: layer 2 out of range 1..1", 1, true), e)
  end)
end)

describe("neuron-scale state in checkpoints", function()
  it("save -> load -> continue is exact with both options on", function()
    local path = require("spec.support.shell").tmppath(".nmck")
    local opts = { obs = 3, actions = 2, hidden = { 12, 6 }, seed = 5, attention_set = 50, gain_focus = 1 }
    local a = cue_task(opts, 300)
    assert.is_true(a:save(path))
    local b = assert(nm.load(path))
    os.remove(path)
    assert.equal(a:state_hash(), b:state_hash())
    assert.same(a:attention(), b:attention())
    assert.equal(50, b:config().attention_set)
    assert.equal(1, b:config().gain_focus)
    local g1, g2 = nm.rng(4), nm.rng(4)
    for _ = 1, 300 do
      local x1 = { g1:random(0, 1), g1:random(0, 1), 0.1 * g1:random(0, 1) }
      local x2 = { g2:random(0, 1), g2:random(0, 1), 0.1 * g2:random(0, 1) }
      local r1 = a:act(x1) == 1 and (x1[1] == 1 and -1 or 1) or 0
      local r2 = b:act(x2) == 1 and (x2[1] == 1 and -1 or 1) or 0
      a:learn(r1, nil, true)
      b:learn(r2, nil, true)
    end
    assert.equal(a:state_hash(), b:state_hash())
    assert.same(a:gain(1), b:gain(1))
  end)
end)
