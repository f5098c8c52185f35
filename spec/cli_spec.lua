-- The neuromod command (neuromod.cli, neuromod.sweep), run as a user runs it: bin/neuromod in a subprocess
-- under the interpreter running the specs.
local shell = require "spec.support.shell"
local sweep = require "neuromod.sweep"

local CMD, ROOT, q = shell.CMD, shell.ROOT, shell.quote
local sh, tmpdir, write = shell.sh, shell.tmpdir, shell.write
-- A task without info.correct that raises at a given trial, or never ends an episode.
local TASK = [[
local task = require "neuromod.task"
local T = task.class("walk")
function T:__init(o) o = task.options("walk", o, { seed = 1, fail_at = 0, endless = false })
  self.fail_at, self.endless, self.n, self.obs = o.fail_at, o.endless, 0, { 0 } end
function T:getStateSpace() return { name = "Box", shape = { 1 }, low = 0, high = 1 } end
function T:getActionSpace() return { name = "Discrete", n = 2 } end
function T:getRewardSpace() return 0, 1 end
function T:start() self.n, self.k = self.n + 1, 0 return self.obs end
function T:step(a)
  self.k = self.k + 1
  if self.n == self.fail_at and self.k == 2 then error("the walk broke") end
  return a, self.obs, not self.endless and self.k == 3, nil
end
return T
]]

