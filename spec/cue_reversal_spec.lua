-- envs/cue_reversal.lua and experiments/cue_reversal.lua: the one-step Go/No-Go whose cues swap meanings.
local nm = require "neuromod"
local protocol = require "neuromod.protocol"
local stats = require "neuromod.stats"

describe("cue_reversal", function()
  it("speaks the protocol and swaps the cues' meanings after reverse_at", function()
    protocol.check("envs/cue_reversal.lua", { reverse_at = 50 }, nil, { steps = 200 })
    local Env = dofile("envs/cue_reversal.lua")
    local env = Env{ seed = 3, reverse_at = 2 }
    local seen = {}
    for t = 1, 6 do
      local obs = env:start()
      local r, _, terminal, info = env:step(1)
      assert.is_true(terminal)
      local a_shown = obs[2] == 1
      local go = (a_shown and t <= 2) or (not a_shown and t > 2)
      assert.equal(go and 1 or -1, r)
      assert.equal(go and "go" or "nogo", info.condition)
      assert.equal(t > 2, info.reversed)
      seen[info.cue] = true
    end
    assert.is_true(seen.A and seen.B)
    assert.equal(0, env:getActionSpace().withhold)
    local ok, err = pcall(Env, { reverse_at = -1 })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("cue_reversal: reverse_at: expected an integer >= 0", 1, true))
  end)

  it("the full agent re-learns after the swap in fewer trials than DA only (30 seeds)", function()
    local exp = dofile("experiments/cue_reversal.lua")
    local opts = { before = 1000, after = 1500, hidden = 32, agent = {} }
    local full, da = {}, {}
    for seed = 1, 30 do
      full[seed] = exp.run(exp.CONDITIONS[1], seed, opts) or opts.after
      da[seed] = exp.run(exp.CONDITIONS[3], seed, opts) or opts.after
    end
    local p = stats.mann_whitney(full, da).p_less
    assert.is_true(p < 0.01, "one-sided Mann-Whitney p = " .. p)
  end)
end)
