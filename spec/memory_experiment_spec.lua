-- experiments/memory.lua: one command for the working-memory tasks; its options, and --recurrent passed to the
-- agent (refused, with the agent's message, by a core without the recurrent layer kind).
local nm = require "neuromod"
local shell = dofile("spec/support/shell.lua")

local SCRIPT = shell.LUA .. " " .. shell.quote(shell.ROOT .. "/experiments/memory.lua")

local function has_recurrent()
  local ok = pcall(nm.agent, { obs = 3, actions = 2, recurrent = 4 })
  return ok
end

describe("experiments/memory.lua", function()
  it("trains the feed-forward agent on the go/no-go task with memory and reports the criterion per seed", function()
    local out, err, code = shell.sh(SCRIPT .. " --task gonogo --seeds 2 --trials 300")
    assert.equal(0, code, err)
    assert.truthy(out:find("working memory: feed-forward (hidden 64); seeds 1-2", 1, true))
    assert.truthy(out:find("gonogo, memory = true", 1, true))
    -- the control keeps the cue on: seed 1 reaches the criterion at trial 106, as `neuromod run gonogo` does
    assert.truthy(out:find("\n  1      106 ", 1, true), out)
    assert.truthy(out:find("0/2 met", 1, true), out)
  end)

  it("prints the psychometric table for both stimulus durations", function()
    local out, err, code = shell.sh(SCRIPT .. " --task perceptual --seeds 2 --trials 100 --short 200 --long 1000")
    assert.equal(0, code, err)
    assert.truthy(out:find("stimulus 200 ms", 1, true)) assert.truthy(out:find("stimulus 1000 ms", 1, true))
    for _, c in ipairs { "0%", "6.4%", "12.8%", "25.6%", "51.2%" } do
      assert.truthy(out:find("\n  " .. c .. " ", 1, true), c)
    end
    assert.truthy(out:find("67.5% / 73.9% / 92.4%", 1, true), out) -- the ideal observer at 6.4%: 1, 2, 10 frames
  end)

  it("names a bad option and a bad task", function()
    local _, err, code = shell.sh(SCRIPT .. " --colour 2")
    assert.equal(2, code) assert.truthy(err:find("memory: unknown option --colour", 1, true))
    _, err, code = shell.sh(SCRIPT .. " --task maze")
    assert.equal(2, code) assert.truthy(err:find("memory: --task: expected all, gonogo, delay_match or perceptual", 1, true))
  end)

  it("--hidden 0 with --recurrent makes the recurrent layer the whole trunk; without it 0 is refused", function()
    local _, err, code = shell.sh(SCRIPT .. " --task gonogo --hidden 0")
    assert.equal(2, code) assert.truthy(err:find("(0 only with --recurrent)", 1, true), err)
    if not has_recurrent() then return end
    local out
    out, err, code = shell.sh(SCRIPT .. " --task gonogo --seeds 1 --trials 20 --hidden 0 --recurrent 8 --tau 5")
    assert.equal(0, code, err)
    assert.truthy(out:find("working memory: recurrent (recurrent 8, tau 5); seeds 1-1", 1, true), out)
    out, err, code = shell.sh(SCRIPT .. " --task gonogo --seeds 1 --trials 20 --hidden 0 --recurrent 8 --after 4")
    assert.equal(0, code, err)
    assert.truthy(out:find("working memory: recurrent (recurrent 8, then dense 4); seeds 1-1", 1, true), out)
    _, err, code = shell.sh(SCRIPT .. " --task gonogo --after 4")
    assert.equal(2, code) assert.truthy(err:find("memory: --after: expected a positive integer, with --recurrent", 1, true), err)
  end)

  it("gives a recurrent agent on delay_match init_scale 3 and policy_entropy 0.02, which --agent overrides", function()
    if not has_recurrent() then return end
    local base = SCRIPT .. " --task delay_match --seeds 1 --trials 20 --hidden 0 --recurrent 8 --tau 5"
    local out, err, code = shell.sh(base)
    assert.equal(0, code, err)
    assert.truthy(out:find("; agent init_scale 3, policy_entropy 0.02", 1, true), out)
    out, err, code = shell.sh(base .. " --agent init_scale=1 --agent policy_entropy=0")
    assert.equal(0, code, err)
    assert.truthy(out:find("; agent init_scale 1, policy_entropy 0;", 1, true), out)
    out, err, code = shell.sh(SCRIPT .. " --task delay_match --seeds 1 --trials 20")
    assert.equal(0, code, err)
    assert.falsy(out:find("; agent ", 1, true), out)   -- the feed-forward agent keeps its defaults
  end)

  it("--kind integrator gives the layer the integrator kind; another kind is refused", function()
    if not has_recurrent() then return end
    local out, err, code = shell.sh(SCRIPT .. " --task gonogo --seeds 1 --trials 20 --hidden 0 --recurrent 8 --tau 5" ..
                                    " --kind integrator")
    assert.equal(0, code, err)
    assert.truthy(out:find("working memory: recurrent (integrator 8, tau 5); seeds 1-1", 1, true), out)
    _, err, code = shell.sh(SCRIPT .. " --task gonogo --recurrent 8 --kind lstm")
    assert.equal(2, code) assert.truthy(err:find("memory: --kind: expected recurrent or integrator, got lstm", 1, true), err)
  end)

  it("delay_match_blocks.lua prints each block's accuracy and weight norm per seed", function()
    if not has_recurrent() then return end
    local BLOCKS = shell.LUA .. " " .. shell.quote(shell.ROOT .. "/experiments/delay_match_blocks.lua")
    local out, err, code = shell.sh(BLOCKS .. " --seeds 2 --trials 30 --block 10 --recurrent 8 --kind integrator")
    assert.equal(0, code, err)
    assert.truthy(out:find("delay_match per 10-trial block: integrator layer of 8 units, tau 5; 30 trials", 1, true), out)
    for seed = 1, 2 do
      assert.truthy(out:find("\n  seed " .. seed .. " +%%: +%d+ +%d+ +%d+   |W|: %d+ %d+ %d+\n"), out)
    end
    -- --parts: |Wx|, |U| and |b| per block; the first two split |W| (each printed rounded)
    out, err, code = shell.sh(BLOCKS .. " --seeds 1 --trials 20 --block 10 --recurrent 8 --kind recurrent --parts")
    assert.equal(0, code, err)
    local w1, w2 = out:match("|W|: (%d+) (%d+)\n")
    local x1, x2 = out:match("|Wx| +(%d+) +(%d+)\n")
    local u1, u2 = out:match("|U| +(%d+) +(%d+)\n")
    assert.truthy(w1 and x1 and u1 and out:find("|b| +%d+ +%d+\n"), out)
    for _, t in ipairs { { w1, x1, u1 }, { w2, x2, u2 } } do
      local w, x, u = tonumber(t[1]), tonumber(t[2]), tonumber(t[3])
      assert.is_true(math.abs(math.sqrt(x * x + u * u) - w) <= 1.0, out)
    end
    _, err, code = shell.sh(BLOCKS .. " --kind lstm")
    assert.equal(2, code) assert.truthy(err:find("--kind: expected recurrent or integrator, got lstm", 1, true), err)
    _, err, code = shell.sh(BLOCKS .. " --block 0")
    assert.equal(2, code) assert.truthy(err:find("--block: expected a positive integer, got 0", 1, true), err)
  end)

  it("passes --recurrent to the agent, whose refusal stops the run with its message", function()
    local out, err, code = shell.sh(SCRIPT .. " --task gonogo --seeds 1 --trials 20 --recurrent 8")
    if has_recurrent() then
      assert.equal(0, code, err)
      assert.truthy(out:find("recurrent (hidden 64, recurrent 8)", 1, true))
    else
      assert.equal(1, code)
      assert.truthy(err:find("memory: the run failed: nm.agent: unknown option 'recurrent'", 1, true), err)
      assert.truthy(err:find("has no recurrent layer", 1, true))
    end
  end)
end)