describe("neuromod (the command)", function()
  it("prints usage on stdout and exits 0 for --help on every command", function()
    for _, c in ipairs { "run", "check", "sweep", "compare", "plot", "version", "help" } do
      local out, err, code = sh(CMD .. " " .. c .. " --help")
      assert.equal(0, code, c .. ": " .. err)
      assert.truthy(out:find("usage: neuromod " .. c, 1, true), c .. ": " .. out)
      assert.equal("", err)
    end
    local out, _, code = sh(CMD .. " help")
    assert.equal(0, code)
    for _, c in ipairs { "run", "check", "sweep", "version" } do assert.truthy(out:find("  " .. c, 1, true)) end
  end)

  it("names an unknown option and exits 2", function()
    for _, c in ipairs { "run gonogo", "check gonogo", "sweep experiments/setshift.lua" } do
      local _, err, code = sh(CMD .. " " .. c .. " --no-such-flag")
      assert.equal(2, code)
      assert.truthy(err:find("unknown option --no-such-flag", 1, true), err)
    end
  end)

  it("runs a task by name, with a CSV metadata header and a JSON summary", function()
    local d = tmpdir()
    local out, err, code = sh("cd " .. q(d) .. " && " .. CMD .. " run gonogo --trials 300 --csv log.csv --json s.json")
    assert.equal(0, code, err)
    assert.truthy(out:find("gonogo, seed 1: 300 trials", 1, true), out)
    assert.truthy(out:find("return per trial", 1, true))
    local csv = io.open(d .. "/log.csv"):read("*a")
    assert.truthy(csv:find("^# neuromod %d+%.%d+%.%d+"))
    assert.truthy(csv:find("\n# task gonogo\n# seed 1\n", 1, true))
    local json = io.open(d .. "/s.json"):read("*a")
    assert.truthy(json:find('"status": "ok"', 1, true))
    assert.truthy(json:find('"trials": 300', 1, true))
    os.execute("rm -rf " .. q(d))
  end)

  it("reports return and episode length for a task without info.correct", function()
    local d = tmpdir()
    write(d .. "/walk.lua", TASK)
    local out, err, code = sh(CMD .. " run " .. q(d .. "/walk.lua") .. " --trials 50")
    assert.equal(0, code, err)
    assert.truthy(out:find("episode length 3.0 steps", 1, true), out)
    assert.falsy(out:find("correct", 1, true))
    os.execute("rm -rf " .. q(d))
  end)

  it("names the task, trial and step of a task error, and saves the agent so far", function()
    local d = tmpdir()
    write(d .. "/walk.lua", TASK:gsub("fail_at = 0", "fail_at = 400"))
    local out, err, code = sh("cd " .. q(d) .. " && " .. CMD .. " run walk.lua --trials 1000 --save a.nmck --json s.json")
    assert.equal(1, code)
    assert.truthy(err:find("walk.lua: trial 400, step 2: ", 1, true), err)
    assert.truthy(err:find("the walk broke", 1, true))
    assert.falsy(err:find("neuromod/study.lua", 1, true))
    assert.truthy(out:find("399 trials", 1, true), out)
    assert.truthy(io.open(d .. "/a.nmck"), "no checkpoint")
    assert.truthy(io.open(d .. "/s.json"):read("*a"):find('"status": "error"', 1, true))
    os.execute("rm -rf " .. q(d))
  end)

  it("stops an episode that never ends at the step limit", function()
    local d = tmpdir()
    write(d .. "/walk.lua", TASK:gsub("endless = false", "endless = true"))
    local _, err, code = sh("cd " .. q(d) .. " && " .. CMD .. " run walk.lua --trials 5 --max-steps 500")
    assert.equal(1, code)
    assert.truthy(err:find("walk.lua: trial 1: the episode did not end within 500 steps", 1, true), err)
    os.execute("rm -rf " .. q(d))
  end)

  it("refuses an unwritable --save before training", function()
    local _, err, code = sh(CMD .. " run gonogo --save /nonexistent-dir/a.nmck")
    assert.equal(2, code)
    assert.truthy(err:find("--save: cannot write", 1, true), err)
  end)

  it("run passes --agent and --task options through, and names a bad one", function()
    local out, err, code = sh(CMD .. " run gonogo --trials 30 --quiet --task memory=true --agent policy_reset=0.1 " ..
      "--json /dev/stdout")
    assert.equal(0, code, err)
    local plain = sh(CMD .. " run gonogo --trials 30 --quiet --json /dev/stdout")
    local hash = out:match('"state_hash": *"([^"]+)"')
    assert.truthy(hash, out)
    assert.are_not.equal(hash, plain:match('"state_hash": *"([^"]+)"'))
    _, err, code = sh(CMD .. " run gonogo --trials 3 --agent policy_entropy")
    assert.equal(2, code)
    assert.truthy(err:find("--agent expects KEY=VALUE, got 'policy_entropy'", 1, true), err)
    _, err, code = sh(CMD .. " run gonogo --trials 3 --agent bogus=1")
    assert.equal(1, code)
    assert.truthy(err:find("unknown option 'bogus'", 1, true), err)
    _, err, code = sh(CMD .. " run gonogo --trials 3 --agent seed=3")
    assert.equal(2, code)
    assert.truthy(err:find("--agent seed: use --seed", 1, true), err)
  end)

  it("check prints a one-line summary, or the violation", function()
    local out, _, code = sh(CMD .. " check gonogo")
    assert.equal(0, code)
    assert.truthy(out:find("^gonogo: ok: 300 steps"))
    local d = tmpdir()
    write(d .. "/walk.lua", TASK:gsub("return a, self.obs", "return 'x', self.obs"))
    out, _, code = sh(CMD .. " check " .. q(d .. "/walk.lua"))
    assert.equal(1, code)
    assert.truthy(out:find("step: reward must be a number, got string (step 1, and 299 more times)", 1, true), out)
    assert.truthy(out:find("1 violation of the protocol", 1, true), out)
    -- every violation, not only the first
    write(d .. "/walk.lua", TASK:gsub("return a, self.obs", "return 'x', { 2 }"))
    out, _, code = sh(CMD .. " check " .. q(d .. "/walk.lua"))
    assert.equal(1, code)
    assert.truthy(out:find("start: observation[1] = 0 is outside", 1, true) == nil, out)
    assert.truthy(out:find("step: reward must be a number", 1, true), out)
    assert.truthy(out:find("step: observation[1] = 2 is outside getStateSpace's [0, 1]", 1, true), out)
    assert.truthy(out:find("2 violations of the protocol", 1, true), out)
    os.execute("rm -rf " .. q(d))
  end)
end)

