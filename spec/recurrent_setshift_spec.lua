-- The set-shift study with a recurrent trunk (experiments/setshift.lua --recurrent 32): one recurrent layer of
-- 32 units in place of the dense one, seeds 1..20 as the dense study's spec. A set-shift trial is one step, so
-- the layer's state is cleared before every trial: at tau 1 it computes what a dense layer does (its own units'
-- weights see a zero state), and the DA+NA result must hold with it.
local setshift = dofile("experiments/setshift.lua")
local shell = dofile("spec/support/shell.lua")

local SCRIPT = shell.LUA .. " " .. shell.quote(shell.ROOT .. "/experiments/setshift.lua")

describe("set-shift study with a recurrent trunk", function()
  it("DA+NA re-reaches criterion in fewer trials than DA only (one-sided p < 0.01)", function()
    local o = { seeds = 20, shift = "extra", shift_trial = 300, trials = 1000, population = 10, active = 3,
                noise = 0, reward_flip = 0, hidden = { { kind = "recurrent", n = 32, tau = 1 } } }
    local tests = setshift.tests(setshift.study(o):run())
    assert.is_true(tests["DA+NA"].crit_p < 0.01, "p = " .. tests["DA+NA"].crit_p)
  end)

  it("--recurrent N [--tau T] replaces the dense trunk, and names what it refuses", function()
    local out, err, code = shell.sh(SCRIPT .. " --seeds 2 --trials 400 --recurrent 8 --tau 2 --out " ..
      shell.quote(os.tmpname() .. ".d"))
    assert.equal(0, code, err)
    assert.truthy(out:find("trunk: one recurrent layer of 8 units, tau 2", 1, true), out)
    _, err, code = shell.sh(SCRIPT .. " --tau 2")
    assert.equal(2, code) assert.truthy(err:find("setshift: --tau needs --recurrent", 1, true), err)
    _, err, code = shell.sh(SCRIPT .. " --recurrent 2.5")
    assert.equal(2, code) assert.truthy(err:find("setshift: --recurrent expects a positive integer", 1, true), err)
  end)
end)
