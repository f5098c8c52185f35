-- The recurrent trunk layers (the recurrent and the integrator kind) from Lua: their options and their round trip through agent:config(), the one-step
-- gradient against finite differences (the hidden state held fixed, as evaluate reads it), episode boundaries,
-- and save/load continuing exactly, also between act and learn (the C tests check the e-prop trace against
-- the gradient through the history).
local nm = require "neuromod"

local function obs_at(t) return { math.sin(0.7 * t), math.cos(1.3 * t), (t % 3) - 1 } end

local function run(a, t0, t1, acts)
  for t = t0, t1 do
    acts[t] = a:act(obs_at(t))
    a:learn(acts[t] == math.floor(t / 3) % 2 and 1 or -0.2, obs_at(t + 1), t % 11 == 10)
  end
end

describe("recurrent layer", function()
  it("takes hidden entries of kind recurrent with a time constant, and reports them back", function()
    local a = nm.agent{ obs = 3, actions = 2, hidden = { 8, { kind = "recurrent", n = 16, tau = 5 } } }
    local h = a:config().hidden
    assert.equal(8, h[1])
    assert.same({ kind = "recurrent", n = 16, tau = 5 }, h[2])
    local b = nm.agent(a:config())
    assert.equal(a:state_hash(), b:state_hash())
    local names = {}
    for _, t in ipairs(a:tensors()) do names[t.name] = t end
    assert.equal(8 + 16, names["trunk2.weight"].rows, "[W U]' by input: the inputs, then the layer's own units")
    assert.equal(16, names["trunk2.weight"].cols)
  end)

  it("takes recurrent = n as one recurrent layer after the dense ones", function()
    local h = nm.agent{ obs = 3, actions = 2, hidden = { 5 }, recurrent = 7 }:config().hidden
    assert.same({ 5, { kind = "recurrent", n = 7, tau = 1 } }, h)
    h = nm.agent{ obs = 3, actions = 2, recurrent = { n = 4, tau = 3 } }:config().hidden
    assert.same({ 64, { kind = "recurrent", n = 4, tau = 3 } }, h)
  end)

  it("names bad layer options", function()
    local function err(opts)
      opts.obs, opts.actions = 3, 2
      local ok, e = pcall(nm.agent, opts)
      assert.is_false(ok)
      return tostring(e)
    end
    assert.truthy(err{ hidden = { { kind = "dense", n = 3, tau = 2 } } }:find("hidden[1].tau: only a recurrent layer", 1, true))
    assert.truthy(err{ hidden = { { kind = "recurrent", n = 3, tau = 0.5 } } }:find("hidden[1].tau: expected a number >= 1", 1, true))
    assert.truthy(err{ hidden = { { kind = "recurrent", n = 3, tau = "x" } } }:find("hidden[1].tau: expected a number", 1, true))
    assert.truthy(err{ recurrent = "x" }:find("recurrent: expected a number of units", 1, true))
    assert.truthy(err{ recurrent = { n = 3, leak = 1 } }:find("recurrent: unknown layer option 'leak'", 1, true))
    assert.truthy(err{ recurrent = 0 }:find("recurrent.n: expected a positive integer", 1, true))
    assert.truthy(err{ recurrent = { n = 3, kind = "dense" } }:find("recurrent.kind: expected 'recurrent' or " ..
                                                                    "'integrator', got 'dense'", 1, true))
    assert.truthy(err{ hidden = { { kind = "lstm", n = 3 } } }:find("hidden[1].kind: unknown layer kind 'lstm' " ..
                                                                    "(known: dense, recurrent, integrator)", 1, true))
  end)

  it("takes the integrator kind, in hidden and as recurrent's kind, and reports it back", function()
    local a = nm.agent{ obs = 3, actions = 2, hidden = { 8, { kind = "integrator", n = 16, tau = 5 } } }
    assert.same({ 8, { kind = "integrator", n = 16, tau = 5 } }, a:config().hidden)
    assert.equal(a:state_hash(), nm.agent(a:config()):state_hash())
    local b = nm.agent{ obs = 3, actions = 2, hidden = { 8 }, recurrent = { n = 16, tau = 5, kind = "integrator" } }
    assert.equal(a:state_hash(), b:state_hash())
    -- the same weights as the recurrent kind's (one initialisation), another network: the steps part
    local r = nm.agent{ obs = 3, actions = 2, hidden = { 8, { kind = "recurrent", n = 16, tau = 5 } } }
    assert.same(r:params(), a:params())
    run(a, 1, 50, {})
    run(r, 1, 50, {})
    assert.are_not.same(r:params(), a:params())
  end)

  for _, kind in ipairs { "recurrent", "integrator" } do
  it("gives the one-step gradient of finite differences, its hidden state held fixed (" .. kind .. ")", function()
    local a = nm.agent{ obs = 3, actions = 3, seed = 5, hidden = { 5, { kind = kind, n = 6, tau = 3 } } }
    run(a, 1, 6, {})
    local p = a:params()
    for i = 1, #p do a:set_param(i, p[i] * 3) end
    p = a:params()
    local x, act, w1, w2 = { 0.3, -0.8, 1.2 }, 1, 1.0, 0.6
    local function f()
      local probs, v = a:evaluate(x)
      return w1 * math.log(probs[act + 1]) + w2 * v
    end
    local g = a:gradient(x, act, w1, w2)
    for _, t in ipairs(a:tensors()) do
      if not t.name:find("^predictor") then
        local worst = 0
        for k = t.offset, t.offset + t.rows * t.cols - 1 do
          local h = 1e-2
          a:set_param(k, p[k] + h); local fp = f()
          a:set_param(k, p[k] - h); local fm = f()
          a:set_param(k, p[k])
          local fd = (fp - fm) / (2 * h)
          worst = math.max(worst, math.abs(fd - g[k]) / (1e-3 + math.abs(fd) + math.abs(g[k])))
        end
        assert.is_true(worst < 1e-2, t.name .. ": relative error " .. worst)
      end
    end
  end)
  end

  it("carries its state over steps and clears it at reset", function()
    local a = nm.agent{ obs = 3, actions = 2, seed = 3, recurrent = { n = 8, tau = 4 } }
    local fresh = { a:evaluate(obs_at(0)) }
    run(a, 1, 5, {})
    local later = { a:evaluate(obs_at(0)) }
    assert.are_not.equal(fresh[2], later[2])
    a:reset()
    local again = { a:evaluate(obs_at(0)) }
    -- the weights moved, so compare against a copy whose state is cleared by its own reset
    local path = os.tmpname()
    assert(a:save(path))
    local b = assert(nm.load(path))
    os.remove(path)
    assert.equal(again[2], ({ b:evaluate(obs_at(0)) })[2])
  end)

  for _, kind in ipairs { "recurrent", "integrator" } do
  it("continues exactly after save/load, also between act and learn (" .. kind .. ")", function()
    local opts = { obs = 3, actions = 2, seed = 9, modulators = "all", hidden = { 6, { kind = kind, n = 10, tau = 5 } } }
    local a, b = nm.agent(opts), nm.agent(opts)
    local acts_a, acts_b = {}, {}
    run(a, 1, 100, acts_a)
    run(b, 1, 100, acts_b)
    local path = os.tmpname()
    -- mid-episode and with an act pending: the load redoes its forward pass from obs and h_{t-1}
    acts_a[101] = a:act(obs_at(101))
    acts_b[101] = b:act(obs_at(101))
    assert(b:save(path))
    b = assert(nm.load(path))
    os.remove(path)
    a:learn(0.5, obs_at(102), false)
    b:learn(0.5, obs_at(102), false)
    assert.equal(a:state_hash(), b:state_hash())
    run(a, 102, 300, acts_a)
    run(b, 102, 300, acts_b)
    assert.same(acts_a, acts_b)
    assert.equal(a:state_hash(), b:state_hash())
  end)
  end
end)
