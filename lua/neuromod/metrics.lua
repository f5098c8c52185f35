-- neuromod.metrics: behavioural metrics over per-trial records, in pure Lua (Lua 5.4 and LuaJIT alike).
--
-- Conventions. A per-trial series is a Lua array indexed by trial, 1..T. "Correct" series hold booleans or
-- 0/1 numbers. Ranges [first, last] are inclusive trial indices (defaults 1 and #series). Every proportion
-- states its denominator; a proportion with a zero denominator is nil, never 0/0.
--
--   metrics.column(infos, key) -> array        the field `key` of each info table (e.g. from envs/setshift.lua)
--   metrics.accuracy(correct [, first, last]) -> fraction, n     denominator: trials in the range (n)
--   metrics.rolling_accuracy(correct, window) -> array acc       acc[t] = mean of correct[max(1, t-window+1)..t]
--        (the first window - 1 values average over the t trials seen so far, denominator min(t, window))
--   metrics.trials_to_criterion(correct, opts) -> t, trials | nil
--        opts: level = 0.9, window = 20, start = 1. The first trial t such that the window of `window` trials
--        ending at t lies wholly at or after `start` and has accuracy >= level (denominator window). Returns t
--        and trials = t - start + 1 (trials needed since start, the window included; at least `window`), or
--        nil when the criterion is never met.
--   metrics.entropy(p [, base = 2]) -> H        H = -sum p_a log p_a of one probability vector (array or map;
--        normalised by its sum, 0 log 0 = 0)
--   metrics.binary_entropy(p [, base = 2]) -> H  the entropy of (p, 1 - p): of a two-action policy from one
--        probability (p + (1 - p) rounds to exactly 1, so this is metrics.entropy{p, 1 - p} to the bit)
--   metrics.mean(x [, first, last]) -> mean, n   of the numbers x[first..last] (nil, 0 when the range is empty)
--   metrics.sum(x [, first, last]) -> sum        of the numbers x[first..last] (0 when empty)
--   metrics.policy_entropy(probs [, opts]) -> H, n    conditioned action entropy H(A | C) from the agent's
--        policy vectors on the n trials where cue C was present (the caller selects them; see `select`).
--        opts.pooled = true (default): H of the mean vector, i.e. the entropy of P(a | C) marginalised over the
--        trials' other inputs; pooled = false: the mean of the per-trial entropies. base = 2 (bits).
--   metrics.count_entropy(counts [, opts]) -> H, n   the same from choice counts (map action -> count): plug-in
--        estimate, or with opts.miller_madow = true plus (K - 1) / (2 n ln base), K = actions with a count > 0.
--   metrics.choice_entropy(actions, mask [, first, last, opts]) -> H, n   counts actions[t] over the trials of
--        the range with mask[t] true (mask nil: all) and returns count_entropy.
--   metrics.select(series, mask [, first, last]) -> array   series[t] for the trials with mask[t] true.
--   metrics.perseverative_errors(actions, new_correct, old_correct [, first, last]) ->
--        { count, errors, conflicts, fraction, rate, flags }
--        After a rule shift a perseverative error is an error whose response is the one the OLD rule
--        prescribes (actions[t] ~= new_correct[t] and actions[t] == old_correct[t]). Only trials on which the
--        rules disagree can hold one. count = perseverative errors; errors = all errors in the range;
--        conflicts = trials where the rules disagree; fraction = count / errors (share of errors that
--        perseverate); rate = count / conflicts; flags[t] = true for the perseverative trials. With
--        envs/setshift.lua: actions = column(infos, "action"), new = "correct_action", old =
--        "old_correct_action", first = shift_trial + 1.
--   metrics.win_stay_lose_shift(actions, outcomes [, opts]) -> { win_stay, lose_shift, wins, stays, losses,
--        shifts }
--        outcome[t] true/false (win/lose), or a number: > 0 win, < 0 lose, 0 neither (not counted; e.g. a
--        Go/No-Go correct rejection). Trial t (t < T) counts when trial t + 1 exists, so the denominators are
--        over trials 1..T-1: win_stay = P(action[t+1] == action[t] | win at t) = stays / wins; lose_shift =
--        P(action[t+1] ~= action[t] | loss at t) = shifts / losses. opts.key (array): compare with the next
--        trial with the same key instead (e.g. the same stimulus), skipping trials whose key never recurs.
--        opts.first, opts.last restrict the trials t considered.
--
-- Continual learning, over an accuracy matrix R: R[i][j] = accuracy on task j evaluated frozen right after
-- training block i (i, j = 1..T; task i is trained in block i). Every number is a mean whose denominator is
-- stated; FWT and BWT use T - 1 (GEM's definition: only the tasks that have a task before / after them).
--   metrics.cl_matrix(T [, fill]) -> R       a T x T matrix of fill (nil), to be written R[i][j]
--   metrics.cl_acc(R) -> ACC                 GEM's average accuracy (1/T) sum_j R[T][j]               (over T)
--   metrics.cl_bwt(R) -> BWT                 GEM's backward transfer (1/(T-1)) sum_{j<T} (R[T][j] - R[j][j])
--                                            (over T - 1; nil when T < 2)
--   metrics.cl_fwt(R, b) -> FWT              GEM's forward transfer (1/(T-1)) sum_{j=2..T} (R[j-1][j] - b[j]),
--                                            b[j] the accuracy of a fresh (untrained) agent on task j (over T-1)
--   metrics.cl_forgetting(R) -> mean, f      Avalanche-style forgetting f[j] = R[j][j] - R[T][j] (right after
--                                            training minus last) for j < T; mean over T - 1 tasks
--   metrics.cl_max_forgetting(R) -> mean, f  max-based forgetting (Chaudhry et al. 2018) f[j] = max_{l<T} R[l][j]
--                                            - R[T][j] for j < T; mean over T - 1 tasks
--   metrics.cl_forward_transfer(auc, auc_fresh) -> mean, ft   Continual World (Wolczyk et al. 2021): ft[j] =
--                                            (auc[j] - auc_fresh[j]) / (1 - auc_fresh[j]), auc[j] the area under
--                                            task j's training-accuracy curve (its mean accuracy over its
--                                            training block, in [0, 1]) in the sequence, auc_fresh[j] that of a
--                                            fresh agent trained on task j alone; mean over the tasks with
--                                            auc_fresh[j] < 1 (ft[j] nil for the others, not counted)
local metrics = {}

local function fail(fname, msg) error("metrics." .. fname .. ": " .. msg, 3) end

local function series(fname, x, what)
  if type(x) ~= "table" then fail(fname, (what or "series") .. ": expected an array, got " .. type(x)) end
  return #x
end

local function range(fname, n, first, last)
  first, last = first or 1, last or n
  if type(first) ~= "number" or type(last) ~= "number" or first ~= math.floor(first) or last ~= math.floor(last) then
    fail(fname, "first and last must be integers")
  end
  if first < 1 then first = 1 end
  if last > n then last = n end
  return first, last
end

local function truth(fname, v, t)
  if v == true or v == 1 then return 1 end
  if v == false or v == 0 then return 0 end
  fail(fname, "correct[" .. t .. "] must be a boolean or 0/1, got " .. tostring(v))
end

function metrics.column(infos, key)
  series("column", infos, "infos")
  local out = {}
  for t = 1, #infos do
    local r = infos[t]
    if type(r) ~= "table" then fail("column", "infos[" .. t .. "] is not a table") end
    out[t] = r[key]
  end
  return out
end

function metrics.accuracy(correct, first, last)
  local n = series("accuracy", correct, "correct")
  first, last = range("accuracy", n, first, last)
  local s, k = 0, 0
  for t = first, last do s = s + truth("accuracy", correct[t], t); k = k + 1 end
  if k == 0 then return nil, 0 end
  return s / k, k
end

function metrics.rolling_accuracy(correct, window)
  local n = series("rolling_accuracy", correct, "correct")
  if type(window) ~= "number" or window < 1 or window ~= math.floor(window) then
    fail("rolling_accuracy", "window must be a positive integer, got " .. tostring(window))
  end
  local out, s = {}, 0
  for t = 1, n do
    s = s + truth("rolling_accuracy", correct[t], t)
    if t > window then s = s - truth("rolling_accuracy", correct[t - window], t - window) end
    out[t] = s / math.min(t, window)
  end
  return out
end

function metrics.trials_to_criterion(correct, opts)
  local n = series("trials_to_criterion", correct, "correct")
  opts = opts or {}
  local level, window, start = opts.level or 0.9, opts.window or 20, opts.start or 1
  if type(window) ~= "number" or window < 1 or window ~= math.floor(window) then
    fail("trials_to_criterion", "window must be a positive integer, got " .. tostring(window))
  end
  if type(start) ~= "number" or start < 1 or start ~= math.floor(start) then
    fail("trials_to_criterion", "start must be a positive integer, got " .. tostring(start))
  end
  if type(level) ~= "number" or level < 0 or level > 1 then
    fail("trials_to_criterion", "level must be in [0, 1], got " .. tostring(level))
  end
  local need = level * window - 1e-9 -- the count of correct trials the window needs, rounding-safe
  local s = 0
  for t = start, n do
    s = s + truth("trials_to_criterion", correct[t], t)
    if t - window >= start then s = s - truth("trials_to_criterion", correct[t - window], t - window) end
    if t - start + 1 >= window and s >= need then return t, t - start + 1 end
  end
  return nil
end

function metrics.entropy(p, base)
  if type(p) ~= "table" then fail("entropy", "expected a probability vector, got " .. type(p)) end
  base = base or 2
  local sum = 0
  for k, v in pairs(p) do
    if type(v) ~= "number" or v < 0 or v ~= v then
      fail("entropy", "p[" .. tostring(k) .. "] must be a number >= 0, got " .. tostring(v))
    end
    sum = sum + v
  end
  if sum <= 0 then fail("entropy", "probabilities sum to 0") end
  local h = 0
  for _, v in pairs(p) do
    if v > 0 then local q = v / sum; h = h - q * math.log(q) / math.log(base) end
  end
  return h
end

function metrics.binary_entropy(p, base)
  if type(p) ~= "number" or not (p >= 0 and p <= 1) then
    fail("binary_entropy", "p must be a probability in [0, 1], got " .. tostring(p))
  end
  return metrics.entropy({ p, 1 - p }, base)
end

function metrics.sum(x, first, last)
  local n = series("sum", x)
  first, last = range("sum", n, first, last)
  local s = 0
  for t = first, last do
    local v = x[t]
    if type(v) ~= "number" then fail("sum", "x[" .. t .. "] must be a number, got " .. tostring(v)) end
    s = s + v
  end
  return s
end

function metrics.mean(x, first, last)
  local n = series("mean", x)
  first, last = range("mean", n, first, last)
  if last < first then return nil, 0 end
  return metrics.sum(x, first, last) / (last - first + 1), last - first + 1
end

function metrics.policy_entropy(probs, opts)
  local n = series("policy_entropy", probs, "probs")
  opts = opts or {}
  local base = opts.base or 2
  if n == 0 then return nil, 0 end
  if opts.pooled == false then
    local s = 0
    for t = 1, n do s = s + metrics.entropy(probs[t], base) end
    return s / n, n
  end
  local mean = {}
  for t = 1, n do
    local v = probs[t]
    if type(v) ~= "table" then fail("policy_entropy", "probs[" .. t .. "] is not a table") end
    local sum = 0
    for _, x in pairs(v) do sum = sum + x end
    if not (sum > 0) then fail("policy_entropy", "probs[" .. t .. "] does not sum to a positive number") end
    for k, x in pairs(v) do mean[k] = (mean[k] or 0) + x / sum / n end
  end
  return metrics.entropy(mean, base), n
end

function metrics.count_entropy(counts, opts)
  if type(counts) ~= "table" then fail("count_entropy", "expected a table action -> count") end
  opts = opts or {}
  local base = opts.base or 2
  local n, K = 0, 0
  for k, c in pairs(counts) do
    if type(c) ~= "number" or c < 0 then
      fail("count_entropy", "counts[" .. tostring(k) .. "] must be a number >= 0, got " .. tostring(c))
    end
    n = n + c
    if c > 0 then K = K + 1 end
  end
  if n == 0 then return nil, 0 end
  local h = metrics.entropy(counts, base)
  if opts.miller_madow then h = h + (K - 1) / (2 * n * math.log(base)) end
  return h, n
end

function metrics.choice_entropy(actions, mask, first, last, opts)
  local n = series("choice_entropy", actions, "actions")
  first, last = range("choice_entropy", n, first, last)
  local counts = {}
  for t = first, last do
    if mask == nil or mask[t] then
      local a = actions[t]
      counts[a] = (counts[a] or 0) + 1
    end
  end
  return metrics.count_entropy(counts, opts)
end

function metrics.select(x, mask, first, last)
  local n = series("select", x)
  first, last = range("select", n, first, last)
  local out = {}
  for t = first, last do if mask == nil or mask[t] then out[#out + 1] = x[t] end end
  return out
end

function metrics.perseverative_errors(actions, new_correct, old_correct, first, last)
  local n = series("perseverative_errors", actions, "actions")
  series("perseverative_errors", new_correct, "new_correct")
  series("perseverative_errors", old_correct, "old_correct")
  first, last = range("perseverative_errors", n, first, last)
  local r = { count = 0, errors = 0, conflicts = 0, flags = {} }
  for t = first, last do
    local a, new, old = actions[t], new_correct[t], old_correct[t]
    if new == nil or old == nil then fail("perseverative_errors", "missing correct action at trial " .. t) end
    if new ~= old then r.conflicts = r.conflicts + 1 end
    if a ~= new then
      r.errors = r.errors + 1
      if a == old then r.count = r.count + 1; r.flags[t] = true end
    end
  end
  r.fraction = r.errors > 0 and r.count / r.errors or nil
  r.rate = r.conflicts > 0 and r.count / r.conflicts or nil
  return r
end

local function outcome(v, t)
  if v == true then return 1 elseif v == false then return -1 end
  if type(v) == "number" then return v > 0 and 1 or (v < 0 and -1 or 0) end
  fail("win_stay_lose_shift", "outcomes[" .. t .. "] must be a boolean or a number, got " .. tostring(v))
end

function metrics.win_stay_lose_shift(actions, outcomes, opts)
  local n = series("win_stay_lose_shift", actions, "actions")
  series("win_stay_lose_shift", outcomes, "outcomes")
  opts = opts or {}
  local key = opts.key
  local first, last = range("win_stay_lose_shift", n, opts.first, opts.last)
  -- next[t]: the trial whose action is compared with trial t's
  local nxt = {}
  if key then
    local seen = {}
    for t = n, 1, -1 do
      local k = key[t]
      if k ~= nil then nxt[t] = seen[k]; seen[k] = t end
    end
  else
    for t = 1, n - 1 do nxt[t] = t + 1 end
  end
  local r = { wins = 0, stays = 0, losses = 0, shifts = 0 }
  for t = first, last do
    local u = nxt[t]
    if u then
      local o = outcome(outcomes[t], t)
      local same = actions[u] == actions[t]
      if o > 0 then
        r.wins = r.wins + 1
        if same then r.stays = r.stays + 1 end
      elseif o < 0 then
        r.losses = r.losses + 1
        if not same then r.shifts = r.shifts + 1 end
      end
    end
  end
  r.win_stay = r.wins > 0 and r.stays / r.wins or nil
  r.lose_shift = r.losses > 0 and r.shifts / r.losses or nil
  return r
end

-- ---- continual learning: the accuracy matrix R ----

local function square(fname, R)
  if type(R) ~= "table" or #R < 1 then fail(fname, "R must be a non-empty T x T matrix (a table of rows)") end
  local T = #R
  for i = 1, T do
    if type(R[i]) ~= "table" then fail(fname, "R[" .. i .. "] must be a row of " .. T .. " accuracies") end
    for j = 1, T do
      if type(R[i][j]) ~= "number" then fail(fname, ("R[%d][%d] must be a number, got %s"):format(i, j, tostring(R[i][j]))) end
    end
  end
  return T
end

function metrics.cl_matrix(T, fill)
  if type(T) ~= "number" or T < 1 or T ~= math.floor(T) then fail("cl_matrix", "T must be a positive integer") end
  local R = {}
  for i = 1, T do R[i] = {} for j = 1, T do R[i][j] = fill end end
  return R
end

function metrics.cl_acc(R)
  local T, s = square("cl_acc", R), 0
  for j = 1, T do s = s + R[T][j] end
  return s / T
end

function metrics.cl_bwt(R)
  local T, s = square("cl_bwt", R), 0
  if T < 2 then return nil end
  for j = 1, T - 1 do s = s + (R[T][j] - R[j][j]) end
  return s / (T - 1)
end

function metrics.cl_fwt(R, b)
  local T, s = square("cl_fwt", R), 0
  if T < 2 then return nil end
  if type(b) ~= "table" then fail("cl_fwt", "b must be the fresh agent's accuracy on each task (an array of T)") end
  for j = 2, T do
    if type(b[j]) ~= "number" then fail("cl_fwt", "b[" .. j .. "] must be a number") end
    s = s + (R[j - 1][j] - b[j])
  end
  return s / (T - 1)
end

function metrics.cl_forgetting(R)
  local T, s, f = square("cl_forgetting", R), 0, {}
  if T < 2 then return nil, f end
  for j = 1, T - 1 do f[j] = R[j][j] - R[T][j]; s = s + f[j] end
  return s / (T - 1), f
end

function metrics.cl_max_forgetting(R)
  local T, s, f = square("cl_max_forgetting", R), 0, {}
  if T < 2 then return nil, f end
  for j = 1, T - 1 do
    local best = R[1][j]
    for l = 2, T - 1 do if R[l][j] > best then best = R[l][j] end end
    f[j] = best - R[T][j]
    s = s + f[j]
  end
  return s / (T - 1), f
end

function metrics.cl_forward_transfer(auc, fresh)
  if type(auc) ~= "table" or type(fresh) ~= "table" or #auc ~= #fresh then
    fail("cl_forward_transfer", "auc and auc_fresh must be arrays of the same length")
  end
  local s, n, ft = 0, 0, {}
  for j = 1, #auc do
    if type(auc[j]) ~= "number" or type(fresh[j]) ~= "number" then
      fail("cl_forward_transfer", "auc[" .. j .. "] and auc_fresh[" .. j .. "] must be numbers")
    end
    if fresh[j] < 1 then
      ft[j] = (auc[j] - fresh[j]) / (1 - fresh[j])
      s, n = s + ft[j], n + 1
    end
  end
  return n > 0 and s / n or nil, ft
end

return metrics
