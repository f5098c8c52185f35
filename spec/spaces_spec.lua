-- neuromod.spaces: rlenvs-style environments (Box of any shape and bounds, Discrete, nil state spaces) run
-- unchanged through the adaptation layer; an observation that disagrees with its space is named, not a crash.
local nm = require "neuromod"
local spaces = require "neuromod.spaces"
local protocol = require "neuromod.protocol"
local garbage = require "spec.support.garbage"

local function rlenv(name) return dofile("spec/support/rlenvs/" .. name .. ".lua") end

local function message(f)
  local ok, err = pcall(f)
  assert.is_false(ok, "expected an error")
  return tostring(err)
end

describe("neuromod.spaces", function()
  it("scales finite bounds beyond [-1, 1] into [-1, 1], per element", function()
    local e = spaces.encoder{ name = "Box", shape = { 2 }, low = { 1, 1 }, high = { 12, 4 } }
    assert.equal(2, e.size)
    assert.same({ -1, -1 }, e.encode{ 1, 1 })
    assert.same({ 1, 1 }, e.encode{ 12, 4 })
    local mid = e.encode{ 6.5, 2.5 }
    assert.is_true(math.abs(mid[1]) < 1e-12 and math.abs(mid[2]) < 1e-12)
    assert.same({ name = "Box", shape = { 2 }, low = { -1, -1 }, high = { 1, 1 } }, e.space)
  end)

  it("passes bounds within [-1, 1] and infinite bounds through", function()
    local e = spaces.encoder{ name = "Box", shape = { 4 }, low = { 0, -1, -math.huge, 0 }, high = { 1, 1, math.huge, 10 } }
    assert.same({ 0.5, -0.25, 1234, 0 }, e.encode{ 0.5, -0.25, 1234, 5 })
    e = spaces.encoder{ name = "Box", shape = { 3 }, low = 0, high = 1 }
    assert.same({ 0, 0.5, 1 }, e.encode{ 0, 0.5, 1 })
    e = spaces.encoder{ name = "Box", shape = { 2 } } -- no bounds: unbounded
    assert.same({ -50, 50 }, e.encode{ -50, 50 })
  end)

  it("flattens any shape, from nested or flat tables, into a reused table", function()
    local e = spaces.encoder{ name = "Box", shape = { 2, 3 }, low = 0, high = 1 }
    assert.equal(6, e.size)
    local out = {}
    assert.equal(out, e.encode({ { 0, 0.1, 0.2 }, { 0.3, 0.4, 0.5 } }, out))
    assert.same({ 0, 0.1, 0.2, 0.3, 0.4, 0.5 }, out)
    assert.same({ 1, 1, 1, 0, 0, 0 }, e.encode{ 1, 1, 1, 0, 0, 0 })
    e = spaces.encoder{ name = "Box", shape = { 1 }, low = -1, high = 1 }
    assert.same({ 0.5 }, e.encode(0.5))
  end)

  it("one-hot encodes a Discrete state and gives a constant input for nil", function()
    local e = spaces.encoder{ name = "Discrete", n = 4 }
    assert.equal(4, e.size)
    local out = e.encode(2)
    assert.same({ 0, 0, 1, 0 }, out)
    assert.same({ 1, 0, 0, 0 }, e.encode(0, out))
    local n = spaces.encoder(nil)
    assert.equal(1, n.size)
    assert.same({ 1 }, n.encode(nil))
  end)

  it("names the space, the index and the value of a disagreeing observation", function()
    local box = spaces.encoder({ name = "Box", shape = { 2 }, low = { 1, 1 }, high = { 12, 4 } }, "cliff")
    assert.equal("spaces: cliff Box {2}: observation[2] = 7 is outside [1, 4]", message(function() box.encode{ 3, 7 } end))
    assert.equal("spaces: cliff Box {2}: observation has 3 numbers, the shape holds 2", message(function() box.encode{ 1, 1, 1 } end))
    assert.equal("spaces: cliff Box {2}: observation[1] must be a number, got string", message(function() box.encode{ "a", 1 } end))
    assert.equal("spaces: cliff Box {2}: observation must be a table of 2 numbers, got nil", message(function() box.encode(nil) end))
    local d = spaces.encoder({ name = "Discrete", n = 7 }, "walk")
    assert.equal("spaces: walk Discrete(7): observation = 7 is not an integer in 0..6", message(function() d.encode(7) end))
    assert.equal("spaces: walk Discrete(7): observation = 1.5 is not an integer in 0..6", message(function() d.encode(1.5) end))
    assert.equal("spaces: bandit nil: observation must be nil (no state), got table",
      message(function() spaces.encoder(nil, "bandit").encode{ 1 } end))
    assert.equal("spaces: Box {2}: low has 3 entries, the shape holds 2",
      message(function() spaces.encoder{ name = "Box", shape = { 2 }, low = { 0, 0, 0 }, high = 1 } end))
    assert.equal("spaces: Tuple: unknown state space name Tuple (known: Box, Discrete, or nil for none)",
      message(function() spaces.encoder{ name = "Tuple" } end))
  end)

  it("runs rlenvs-style environments with Box, Discrete and nil states unchanged, through the checker and an agent", function()
    for _, c in ipairs { { "cliff", 2 }, { "randomwalk", 7 }, { "bandit", 1 } } do
      local Env = rlenv(c[1])
      local wrapped = function(opts) return spaces.wrap(Env(opts), c[1]) end
      local s = protocol.check(wrapped, {}, c[1], { steps = 400 })
      assert.equal(c[2], s.obs_size)
      local env = wrapped{ seed = 1 }
      local agent = nm.agent{ obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { 8 }, seed = 1 }
      local obs = env:start()
      for _ = 1, 300 do
        local a = agent:act(obs)
        local r, o, terminal = env:step(a)
        agent:learn(r, o, terminal)
        obs = terminal and env:start() or o
      end
      agent:close()
    end
  end)

  it("names an environment whose Box shape disagrees with its observations", function()
    local env = spaces.wrap(rlenv("badshape")(), "badshape.lua state space")
    assert.equal("spaces: badshape.lua state space Box {3}: observation has 2 numbers, the shape holds 3",
      message(function() env:start() end))
  end)

  it("makes no garbage per encode", function()
    local e = spaces.encoder{ name = "Box", shape = { 2, 2 }, low = -5, high = 5 }
    local out, obs = {}, { { 1, 2 }, { 3, 4 } }
    local bytes = garbage.bytes(function() e.encode(obs, out) end, 5000)
    assert.is_true(bytes < 1024, bytes .. " bytes")
  end)
end)
