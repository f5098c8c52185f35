-- The ACh split of the set-shift study (experiments/setshift.lua --ach-split), default configuration, seeds
-- 1..20. The one claim of the split that holds exactly rather than at some p: ACh acts on the agent only
-- through its entries of the mapping. With ACh switched on but its learning-rate and attention entries set
-- to 0, every seed behaves exactly as DA+NA, because ACh's expected-uncertainty signal sets NA's threshold in
-- the core whether or not ACh is switched on, and nothing else reads ACh's level. The split's other results
-- (no ACh action shortens re-adaptation at p < 0.05 on any configuration run; see the README) are not
-- asserted: a null result on 20 seeds is not a claim.
local setshift = dofile("experiments/setshift.lua")

describe("set-shift ACh split", function()
  local o = { seeds = 20, shift = "extra", shift_trial = 300, trials = 1000, population = 10, active = 3, noise = 0,
              reward_flip = 0, hidden = { 32 } }
  local by = {}
  for _, c in ipairs(setshift.ACH_SPLIT) do by[c.name] = c end

  it("ACh with no mapping action behaves seed for seed exactly as DA+NA", function()
    local res = setshift.study(o, { by["DA+NA"], by["ACh, no action"] }):run()
    local dana, noact = res[1], res[2]
    for seed = 1, o.seeds do
      local a, b = dana.seeds[seed], noact.seeds[seed]
      for _, k in ipairs { "pre", "post", "crit", "never", "H_pre", "H_after", "H_late" } do
        assert.are.equal(a[k], b[k], "seed " .. seed .. ", " .. k)
      end
      assert.are.same(dana.records[seed].correct, noact.records[seed].correct, "seed " .. seed .. ": trial outcomes")
    end
  end)
end)
