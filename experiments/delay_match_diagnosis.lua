-- experiments/delay_match_diagnosis.lua -- on delay_match: which (sample, test) pairs the recurrent agent gets
-- right as it learns, whether its state carries their comparison, and what its policy and critic make of it.
--
--   luajit experiments/delay_match_diagnosis.lua [--seed 1] [--trials 20000] [--every 2000] [--recurrent 64]
--                                               [--tau 5] [--after 0] [--probe 400] [--agent KEY=VALUE ...]
--
-- Agent: the recurrent layer alone (memory.lua's --hidden 0 --recurrent N --tau T; --after M adds a dense layer
-- of M units after it) with the --agent options. Every --every trials it prints two lines:
--   1. per (sample, test) pair, the share of those trials answered right / not answered at all (%); then, from
--      the trunk's output at the first decision step (h_23), the held-out accuracy of a ridge regression of the
--      sample, the test and match / non-match (ridge 0.001, and 10 for match), and the sizes of the pair means'
--      components (h(s,t) the mean h of pair (s,t)): |sample| = |h(1,1) + h(1,2) - h(2,1) - h(2,2)| / 4, |test|
--      likewise, |xor| = |h(1,1) - h(1,2) - h(2,1) + h(2,2)| / 4, the component a linear readout must use to tell
--      match from non-match, and the noise (the rms distance of a trial's h from its pair's mean);
--   2. per pair, the mean over the probe trials of the policy's probability of the right answer and of no
--      answer (action 0), and the critic's V, at h_23.
-- The probe runs --probe fresh trials (their own noise stream; the agent does not act or learn) through a copy
-- of the trunk's forward pass written here from agent:params(), at the agent's current gain, attention,
-- inverse temperature and withhold bias (exact for options that add nothing else to the logits); the ridge
-- regressions fit the first half and are scored on the second.
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)
local nm = require "neuromod"
local task = require "neuromod.task"
local DelayMatch = dofile(ROOT .. "/envs/delay_match.lua")

local o = task.arguments("delay_match_diagnosis", arg,
  { seed = 1, trials = 20000, every = 2000, recurrent = 64, tau = 5, probe = 400, after = 0 })

local env = DelayMatch{ seed = o.seed }
local opts = { obs = env:getStateSpace(), actions = env:getActionSpace(), seed = o.seed,
               hidden = { { kind = "recurrent", n = o.recurrent, tau = o.tau }, o.after > 0 and o.after or nil } }
local agent = nm.agent(task.with(opts, o.agent))

-- the layer's weights from the parameter block: W[j][i] from input j (obs, then the layer's units) to unit i
local function layer_weights()
  local p, w, b = agent:params(), nil, nil
  for _, t in ipairs(agent:tensors()) do
    if t.name == "trunk1.weight" then w = t elseif t.name == "trunk1.bias" then b = t end
  end
  local W, B = {}, {}
  for j = 1, w.rows do
    local row = {}
    for i = 1, w.cols do row[i] = p[w.offset + (j - 1) * w.cols + i - 1] end
    W[j] = row
  end
  for i = 1, b.rows do B[i] = p[b.offset + i - 1] end
  return W, B
end

-- the heads at a state h: pi (3 actions, the withhold bias on action 0) and V
local function heads(h)
  local p, t = agent:params(), {}
  for _, x in ipairs(agent:tensors()) do t[x.name] = x end
  local _, beta, _, _, _, _, bias = agent:meta()
  local pw, pb, vw, vb = t["policy.weight"], t["policy.bias"], t["value.weight"], t["value.bias"]
  local z, mx = {}, -math.huge
  for a = 1, pw.rows do
    local s = p[pb.offset + a - 1]
    for i = 1, pw.cols do s = s + p[pw.offset + (a - 1) * pw.cols + i - 1] * h[i] end
    z[a] = beta * s + (a == 1 and bias or 0)
    if z[a] > mx then mx = z[a] end
  end
  local sum = 0
  for a = 1, #z do z[a] = math.exp(z[a] - mx); sum = sum + z[a] end
  for a = 1, #z do z[a] = z[a] / sum end
  local v = p[vb.offset]
  for i = 1, vw.cols * vw.rows do v = v + p[vw.offset + i - 1] * h[i] end
  return z, v
end

