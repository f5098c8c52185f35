-- neuromod compare (neuromod.compare): the condition table from run summaries and from sweep results.
local shell = require "spec.support.shell"
local compare = require "neuromod.compare"
local stats = require "neuromod.stats"
local nm = require "neuromod"

local CMD, q = shell.CMD, shell.quote
local sh, tmpdir = shell.sh, shell.tmpdir
describe("neuromod.compare", function()
  it("decodes the JSON that cli.json writes", function()
    local cli = require "neuromod.cli"
    local v = { a = 1.5, b = { 1, 2, 3 }, c = "x\"y\n", d = true, e = { f = -2e-300 } }
    assert.are.same(v, compare.json_decode(cli.json(v)))
    assert.has_error(function() compare.json_decode("{\"a\": }") end)
  end)

  it("gives each condition's mean and CIs, clamped to the possible range, and the tests of neuromod.stats", function()
    local groups = {
      { name = "A", seeds = { { acc = 0.9, never = false, t = 100 }, { acc = 1, never = true, t = 300 },
                              { acc = 1, never = false, t = 120 }, { acc = 0.95, never = false, t = 140 } } },
      { name = "B", seeds = { { acc = 0.5, never = true, t = 400 }, { acc = 0.6, never = true, t = 380 },
                              { acc = 0.7, never = true, t = 390 }, { acc = 0.55, never = false, t = 200 } } },
    }
    local rows = compare.table(groups, { reps = 500 })
    local by = {}
    for _, r in ipairs(rows) do by[r.measure .. "/" .. r.condition] = r end
    local acc = { 0.9, 1, 1, 0.95 }
    local m, lo, hi = stats.ci(acc)
    assert.equal(m, by["acc/A"].mean)
    assert.equal(math.max(lo, 0), by["acc/A"].lo)
    assert.equal(1, by["acc/A"].hi) -- the t interval passes 1 and is clamped
    assert.is_true(hi > 1)
    local blo, bhi = stats.bootstrap_ci(acc, stats.mean, nm.rng(1), { reps = 500 })
    assert.equal(blo, by["acc/A"].boot_lo)
    assert.equal(math.min(bhi, 1), by["acc/A"].boot_hi)
    assert.equal(stats.mann_whitney({ 0.5, 0.6, 0.7, 0.55 }, acc).p_two, by["acc/B"].p)
    assert.equal(stats.welch({ 400, 380, 390, 200 }, { 100, 300, 120, 140 }).p_two, by["t/B"].welch_p)
    assert.equal("fisher", by["never/B"].test)
    assert.equal(stats.fisher(3, 1, 1, 3).p_two, by["never/B"].p)
    assert.is_nil(by["acc/A"].p) -- the baseline is not tested against itself
    assert.is_true(by["t/A"].lo >= 0)
    local rows2 = compare.table(groups, { baseline = "B", measures = { "t" }, ranges = { t = { 150, 1000 } }, reps = 100 })
    assert.equal(2, #rows2)
    assert.equal(150, rows2[1].lo)
    assert.has_error(function() compare.table(groups, { baseline = "C" }) end)
  end)

  it("compares runs from their --json summaries and a sweep from its result directory", function()
    local d = tmpdir()
    for _, m in ipairs { "DA", "all" } do
      for s = 1, 3 do
        local _, err, code = sh(CMD .. " run gonogo --quiet --trials 200 --seed " .. s .. " --modulators " .. m ..
          " --json " .. q(d .. "/" .. m .. s .. ".json"))
        assert.equal(0, code, err)
      end
    end
    local out, err, code = sh(CMD .. " compare " .. d .. "/*.json --reps 200")
    assert.equal(0, code, err)
    assert.truthy(out:find("trials_to_criterion all", 1, true) or out:find("trials_to_criterion%s+all"), out)
    assert.truthy(out:find("Mann-Whitney p = ", 1, true), out)
    assert.truthy(out:find("Fisher p = ", 1, true), out)
    _, err, code = sh(CMD .. " sweep experiments/setshift.lua --set seeds=2 --set trials=300 --set shift_trial=150" ..
      " --quiet --out " .. q(d .. "/sw"))
    assert.equal(0, code, err)
    out, err, code = sh(CMD .. " compare " .. q(d .. "/sw") .. " --measure crit --baseline DA --reps 100 --json " ..
      q(d .. "/c.json"))
    assert.equal(0, code, err)
    assert.truthy(out:find("against DA", 1, true), out)
    for _, c in ipairs { "DA+NA", "all four", "none" } do assert.truthy(out:find("crit%s+" .. c:gsub("%+", "%%+")), out) end
    local rows = compare.json_decode(io.open(d .. "/c.json"):read("*a"))
    assert.equal(4, #rows)
    _, err, code = sh(CMD .. " compare " .. q(d .. "/nothing.json"))
    assert.equal(1, code)
    assert.truthy(err:find("nothing.json: cannot read", 1, true), err)
    out, err, code = sh(CMD .. " compare --help")
    assert.equal(0, code)
    assert.truthy(out:find("usage: neuromod compare", 1, true))
    os.execute("rm -rf " .. q(d))
  end)
end)
