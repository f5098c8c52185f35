-- neuromod run --resume: a run continued from its checkpoint and CSV ends in the same state hash, report and
-- CSV as the uninterrupted run; the tasks' env:state() / env:restore(t) pair round-trips.
local shell = require "spec.support.shell"
local protocol = require "neuromod.protocol"
local compare = require "neuromod.compare"

local CMD, q = shell.CMD, shell.quote
local sh, tmpdir, read, write = shell.sh, shell.tmpdir, shell.read, shell.write
local function json(path) return compare.json_decode(read(path)) end
local function rows(path) return (read(path):gsub("#[^\n]*\n", "")) end

-- A task that has its own process sent SIGINT once, shortly after trial `at` (a marker file makes it once
-- only), so the interruption lands where a real Ctrl-C would: inside a trial (Lua 5.4) or at the next trial
-- boundary (LuaJIT's runner).
local KILLER = [[
local task, envstate = require "neuromod.task", require "neuromod.envstate"
local T = task.class("killer")
function T:__init(o) o = task.options("killer", o, { seed = 1, at = 100, marker = "done" })
  self.rng, self.at, self.marker, self.n, self.obs = envstate.rng(o.seed), o.at, o.marker, 0, { 0, 0 } end
function T:getStateSpace() return { name = "Box", shape = { 2 }, low = 0, high = 1 } end
function T:getActionSpace() return { name = "Discrete", n = 2 } end
function T:getRewardSpace() return -1, 1 end
function T:start() self.n = self.n + 1; self.k = 0; self.cue = self.rng:random(2) - 1
  self.obs[1], self.obs[2] = self.cue, 1 - self.cue; return self.obs end
function T:step(a)
  self.k = self.k + 1
  if self.n == self.at and self.k == 1 and not io.open(self.marker) then
    io.open(self.marker, "w"):close()
    os.execute("(sleep 0.05; kill -INT $PPID) &") -- later: the interpreter ignores SIGINT during os.execute
  end
  local done = self.k == 2
  return done and ((a == self.cue) and 1 or -1) or 0, self.obs, done, done and { correct = a == self.cue } or nil
end
function T:state() return envstate.snapshot(self) end
function T:restore(t) envstate.apply(self, t) end
return T
]]

describe("neuromod run --resume", function()
  it("every task in envs/ has the state pair, and protocol.check finds it round-trips", function()
    for _, name in ipairs { "gonogo", "setshift", "reversal", "volatile_bandit", "gonogo_valence", "two_step",
                            "gridworld" } do
      local Env = protocol.load("envs/" .. name .. ".lua")
      local env = Env{ seed = 3 }
      assert.is_function(env.state, name)
      assert.is_function(env.restore, name)
      assert.truthy(protocol.check(Env, { seed = 3 }, name, { steps = 500 }))
    end
  end)

  it("protocol.check refuses half a pair and a restore that does not restore", function()
    local base = [[
local envstate = require "neuromod.envstate"
local T = {}; T.__index = T
local function new(o) return setmetatable({ rng = envstate.rng(1), obs = { 0 } }, T) end
function T:getStateSpace() return { name = "Box", shape = { 1 }, low = 0, high = 1 } end
function T:getActionSpace() return { name = "Discrete", n = 2 } end
function T:getRewardSpace() return 0, 1 end
function T:start() self.obs[1] = self.rng:random(2) - 1 return self.obs end
function T:step(a) return a, self.obs, true, nil end
%s
return new
]]
    local d = tmpdir()
    write(d .. "/half.lua", base:format("function T:state() return {} end"))
    write(d .. "/forgets.lua", base:format("function T:state() return {} end function T:restore(t) end"))
    write(d .. "/good.lua", base:format("function T:state() return envstate.snapshot(self) end\n" ..
                                        "function T:restore(t) envstate.apply(self, t) end"))
    local ok, err = pcall(protocol.check, d .. "/half.lua", nil, "half.lua")
    assert.is_false(ok)
    assert.truthy(err:find("half.lua: state: state and restore come as a pair", 1, true), err)
    ok, err = pcall(protocol.check, d .. "/forgets.lua", nil, "forgets.lua")
    assert.is_false(ok)
    assert.truthy(err:find("forgets.lua: restore: an env restored from state() differs", 1, true), err)
    assert.truthy(protocol.check(d .. "/good.lua", nil, "good.lua"))
    os.execute("rm -rf " .. q(d))
  end)

  it("a run continued from its checkpoint ends in the uninterrupted run's state hash, report and CSV", function()
    local d = tmpdir()
    local c = "cd " .. q(d) .. " && " .. CMD .. " run "
    local _, err, code = sh(c .. "setshift --trials 700 --quiet --csv full.csv --json full.json")
    assert.equal(0, code, err)
    _, err, code = sh(c .. "setshift --trials 320 --quiet --save part.nmck --csv part.csv --log-modulators")
    assert.truthy(code == 2 and err:find("log-modulators", 1, true) == nil or code == 0, err)
    _, err, code = sh(c .. "setshift --trials 320 --quiet --save part.nmck --csv part.csv")
    assert.equal(0, code, err)
    local out
    out, err, code = sh(c .. "--resume part.nmck --trials 700 --quiet --csv part.csv --json part.json")
    assert.equal(0, code, err)
    assert.truthy(out:find("setshift, seed 1: 700 trials", 1, true), out)
    local full, part = json(d .. "/full.json"), json(d .. "/part.json")
    assert.equal(full.state_hash, part.state_hash)
    assert.equal(full.trials_to_criterion, part.trials_to_criterion)
    assert.equal(full.accuracy, part.accuracy)
    assert.equal(full.return_mean, part.return_mean)
    assert.equal(rows(d .. "/full.csv"), rows(d .. "/part.csv"))
    -- the same checkpoint again: it was updated in place, so it now holds 700 trials
    _, err, code = sh(c .. "--resume part.nmck --trials 700")
    assert.equal(2, code)
    assert.truthy(err:find("already holds 700 trials", 1, true), err)
    _, err, code = sh(c .. "--resume part.nmck --trials 3000 --seed 4")
    assert.equal(2, code)
    assert.truthy(err:find("--seed cannot change with --resume", 1, true), err)
    os.execute("rm -rf " .. q(d))
  end)

  it("an interrupted run resumed with --resume ends in the same state hash as an uninterrupted one", function()
    local d = tmpdir()
    write(d .. "/killer.lua", KILLER)
    local c = "cd " .. q(d) .. " && " .. CMD .. " run "
    write(d .. "/done", "")
    local _, err, code = sh(c .. "killer.lua --no-check --trials 3000 --hidden 16 --quiet --json full.json --csv full.csv")
    assert.equal(0, code, err)
    os.remove(d .. "/done")
    local out
    out, err, code = sh(c .. "killer.lua --no-check --trials 3000 --hidden 16 --quiet --save k.nmck --csv k.csv" ..
      " --checkpoint-every 100 --json int.json")
    assert.equal(130, code, out .. err)
    assert.truthy(io.open(d .. "/k.nmck.run"), out)
    assert.equal("interrupted", json(d .. "/int.json").status)
    out, err, code = sh(c .. "--resume k.nmck --trials 3000 --quiet --csv k.csv --json k.json")
    assert.equal(0, code, err)
    assert.equal(json(d .. "/full.json").state_hash, json(d .. "/k.json").state_hash)
    assert.equal(rows(d .. "/full.csv"), rows(d .. "/k.csv"))
    os.execute("rm -rf " .. q(d))
  end)

  it("refuses a task without the pair, and a checkpoint without its run state", function()
    local d = tmpdir()
    write(d .. "/plain.lua", [[
local T = {}; T.__index = T
local function new() return setmetatable({ obs = { 0 } }, T) end
function T:getStateSpace() return { name = "Box", shape = { 1 }, low = 0, high = 1 } end
function T:getActionSpace() return { name = "Discrete", n = 2 } end
function T:getRewardSpace() return 0, 1 end
function T:start() return self.obs end
function T:step(a) return a, self.obs, true, nil end
return new
]])
    local c = "cd " .. q(d) .. " && " .. CMD .. " run "
    local out, err, code = sh(c .. "plain.lua --trials 50 --save p.nmck --quiet")
    assert.equal(0, code, err)
    assert.falsy(io.open(d .. "/p.nmck.run"))
    _, err, code = sh(c .. "plain.lua --resume p.nmck --trials 80")
    assert.equal(1, code)
    assert.truthy(err:find("no run state beside the checkpoint", 1, true), err)
    -- a run state copied from a task with the pair, then resumed on the one without
    out, err, code = sh(c .. "gonogo --trials 50 --save g.nmck --quiet")
    assert.equal(0, code, err .. out)
    out, err, code = sh(c .. "plain.lua --resume g.nmck --trials 80")
    assert.equal(1, code)
    assert.truthy(err:find("has no env:state() / env:restore(t) pair, so a run on it cannot be resumed", 1, true), err)
    os.execute("rm -rf " .. q(d))
  end)
end)
