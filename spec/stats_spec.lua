-- neuromod.stats against known values.
--
-- Where the reference numbers come from:
--  * t quantiles: the printed tables (t_{0.975,19} = 2.093, t_{0.975,1} = 12.706) and, to 12+ digits,
--    mpmath 1.3 (30 digits): findroot of (betainc(df/2, 1/2, 0, df/(df+t^2), regularized)/2 = 1 - p).
--  * normal: mpmath's ncdf and sqrt(2) erfinv(2p - 1).
--  * Welch: the example of Wikipedia's "Welch's t-test" article (A1, A2: t = -2.46, df = 24.9, p = 0.021
--    two-sided), to 12 digits with mpmath; the second example with mpmath from the textbook formulas.
--  * Mann-Whitney: a separate Python implementation that counts pairs (not ranks) and evaluates mpmath's ncdf
--    with the tie-corrected variance; the first data set is R's ?wilcox.test example (W = 35; R's exact
--    one-sided p = 0.1272, which the continuity-corrected normal approximation 0.1223 must be near).
--  * Fisher: Fisher's tea-tasting table {{3,1},{1,3}}: one-sided 17/70, two-sided 34/70 (exact fractions);
--    {{10,2},{3,15}} by summing exact hypergeometric terms (Python integers, mpmath division).
--  * two proportions: 45/60 vs 30/60 gives z = 2 sqrt(2) exactly; p = Phi(-2 sqrt 2) from mpmath.
local stats = require "neuromod.stats"

local function near(expected, got, tol, what)
  tol = tol or 1e-10
  local ok = math.abs(expected - got) <= tol * math.max(1, math.abs(expected))
  assert(ok, string.format("%s: expected %.15g, got %.15g", what or "value", expected, got))
end