local function tanh(x) local e = math.exp(-2 * math.abs(x)); local t = (1 - e) / (1 + e); return x < 0 and -t or t end

-- the dense layer after the recurrent one (--after): tanh(gain (W h + b)), W stored out x in
local function dense2(h)
  local p, w, b = agent:params(), nil, nil
  for _, t in ipairs(agent:tensors()) do
    if t.name == "trunk2.weight" then w = t elseif t.name == "trunk2.bias" then b = t end
  end
  local gain, out = agent:gain(2), {}
  for i = 1, w.rows do
    local s = p[b.offset + i - 1]
    for j = 1, w.cols do s = s + p[w.offset + (i - 1) * w.cols + j - 1] * h[j] end
    out[i] = tanh(gain[i] * s)
  end
  return out
end

-- h at the first decision step of `n` fresh trials: { h = {...}, sample, test }
local function probe(n)
  local W, B = layer_weights()
  local gain, attn = agent:gain(1), agent:attention()
  local N, nin = o.recurrent, #attn
  local alpha = 1 / o.tau
  local penv = DelayMatch{ seed = 100000 + o.seed }
  local out = {}
  for k = 1, n do
    local obs = penv:start()
    local h = {}
    for i = 1, N do h[i] = 0 end
    local first = penv.bounds.decision[1]
    for t = 0, first do
      local z = {}
      for j = 1, nin do z[j] = attn[j] * obs[j] end
      for i = 1, N do z[nin + i] = h[i] end
      local nh = {}
      for i = 1, N do
        local s = B[i]
        for j = 1, nin + N do s = s + W[j][i] * z[j] end
        nh[i] = (1 - alpha) * h[i] + alpha * tanh(gain[i] * s)
      end
      h = nh
      if t < first then
        local _, nobs = penv:step(0)
        obs = nobs
      end
    end
    if o.after > 0 then h = dense2(h) end
    out[k] = { h = h, sample = penv.sample, test = penv.test }
    penv.t = nil
  end
  return out
end

-- ridge regression of y (+-1) on [x, 1]: the weights (Gaussian elimination on the normal equations)
local function ridge(X, y, lambda)
  local d = #X[1] + 1
  local A, r = {}, {}
  for i = 1, d do A[i] = {}; for j = 1, d do A[i][j] = 0 end; r[i] = 0 end
  for k = 1, #X do
    local x = X[k]
    for i = 1, d do
      local xi = i < d and x[i] or 1
      r[i] = r[i] + xi * y[k]
      for j = i, d do A[i][j] = A[i][j] + xi * (j < d and x[j] or 1) end
    end
  end
  for i = 1, d do for j = 1, i - 1 do A[i][j] = A[j][i] end; A[i][i] = A[i][i] + lambda end
  for c = 1, d do
    local piv = c
    for i = c + 1, d do if math.abs(A[i][c]) > math.abs(A[piv][c]) then piv = i end end
    A[c], A[piv], r[c], r[piv] = A[piv], A[c], r[piv], r[c]
    for i = c + 1, d do
      local f = A[i][c] / A[c][c]
      for j = c, d do A[i][j] = A[i][j] - f * A[c][j] end
      r[i] = r[i] - f * r[c]
    end
  end
  local w = {}
  for i = d, 1, -1 do
    local s = r[i]
    for j = i + 1, d do s = s - A[i][j] * w[j] end
    w[i] = s / A[i][i]
  end
  return w
end

