-- The gradients the eligibility traces accumulate, checked against central finite differences for every
-- parameter tensor, from Lua (the C tests do the same in C).
local nm = require "neuromod"

local function objective(a, x, act, w1, w2)
  local probs, v = a:evaluate(x)
  return w1 * math.log(probs[act + 1]) + w2 * v
end

local function check(opts)
  local a = nm.agent(opts)
  local x = { 0.3, -0.8, 1.2, 0.1 }
  local act, w1, w2 = 1, 1.0, 0.6
  local p = a:params()
  for i = 1, #p do a:set_param(i, p[i] * 3) end -- away from the near-flat initial policy
  p = a:params()
  local g = a:gradient(x, act, w1, w2)
  local report = {}
  for _, t in ipairs(a:tensors()) do
    if not t.name:find("^predictor") then
      local worst = 0
      for k = t.offset, t.offset + t.rows * t.cols - 1 do
        local h = 1e-2
        a:set_param(k, p[k] + h)
        local fp = objective(a, x, act, w1, w2)
        a:set_param(k, p[k] - h)
        local fm = objective(a, x, act, w1, w2)
        a:set_param(k, p[k])
        local fd = (fp - fm) / (2 * h)
        local err = math.abs(fd - g[k]) / (1e-3 + math.abs(fd) + math.abs(g[k]))
        if err > worst then worst = err end
      end
      report[#report + 1] = { t.name, worst }
    end
  end
  return report
end

describe("gradients", function()
  for _, opts in ipairs {
    { obs = 4, actions = 3, hidden = { 6, 5 }, seed = 3, activation = "tanh" },
    { obs = 4, actions = 2, hidden = { 7 }, seed = 4, activation = "tanh" },
    { obs = 4, actions = 3, hidden = {}, seed = 5 },
  } do
    it("match finite differences for every tensor (" .. #opts.hidden .. " hidden layers)", function()
      local report = check(opts)
      assert.is_true(#report >= 4)
      for _, r in ipairs(report) do
        assert.is_true(r[2] < 1e-2, r[1] .. ": relative error " .. r[2])
      end
    end)
  end
end)