describe("neuromod sweep", function()
  local STUDY = ROOT .. "/experiments/setshift.lua"
  local SETS = "--set seeds=2 --set trials=400"
  local SW = CMD .. " sweep " .. q(STUDY) .. " " .. SETS

  it("merges sharded results into exactly the one-process results", function()
    local d = tmpdir()
    for i = 1, 3 do
      local _, err, code = sh(SW .. " --quiet --out " .. q(d) .. " --shard " .. i .. "/3")
      assert.equal(0, code, err)
    end
    local out, _, code = sh(SW .. " --quiet --out " .. q(d) .. " --shard 2/3")
    assert.equal(0, code)
    assert.truthy(out:find("ran 0, 3 already finished", 1, true), out)
    local merged, err
    merged, err, code = sh(SW .. " --out " .. q(d) .. " --merge")
    assert.equal(0, code, err)

    local s, mod = sweep.load(STUDY, { "seeds=2", "trials=400" })
    local one = s:run()
    assert.equal(mod.table(one, s.options), merged:match("^(.-)\n\n[^\n]*vs DA"))
    local results = sweep.collect(s, d)
    local from_files = s:merge(results)
    for ci, c in ipairs(one) do
      assert.are.same(c.seeds, from_files[ci].seeds)
      assert.are.same(c.records, from_files[ci].records)
      if math.type then
        for si, m in ipairs(c.seeds) do
          for k, v in pairs(m) do assert.equal(math.type(v), math.type(from_files[ci].seeds[si][k]), k) end
        end
      end
    end
    os.execute("rm -rf " .. q(d))
  end)

  it("runs every job with --jobs N", function()
    local d = tmpdir()
    local out, err, code = sh(SW .. " --quiet --out " .. q(d) .. " --jobs 2")
    assert.equal(0, code, err)
    assert.truthy(out:find("8 jobs in", 1, true), out)
    os.execute("rm -rf " .. q(d))
  end)

  it("writes a Slurm array script that passes bash -n and runs one array index", function()
    local d = tmpdir()
    local _, err, code = sh(SW .. " --out " .. q(d) .. " --slurm --array 4")
    assert.equal(0, code, err)
    local script = io.open(d .. "/slurm.sh"):read("*a")
    assert.truthy(script:find("#SBATCH --array=1-4", 1, true))
    assert.truthy(script:find("SLURM_ARRAY_TASK_ID", 1, true))
    _, err, code = sh("bash -n " .. q(d .. "/slurm.sh"))
    assert.equal(0, code, err)
    local out
    out, err, code = sh("SLURM_ARRAY_TASK_ID=2 bash " .. q(d .. "/slurm.sh"))
    assert.equal(0, code, err)
    assert.truthy(out:find("2 jobs: ran 2", 1, true), out)
    local s = sweep.load(STUDY, { "seeds=2", "trials=400" })
    local results, missing = sweep.collect(s, d)
    assert.equal(2, #results)
    assert.equal(6, #missing)
    os.execute("rm -rf " .. q(d))
  end)

  it("runs its shards under GNU parallel when it is installed", function()
    if not shell.have("parallel") then return pending("GNU parallel is not installed") end
    local d = tmpdir()
    local _, err, code = sh("parallel --will-cite " .. SW .. " --quiet --out " .. q(d) .. " --shard {}/4 ::: 1 2 3 4")
    assert.equal(0, code, err)
    local s = sweep.load(STUDY, { "seeds=2", "trials=400" })
    local _, missing = sweep.collect(s, d)
    assert.equal(0, #missing)
    os.execute("rm -rf " .. q(d))
  end)

  it("serialises numbers to the bit", function()
    for _, x in ipairs { 0.1, 1 / 3, -2.5e-300, 1e300, 3, 2^53, 0.0 } do
      local back = load("return " .. sweep.serialise(x))()
      assert.equal(x, back)
      if math.type then assert.equal(math.type(x), math.type(back)) end
    end
  end)
end)
