-- neuromod.stats: the statistics the experiments report, in pure Lua (Lua 5.4 and LuaJIT alike).
--
-- Descriptive
--   stats.mean(x), stats.var(x) (denominator n - 1), stats.sd(x), stats.se(x) = sd / sqrt(n)
--   stats.median(x)
--   stats.ci(x [, level = 0.95]) -> mean, lo, hi, half   Student-t interval of the mean:
--        mean -+ t_{(1+level)/2, n-1} * sd / sqrt(n); lo, hi, half are nil when n < 2.
-- Distributions
--   stats.lgamma(x)                       log Gamma(x), x > 0 (Lanczos, g = 7, n = 9; ~1e-15 relative)
--   stats.beta_inc(x, a, b)               regularized incomplete beta I_x(a, b) (continued fraction, Lentz)
--   stats.gamma_inc(x, a) -> P, Q         regularized incomplete gamma, lower and upper
--   stats.normal_cdf(z), stats.normal_quantile(p)
--   stats.t_cdf(t, df), stats.t_quantile(p, df)   df > 0, any real (Welch's df is fractional); df = math.huge
--        is the normal. The quantile inverts the exact CDF numerically (bracketing + bisection/Newton), so it is
--        accurate for small df too (t_0.975 at df = 1 is 12.7062047..., at df = 19 2.0930240...).
-- Tests (p-values for each alternative: p_two, p_greater, p_less; "greater" means x tends to exceed y)
--   stats.welch(x, y) -> { t, df, p_two, p_greater, p_less, mean_x, mean_y, diff, se }
--        Welch's unequal-variance t-test with the Welch-Satterthwaite df.
--   stats.mann_whitney(x, y [, opts]) -> { U, U_x, U_y, z, p_two, p_greater, p_less, n_x, n_y, ties }
--        U = U_x = number of pairs with x > y plus half the ties (rank-sum of x minus n_x(n_x+1)/2). Normal
--        approximation with the tie-corrected variance n_x n_y/12 * ((N+1) - sum(t^3 - t)/(N(N-1))) and, by
--        default, a continuity correction of 0.5 toward the mean (opts.continuity = false turns it off); the
--        same as scipy.stats.mannwhitneyu(method="asymptotic") and R's wilcox.test(exact = FALSE).
--   stats.fisher(a, b, c, d) -> { p_two, p_greater, p_less, odds_ratio }
--        Fisher's exact test on the 2x2 table {{a, b}, {c, d}} (rows: groups, columns: success, failure).
--        "greater" = the first row's odds of success exceed the second's (a large). Two-sided: sum of the
--        probabilities of tables no more likely than the observed one (relative tolerance 1e-7, as R does).
--   stats.proportions(k1, n1, k2, n2) -> { z, p_two, p_greater, p_less, p1, p2, diff }
--        pooled two-proportion z-test (no continuity correction); "greater" = p1 > p2.
-- Resampling
--   stats.bootstrap_ci(x, stat, rng [, opts]) -> lo, hi   percentile bootstrap; stat(sample) -> number;
--        rng is an nm.rng (g:random(m)); opts.reps = 2000, opts.level = 0.95.
--
-- Misuse (not a table, empty sample, p outside (0, 1), ...) raises an error naming the function.
local stats = {}

local sqrt, log, exp, abs, floor, huge = math.sqrt, math.log, math.exp, math.abs, math.floor, math.huge
local pi = math.pi

local function sample(fname, x, min)
  if type(x) ~= "table" then error("stats." .. fname .. ": expected a table of numbers, got " .. type(x), 3) end
  local n = #x
  if n < (min or 1) then
    error("stats." .. fname .. ": needs at least " .. (min or 1) .. " value(s), got " .. n, 3)
  end
  for i = 1, n do
    local v = x[i]
    if type(v) ~= "number" or v ~= v then
      error("stats." .. fname .. ": value " .. i .. " is not a number: " .. tostring(v), 3)
    end
  end
  return n
end

-- ---------------------------------------------------------------------------------------- descriptive ----
function stats.mean(x)
  local n = sample("mean", x)
  local s = 0
  for i = 1, n do s = s + x[i] end
  return s / n
end

function stats.var(x)
  local n = sample("var", x, 2)
  local m = stats.mean(x)
  local s = 0
  for i = 1, n do local d = x[i] - m; s = s + d * d end
  return s / (n - 1)
end

function stats.sd(x) return sqrt(stats.var(x)) end
function stats.se(x) return sqrt(stats.var(x) / #x) end

function stats.median(x)
  local n = sample("median", x)
  local s = {}
  for i = 1, n do s[i] = x[i] end
  table.sort(s)
  if n % 2 == 1 then return s[(n + 1) / 2] end
  return (s[n / 2] + s[n / 2 + 1]) / 2
end

-- ---------------------------------------------------------------------------------------- special fns ----
local LANCZOS = { 0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7 }

function stats.lgamma(x)
  if x < 0.5 then
    -- reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x)
    return log(pi / abs(math.sin(pi * x))) - stats.lgamma(1 - x)
  end
  x = x - 1
  local a = LANCZOS[1]
  local t = x + 7.5
  for i = 1, 8 do a = a + LANCZOS[i + 1] / (x + i) end
  return 0.5 * log(2 * pi) + (x + 0.5) * log(t) - t + log(a)
end
local lgamma = stats.lgamma

-- continued fraction for I_x(a, b) (Numerical Recipes' betacf, modified Lentz)
local function betacf(x, a, b)
  local tiny = 1e-300
  local qab, qap, qam = a + b, a + 1, a - 1
  local c, d = 1, 1 - qab * x / qap
  if abs(d) < tiny then d = tiny end
  d = 1 / d
  local h = d
  for m = 1, 100000 do
    local m2 = 2 * m
    local aa = m * (b - m) * x / ((qam + m2) * (a + m2))
    d = 1 + aa * d; if abs(d) < tiny then d = tiny end
    c = 1 + aa / c; if abs(c) < tiny then c = tiny end
    d = 1 / d
    h = h * d * c
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
    d = 1 + aa * d; if abs(d) < tiny then d = tiny end
    c = 1 + aa / c; if abs(c) < tiny then c = tiny end
    d = 1 / d
    local del = d * c
    h = h * del
    if abs(del - 1) < 1e-16 then break end
  end
  return h
end

function stats.beta_inc(x, a, b)
  if not (a > 0 and b > 0) then error("stats.beta_inc: a and b must be > 0", 2) end
  if x <= 0 then return 0 end
  if x >= 1 then return 1 end
  local lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(1 - x)
  if x < (a + 1) / (a + b + 2) then
    return exp(lbt) * betacf(x, a, b) / a
  end
  return 1 - exp(lbt) * betacf(1 - x, b, a) / b
end

function stats.gamma_inc(x, a)
  if not (a > 0) then error("stats.gamma_inc: a must be > 0", 2) end
  if x <= 0 then return 0, 1 end
  local lpre = -x + a * log(x) - lgamma(a)
  if x < a + 1 then
    local ap, sum, del = a, 1 / a, 1 / a
    for _ = 1, 100000 do
      ap = ap + 1
      del = del * x / ap
      sum = sum + del
      if abs(del) < abs(sum) * 1e-17 then break end
    end
    local p = sum * exp(lpre)
    return p, 1 - p
  end
  local tiny = 1e-300
  local b = x + 1 - a
  local c, d = 1 / tiny, 1 / b
  local h = d
  for i = 1, 100000 do
    local an = -i * (i - a)
    b = b + 2
    d = an * d + b; if abs(d) < tiny then d = tiny end
    c = b + an / c; if abs(c) < tiny then c = tiny end
    d = 1 / d
    local del = d * c
    h = h * del
    if abs(del - 1) < 1e-16 then break end
  end
  local q = exp(lpre) * h
  return 1 - q, q
end

-- --------------------------------------------------------------------------------------- distributions ----
function stats.normal_cdf(z)
  if z ~= z then return z end
  -- Phi(z) = P(1/2, z^2/2) / 2 + 1/2 for z >= 0; the upper tail keeps full relative accuracy
  local _, q = stats.gamma_inc(z * z / 2, 0.5)
  if z >= 0 then return 1 - q / 2 end
  return q / 2
end

local function check_p(fname, p)
  if type(p) ~= "number" or not (p > 0 and p < 1) then
    error("stats." .. fname .. ": p must be in (0, 1), got " .. tostring(p), 3)
  end
end

local function check_df(fname, df)
  if type(df) ~= "number" or not (df > 0) then
    error("stats." .. fname .. ": df must be > 0, got " .. tostring(df), 3)
  end
end

-- Acklam's rational approximation (relative error 1.15e-9) refined by Newton steps on the exact CDF.
local AA = { -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
  -3.066479806614716e+01, 2.506628277459239e+00 }
local AB = { -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
  -1.328068155288572e+01 }
local AC = { -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549671010243242e+00,
  4.374664141464968e+00, 2.938163982698783e+00 }
local AD = { 7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00 }

function stats.normal_quantile(p)
  check_p("normal_quantile", p)
  local z
  if p < 0.02425 then
    local q = sqrt(-2 * log(p))
    z = (((((AC[1] * q + AC[2]) * q + AC[3]) * q + AC[4]) * q + AC[5]) * q + AC[6]) /
        ((((AD[1] * q + AD[2]) * q + AD[3]) * q + AD[4]) * q + 1)
  elseif p > 1 - 0.02425 then
    local q = sqrt(-2 * log(1 - p))
    z = -(((((AC[1] * q + AC[2]) * q + AC[3]) * q + AC[4]) * q + AC[5]) * q + AC[6]) /
        ((((AD[1] * q + AD[2]) * q + AD[3]) * q + AD[4]) * q + 1)
  else
    local q = p - 0.5
    local r = q * q
    z = (((((AA[1] * r + AA[2]) * r + AA[3]) * r + AA[4]) * r + AA[5]) * r + AA[6]) * q /
        (((((AB[1] * r + AB[2]) * r + AB[3]) * r + AB[4]) * r + AB[5]) * r + 1)
  end
  for _ = 1, 3 do -- Newton (Halley would be overkill): error e -> e^2 * z / 2
    local dens = exp(-z * z / 2) / sqrt(2 * pi)
    if dens <= 0 then break end
    local step = (stats.normal_cdf(z) - p) / dens
    z = z - step
    if abs(step) < 1e-15 * (1 + abs(z)) then break end
  end
  return z
end

function stats.t_cdf(t, df)
  check_df("t_cdf", df)
  if t ~= t then return t end
  if df == huge or df > 1e10 then return stats.normal_cdf(t) end
  if t == huge then return 1 elseif t == -huge then return 0 end
  -- P(|T| > |t|) = I_{df / (df + t^2)}(df/2, 1/2)
  local tail = 0.5 * stats.beta_inc(df / (df + t * t), df / 2, 0.5)
  if t > 0 then return 1 - tail end
  return tail
end

-- upper tail P(T > t) without cancellation for large t
local function t_sf(t, df)
  if df == huge or df > 1e10 then return stats.normal_cdf(-t) end
  if t == huge then return 0 elseif t == -huge then return 1 end
  local tail = 0.5 * stats.beta_inc(df / (df + t * t), df / 2, 0.5)
  if t > 0 then return tail end
  return 1 - tail
end

local function t_pdf(t, df)
  return exp(lgamma((df + 1) / 2) - lgamma(df / 2) - 0.5 * log(df * pi) - (df + 1) / 2 * log(1 + t * t / df))
end

function stats.t_quantile(p, df)
  check_p("t_quantile", p)
  check_df("t_quantile", df)
  if df == huge or df > 1e10 then return stats.normal_quantile(p) end
  if p == 0.5 then return 0 end
  -- solve in the upper tail for accuracy: q = min(p, 1 - p) = P(T > x), x > 0
  local upper = p > 0.5
  local q = upper and (1 - p) or p
  local lo, hi = 0, 1
  while t_sf(hi, df) > q do
    lo, hi = hi, hi * 2
    if hi > 1e300 then break end
  end
  local x = (lo + hi) / 2
  for _ = 1, 400 do
    local f = t_sf(x, df) - q            -- decreasing in x
    if f > 0 then lo = x else hi = x end
    -- Newton step from x, kept inside the bracket
    local nx = x + f / t_pdf(x, df)
    if not (nx > lo and nx < hi) then nx = (lo + hi) / 2 end
    if abs(nx - x) <= 1e-15 * abs(nx) or hi - lo <= 1e-15 * hi then x = nx break end
    x = nx
  end
  return upper and x or -x
end

-- ------------------------------------------------------------------------------------------- intervals ----
function stats.ci(x, level)
  level = level or 0.95
  if type(level) ~= "number" or not (level > 0 and level < 1) then
    error("stats.ci: level must be in (0, 1), got " .. tostring(level), 2)
  end
  local n = sample("ci", x)
  local m = stats.mean(x)
  if n < 2 then return m, nil, nil, nil end
  local half = stats.t_quantile((1 + level) / 2, n - 1) * sqrt(stats.var(x) / n)
  return m, m - half, m + half, half
end

-- ------------------------------------------------------------------------------------------------ tests ----
local function tails(p_greater, p_less)
  local p_two = 2 * math.min(p_greater, p_less)
  if p_two > 1 then p_two = 1 end
  return p_two
end

function stats.welch(x, y)
  local nx, ny = sample("welch", x, 2), sample("welch", y, 2)
  local mx, my = stats.mean(x), stats.mean(y)
  local vx, vy = stats.var(x) / nx, stats.var(y) / ny
  local se = sqrt(vx + vy)
  local r = { mean_x = mx, mean_y = my, diff = mx - my, se = se }
  if se == 0 then
    -- both samples constant: no test is possible unless the means differ
    r.t = (mx == my) and 0 or (mx > my and huge or -huge)
    r.df = nx + ny - 2
    r.p_greater = mx > my and 0 or 1
    r.p_less = mx < my and 0 or 1
    r.p_two = mx == my and 1 or 0
    return r
  end
  r.t = (mx - my) / se
  r.df = (vx + vy) ^ 2 / (vx * vx / (nx - 1) + vy * vy / (ny - 1))
  r.p_greater = t_sf(r.t, r.df)
  r.p_less = t_sf(-r.t, r.df)
  r.p_two = tails(r.p_greater, r.p_less)
  return r
end

function stats.mann_whitney(x, y, opts)
  local nx, ny = sample("mann_whitney", x), sample("mann_whitney", y)
  local continuity = not (opts and opts.continuity == false)
  local all = {}
  for i = 1, nx do all[#all + 1] = { v = x[i], g = 1 } end
  for i = 1, ny do all[#all + 1] = { v = y[i], g = 2 } end
  table.sort(all, function(a, b) return a.v < b.v end)
  local N = nx + ny
  local rx, tie_term, ties = 0, 0, 0
  local i = 1
  while i <= N do
    local j = i
    while j < N and all[j + 1].v == all[i].v do j = j + 1 end
    local rank = (i + j) / 2
    local t = j - i + 1
    if t > 1 then tie_term = tie_term + t * t * t - t; ties = ties + 1 end
    for k = i, j do if all[k].g == 1 then rx = rx + rank end end
    i = j + 1
  end
  local U = rx - nx * (nx + 1) / 2
  local mu = nx * ny / 2
  local var = nx * ny / 12 * ((N + 1) - tie_term / (N * (N - 1)))
  local r = { U = U, U_x = U, U_y = nx * ny - U, n_x = nx, n_y = ny, ties = ties }
  if var <= 0 then -- every value tied
    r.z, r.p_greater, r.p_less, r.p_two = 0, 1, 1, 1
    return r
  end
  local sd = sqrt(var)
  local cc = continuity and 0.5 or 0
  r.z = (U - mu) / sd
  r.p_greater = stats.normal_cdf(-(U - mu - cc) / sd)
  r.p_less = stats.normal_cdf((U - mu + cc) / sd)
  local zt = (abs(U - mu) - cc) / sd
  if zt < 0 then zt = 0 end
  r.p_two = math.min(1, 2 * stats.normal_cdf(-zt))
  return r
end

local function lchoose(n, k) return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1) end

local function count(fname, name, v)
  if type(v) ~= "number" or v < 0 or v ~= floor(v) then
    error("stats." .. fname .. ": " .. name .. " must be a non-negative integer, got " .. tostring(v), 3)
  end
end

function stats.fisher(a, b, c, d)
  count("fisher", "a", a) count("fisher", "b", b) count("fisher", "c", c) count("fisher", "d", d)
  local r1, c1, n = a + b, a + c, a + b + c + d
  local lo, hi = math.max(0, c1 - (n - r1)), math.min(r1, c1)
  local function prob(k) -- hypergeometric P(A = k)
    return exp(lchoose(r1, k) + lchoose(n - r1, c1 - k) - lchoose(n, c1))
  end
  local pobs = prob(a)
  local pg, pl, pt = 0, 0, 0
  for k = lo, hi do
    local pk = prob(k)
    if k >= a then pg = pg + pk end
    if k <= a then pl = pl + pk end
    if pk <= pobs * (1 + 1e-7) then pt = pt + pk end
  end
  local odds
  if b * c == 0 then odds = (a * d == 0) and (0 / 0) or huge else odds = a * d / (b * c) end
  return { p_greater = math.min(1, pg), p_less = math.min(1, pl), p_two = math.min(1, pt), odds_ratio = odds }
end

function stats.proportions(k1, n1, k2, n2)
  count("proportions", "k1", k1) count("proportions", "n1", n1)
  count("proportions", "k2", k2) count("proportions", "n2", n2)
  if n1 == 0 or n2 == 0 or k1 > n1 or k2 > n2 then
    error("stats.proportions: need 0 <= k <= n and n > 0 in both groups", 2)
  end
  local p1, p2 = k1 / n1, k2 / n2
  local p = (k1 + k2) / (n1 + n2)
  local se = sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
  local r = { p1 = p1, p2 = p2, diff = p1 - p2 }
  if se == 0 then
    r.z, r.p_greater, r.p_less, r.p_two = 0, 1, 1, 1
    return r
  end
  r.z = (p1 - p2) / se
  r.p_greater = stats.normal_cdf(-r.z)
  r.p_less = stats.normal_cdf(r.z)
  r.p_two = tails(r.p_greater, r.p_less)
  return r
end

-- ------------------------------------------------------------------------------------------- bootstrap ----
function stats.bootstrap_ci(x, stat, rng, opts)
  local n = sample("bootstrap_ci", x)
  if type(stat) ~= "function" then error("stats.bootstrap_ci: stat must be a function", 2) end
  if (type(rng) ~= "table" and type(rng) ~= "userdata" and type(rng) ~= "cdata") or rng.random == nil then
    error("stats.bootstrap_ci: rng must be an nm.rng", 2)
  end
  opts = opts or {}
  local reps, level = opts.reps or 2000, opts.level or 0.95
  local vals, s = {}, {}
  for r = 1, reps do
    for i = 1, n do s[i] = x[rng:random(n)] end
    vals[r] = stat(s)
  end
  table.sort(vals)
  local alpha = (1 - level) / 2
  local function at(q) -- linear interpolation between order statistics (type 7)
    local h = (reps - 1) * q + 1
    local lo = floor(h)
    local hi = math.min(lo + 1, reps)
    return vals[lo] + (h - lo) * (vals[hi] - vals[lo])
  end
  return at(alpha), at(1 - alpha)
end

return stats