local function decode(samples, label, lambda)
  local n = #samples
  local half = math.floor(n / 2)
  local X, y = {}, {}
  for k = 1, half do X[k] = samples[k].h; y[k] = label(samples[k]) end
  local w = ridge(X, y, lambda or 1e-3)
  local right = 0
  for k = half + 1, n do
    local s, x = w[#w], samples[k].h
    for i = 1, #x do s = s + w[i] * x[i] end
    if (s > 0) == (label(samples[k]) > 0) then right = right + 1 end
  end
  return right / (n - half)
end

local function components(samples)
  local N = #samples[1].h
  local mean, cnt = {}, {}
  for s = 1, 2 do mean[s], cnt[s] = {}, {}; for t = 1, 2 do mean[s][t] = {}; cnt[s][t] = 0
    for i = 1, N do mean[s][t][i] = 0 end end end
  for _, x in ipairs(samples) do
    local m = mean[x.sample][x.test]
    cnt[x.sample][x.test] = cnt[x.sample][x.test] + 1
    for i = 1, N do m[i] = m[i] + x.h[i] end
  end
  for s = 1, 2 do for t = 1, 2 do for i = 1, N do mean[s][t][i] = mean[s][t][i] / math.max(1, cnt[s][t]) end end end
  local xs, ss, ts, noise, nn = 0, 0, 0, 0, 0
  for i = 1, N do
    local a, b, c, d = mean[1][1][i], mean[1][2][i], mean[2][1][i], mean[2][2][i]
    xs = xs + ((a - b - c + d) / 4) ^ 2
    ss = ss + ((a + b - c - d) / 4) ^ 2
    ts = ts + ((a - b + c - d) / 4) ^ 2
  end
  for _, x in ipairs(samples) do
    local m = mean[x.sample][x.test]
    for i = 1, N do noise = noise + (x.h[i] - m[i]) ^ 2 end
    nn = nn + 1
  end
  return math.sqrt(xs), math.sqrt(ss), math.sqrt(ts), math.sqrt(noise / nn)
end

local function report(t, cells)
  local pr = probe(o.probe)
  local xor, samp, test, noise = components(pr)
  local line = string.format("%6d  ", t)
  for s = 1, 2 do for tt = 1, 2 do
    local c = cells[s][tt]
    local n = math.max(1, c[2])
    line = line .. string.format(" %5.1f%%/%-3.0f", 100 * c[1] / n, 100 * c[3] / n)
  end end
  local match = function(x) return x.sample == x.test and 1 or -1 end
  local sample1 = function(x) return x.sample == 1 and 1 or -1 end
  local test1 = function(x) return x.test == 1 and 1 or -1 end
  line = line .. string.format("   decode: sample %5.1f%% test %5.1f%% match %5.1f%% (ridge 10: %5.1f%%)   " ..
    "|sample| %.3f |test| %.3f |xor| %.3f noise %.3f", 100 * decode(pr, sample1), 100 * decode(pr, test1),
    100 * decode(pr, match), 100 * decode(pr, match, 10), samp, test, xor, noise)
  print(line)
  -- pi(right answer), pi(no answer) and V at h_23, by pair
  local acc = { { {0,0,0,0}, {0,0,0,0} }, { {0,0,0,0}, {0,0,0,0} } }
  for _, x in ipairs(pr) do
    local pi, v = heads(x.h)
    local c = acc[x.sample][x.test]
    local right = x.sample == x.test and 2 or 3
    c[1], c[2], c[3], c[4] = c[1] + pi[right], c[2] + pi[1], c[3] + v, c[4] + 1
  end
  line = "        h_23:"
  for s2 = 1, 2 do for t2 = 1, 2 do
    local c = acc[s2][t2]
    line = line .. string.format("  (%d,%d) pi right %.3f none %.3f V %+.2f", s2, t2, c[1] / c[4], c[2] / c[4],
      c[3] / c[4])
  end end
  print(line)
end

local given = {}
for k, v in pairs(o.agent) do given[#given + 1] = k .. " = " .. tostring(v) end
table.sort(given)
print(string.format("delay_match diagnosis: recurrent %d, tau %g%s, seed %d%s", o.recurrent, o.tau,
  o.after > 0 and (", then dense " .. o.after) or "", o.seed, #given > 0 and ("; " .. table.concat(given, ", ")) or ""))
print(" trial   right% / no answer% by (sample, test): (1,1) (1,2) (2,1) (2,2)")
local cells = { { { 0, 0, 0 }, { 0, 0, 0 } }, { { 0, 0, 0 }, { 0, 0, 0 } } }
report(0, cells)
for t = 1, o.trials do
  local obs = env:start()
  local info
  repeat
    local a = agent:act(obs)
    local r, nobs, terminal
    r, nobs, terminal, info = env:step(a)
    agent:learn(r, nobs, terminal)
    obs = nobs
  until terminal
  local c = cells[info.sample][info.test]
  c[1], c[2], c[3] = c[1] + (info.correct and 1 or 0), c[2] + 1, c[3] + (info.action == 0 and 1 or 0)
  if t % o.every == 0 then
    report(t, cells)
    cells = { { { 0, 0, 0 }, { 0, 0, 0 } }, { { 0, 0, 0 }, { 0, 0, 0 } } }
  end
end