describe("neuromod.stats", function()
  it("describes a sample", function()
    local x = { 2, 4, 4, 4, 5, 5, 7, 9 }
    assert.equal(5, stats.mean(x))
    near(32 / 7, stats.var(x), 1e-14)
    near(math.sqrt(32 / 7), stats.sd(x), 1e-14)
    near(math.sqrt(32 / 7 / 8), stats.se(x), 1e-14)
    assert.equal(4.5, stats.median(x))
    assert.equal(4, stats.median { 9, 1, 4 })
  end)

  it("computes the special functions", function()
    near(0.5723649429247001, stats.lgamma(0.5), 1e-13, "lgamma(0.5)")        -- log sqrt(pi)
    near(13.48203678613836, stats.lgamma(10.3), 1e-13, "lgamma(10.3)")
    near(4.599479878042022, stats.lgamma(0.01), 1e-13, "lgamma(0.01)")
    near(math.log(362880), stats.lgamma(10), 1e-13, "lgamma(10)")
    near(0.2967529892956664, stats.beta_inc(0.3, 2.5, 3.5), 1e-12, "I_0.3(2.5, 3.5)")
    near(0.3614300768962049, (stats.gamma_inc(1.7, 2.5)), 1e-12, "P(2.5, 1.7)")
    assert.equal(0, stats.beta_inc(0, 2, 3))
    assert.equal(1, stats.beta_inc(1, 2, 3))
  end)

  it("computes normal probabilities and quantiles", function()
    near(0.97500210485178, stats.normal_cdf(1.96), 1e-13, "Phi(1.96)")
    near(7.61985302416053e-24, stats.normal_cdf(-10), 1e-9, "Phi(-10)") -- relative: the tail is not lost
    assert.equal(0.5, stats.normal_cdf(0))
    near(1.95996398454005, stats.normal_quantile(0.975), 1e-13, "z_0.975")
    near(-1.95996398454005, stats.normal_quantile(0.025), 1e-13, "z_0.025")
    for _, p in ipairs { 1e-12, 0.001, 0.1, 0.3, 0.5, 0.77, 0.999, 1 - 1e-9 } do
      near(p, stats.normal_cdf(stats.normal_quantile(p)), 1e-9, "Phi(Phi^-1(" .. p .. "))")
    end
  end)

  it("computes Student t quantiles exactly, for small df too", function()
    -- the textbook values
    assert.equal("2.093024", string.format("%.6f", stats.t_quantile(0.975, 19)))
    assert.equal("12.7062", string.format("%.4f", stats.t_quantile(0.975, 1)))
    -- mpmath, 15 digits
    local ref = {
      { 1, 12.7062047361747, 63.6567411628716 }, { 2, 4.30265272974946, 9.92484320091829 },
      { 3, 3.18244630528371, 5.84090930973336 }, { 5, 2.57058183563632, 4.03214298355523 },
      { 10, 2.22813885198627, 3.16927267261695 }, { 19, 2.09302405440831, 2.86093460646498 },
      { 30, 2.04227245630124, 2.74999565356723 }, { 100, 1.98397151852355, 2.62589052143802 },
    }
    for _, r in ipairs(ref) do
      near(r[2], stats.t_quantile(0.975, r[1]), 1e-11, "t_0.975 df " .. r[1])
      near(r[3], stats.t_quantile(0.995, r[1]), 1e-11, "t_0.995 df " .. r[1])
      near(-r[2], stats.t_quantile(0.025, r[1]), 1e-11, "t_0.025 df " .. r[1])
    end
    near(-2225.76928468309, stats.t_quantile(1e-10, 3), 1e-10, "t_1e-10 df 3")
    assert.equal(0, stats.t_quantile(0.5, 7))
    -- large df and df = inf approach the normal
    near(1.95996398454005, stats.t_quantile(0.975, math.huge), 1e-13, "t_0.975 df inf")
    near(1.95996635699, stats.t_quantile(0.975, 1e6), 1e-9, "t_0.975 df 1e6")
    -- the CDF, fractional df
    near(0.979503890707124, stats.t_cdf(2.5, 7), 1e-12, "T_7(2.5)")
    near(0.136297707902185, stats.t_cdf(-1.3, 3.5), 1e-12, "T_3.5(-1.3)")
    for _, df in ipairs { 1, 2.5, 9, 40 } do
      for _, p in ipairs { 0.001, 0.2, 0.6, 0.99 } do
        near(p, stats.t_cdf(stats.t_quantile(p, df), df), 1e-12, "T(T^-1(" .. p .. "), " .. df .. ")")
      end
    end
  end)

  it("gives the Student-t confidence interval of the mean", function()
    local m, lo, hi, half = stats.ci { 1, 2, 3, 4, 5 }
    assert.equal(3, m)
    -- sd = sqrt(2.5), n = 5, t_{0.975,4} = 2.77644510519779 (mpmath)
    near(2.77644510519779 * math.sqrt(2.5 / 5), half, 1e-11, "half width")
    near(3 - half, lo, 1e-14) near(3 + half, hi, 1e-14)
    local _, lo99 = stats.ci({ 1, 2, 3, 4, 5 }, 0.99)
    assert.is_true(lo99 < lo)
    local m1, l1 = stats.ci { 7 }
    assert.equal(7, m1) assert.is_nil(l1)
  end)

  it("runs Welch's t-test", function()
    local a = { 27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4 }
    local b = { 27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4 }
    local w = stats.welch(a, b)
    near(-2.45535639828601, w.t, 1e-11, "t")
    near(24.9885292902314, w.df, 1e-11, "df")
    near(0.0106890007314335, w.p_less, 1e-9, "p_less")
    near(0.989310999268566, w.p_greater, 1e-11, "p_greater")
    near(0.021378001462867, w.p_two, 1e-9, "p_two")
    assert.equal("0.021", string.format("%.3f", w.p_two)) -- Wikipedia's rounding
    local x = { 19.1, 21.3, 22.0, 18.7, 25.2, 20.0 }
    local y = { 16.2, 18.9, 15.5, 17.7, 19.9, 14.8, 17.1, 16.0, 18.3 }
    w = stats.welch(x, y)
    near(3.45655034558576, w.t, 1e-11, "t")
    near(8.28884923027216, w.df, 1e-11, "df")
    near(0.00407793806891836, w.p_greater, 1e-9, "p_greater")
    -- swapping the samples swaps the tails
    local v = stats.welch(y, x)
    near(w.p_greater, v.p_less, 1e-14)
  end)

  it("runs the Mann-Whitney U test with tie and continuity corrections", function()
    local x = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 }
    local y = { 1.15, 0.88, 0.90, 0.74, 1.21 }
    local r = stats.mann_whitney(x, y)
    assert.equal(35, r.U)
    assert.equal(15, r.U_y)
    near(1.22474487139159, r.z, 1e-12, "z")
    near(0.122311802563492, r.p_greater, 1e-10, "p_greater")
    near(0.900775348203994, r.p_less, 1e-10, "p_less")
    assert.is_true(math.abs(r.p_greater - 0.1272) < 0.01) -- R's exact p
    near(0.110335680959923, stats.mann_whitney(x, y, { continuity = false }).p_greater, 1e-10, "no cc")
    -- ties (sum t^3 - t = 78)
    local x2 = { 3, 5, 5, 7, 9, 9, 9, 12, 4 }
    local y2 = { 1, 3, 3, 5, 6, 6, 8, 2 }
    r = stats.mann_whitney(x2, y2)
    assert.equal(55, r.U)
    near(1.84301567925155, r.z, 1e-12, "z ties")
    near(0.0363654820464783, r.p_greater, 1e-10, "p_greater ties")
    near(0.970722257524181, r.p_less, 1e-10, "p_less ties")
    near(0.032663360635593, stats.mann_whitney(x2, y2, { continuity = false }).p_greater, 1e-10, "ties, no cc")
    near(2 * 0.0363654820464783, r.p_two, 1e-10, "p_two ties")
    -- all tied: no evidence either way
    r = stats.mann_whitney({ 1, 1 }, { 1, 1, 1 })
    assert.equal(1, r.p_greater) assert.equal(1, r.p_two)
  end)

  it("runs Fisher's exact test", function()
    local f = stats.fisher(3, 1, 1, 3)
    near(17 / 70, f.p_greater, 1e-12, "tea one-sided")
    near(34 / 70, f.p_two, 1e-12, "tea two-sided")
    near(69 / 70, f.p_less, 1e-12, "tea other side")
    assert.equal(9, f.odds_ratio)
    f = stats.fisher(10, 2, 3, 15)
    near(0.000465180943362905, f.p_greater, 1e-9, "greater")
    near(0.999984519018686, f.p_less, 1e-12, "less")
    near(0.000536724119143436, f.p_two, 1e-9, "two")
    -- degenerate margins
    assert.equal(1, stats.fisher(0, 5, 0, 5).p_two)
  end)

  it("runs the two-proportion z-test", function()
    local r = stats.proportions(45, 60, 30, 60)
    near(2 * math.sqrt(2), r.z, 1e-13, "z")
    near(0.002338867490523633, r.p_greater, 1e-11, "p_greater")
    near(2 * 0.002338867490523633, r.p_two, 1e-11, "p_two")
    assert.equal(1, stats.proportions(0, 10, 0, 10).p_two)
  end)

  it("bootstraps a percentile interval from an nm.rng", function()
    local nm = require "neuromod"
    local x = {}
    for i = 1, 40 do x[i] = i end
    local lo, hi = stats.bootstrap_ci(x, stats.mean, nm.rng(1), { reps = 500 })
    assert.is_true(lo < 20.5 and hi > 20.5 and lo > 15 and hi < 26)
    local lo2, hi2 = stats.bootstrap_ci(x, stats.mean, nm.rng(1), { reps = 500 })
    assert.equal(lo, lo2) assert.equal(hi, hi2)
  end)

  it("rejects misuse with a message naming the function", function()
    assert.has_error(function() stats.mean {} end, "stats.mean: needs at least 1 value(s), got 0")
    assert.has_error(function() stats.var { 1 } end, "stats.var: needs at least 2 value(s), got 1")
    assert.has_error(function() stats.mean { 1, "a" } end, "stats.mean: value 2 is not a number: a")
    assert.has_error(function() stats.t_quantile(1, 3) end, "stats.t_quantile: p must be in (0, 1), got 1")
    assert.has_error(function() stats.t_quantile(0.5, 0) end, "stats.t_quantile: df must be > 0, got 0")
    assert.has_error(function() stats.fisher(1, 2, -1, 3) end,
      "stats.fisher: c must be a non-negative integer, got -1")
  end)
end)
