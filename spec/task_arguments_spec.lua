-- neuromod.task's command-line helper, which every script in experiments/ uses.
local task = require "neuromod.task"

local function message(f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error")
  return tostring(err)
end

describe("task.arguments", function()
  it("reads --key value pairs over the defaults, numbers where the default is one", function()
    local o = task.arguments("demo", { "--seeds", "7", "--first-seed", "21", "--mode", "fast" },
      { seeds = 20, first_seed = 1, mode = "slow" })
    assert.equal(7, o.seeds) assert.equal(21, o.first_seed) assert.equal("fast", o.mode)
    assert.same({}, o.agent)
  end)

  it("takes a key whose default is a boolean as a flag, with no value", function()
    local o = task.arguments("demo", { "--parts", "--seeds", "3" }, { seeds = 20, parts = false, quiet = false })
    assert.equal(true, o.parts) assert.equal(false, o.quiet) assert.equal(3, o.seeds)
    assert.truthy(message(task.arguments, "demo", { "--parts", "1" }, { parts = false }):find("demo: unexpected argument 1", 1, true))
  end)

  it("collects --agent KEY=VALUE pairs for nm.agent, typed", function()
    local o = task.arguments("demo", { "--agent", "outcome_bias=10", "--agent", "na_input=changepoint",
      "--agent", "gating=false", "--seeds", "3", "--agent", "policy_entropy=0.2" }, { seeds = 20 })
    assert.same({ outcome_bias = 10, na_input = "changepoint", gating = false, policy_entropy = 0.2 }, o.agent)
    assert.equal(3, o.seeds)
    local opts = task.with({ hidden = { 32 }, outcome_bias = 1 }, o.agent)
    assert.equal(10, opts.outcome_bias) assert.same({ 32 }, opts.hidden)
  end)

  it("names the script and the option in its errors", function()
    assert.truthy(message(task.arguments, "demo", { "--nope", "1" }, { seeds = 1 }):find("demo: unknown option --nope", 1, true))
    assert.truthy(message(task.arguments, "demo", { "--seeds", "x" }, { seeds = 1 }):find("demo: --seeds expects a number", 1, true))
    assert.truthy(message(task.arguments, "demo", { "--agent", "oops" }, { seeds = 1 }):find("demo: --agent expects KEY=VALUE, got oops", 1, true))
    assert.truthy(message(task.arguments, "demo", { "stray" }, {}):find("demo: unexpected argument stray", 1, true))
  end)
end)
