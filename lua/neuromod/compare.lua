-- neuromod.compare: `neuromod compare`: the condition table (mean, 95% CIs) and the tests of neuromod.stats
-- between conditions, from `neuromod run --json` summaries or from a sweep's result directory.
--
-- compare.load(paths) -> groups: reads each path: a directory of sweep results (every *.lua file in it, as
--   `neuromod sweep` writes them, ordered by condition name and seed; the condition is the middle part of the
--   job id "<study>/<condition>/<seed>"),
--   a sweep result file, or a run's JSON summary (the condition is its "condition" field). groups = an array
--   of { name, seeds = { { measure = value, ... }, ... } } in the order conditions are first met.
-- compare.run_measures(summary) -> the measures of one run's JSON summary: accuracy, return_last, return_mean,
--   length_last, trials_to_criterion (censored at the run's trials when never reached) and never (boolean).
-- compare.range(name, values [, ranges]) -> lo, hi: the measure's possible range: ranges[name] when given, else
--   [0, 1] when every value is in [0, 1] (accuracies, rates, booleans, binary entropies), else [0, inf) when
--   every value is >= 0 (trials, counts), else unbounded.
-- compare.table(groups [, o]) -> rows, text: o = { baseline = a condition name (default the first), ranges =
--   { name = { lo, hi } }, measures = { names } (default every measure, in first-met order), reps = 2000,
--   seed = 1 }. Per condition and measure: n, mean, the Student-t 95% CI and the percentile-bootstrap 95% CI of
--   the mean (nm.rng(seed)), both clamped to the possible range; per condition other than the baseline and
--   measure: a numeric measure's two-sided Mann-Whitney and Welch p against the baseline, a boolean measure's
--   two-sided Fisher exact p on the counts. rows = { { condition, measure, n, mean, lo, hi, boot_lo, boot_hi,
--   test, p, welch_p }, ... }.
-- compare.json_decode(text) -> the value of a JSON text (objects as tables, null as nil).
-- compare.main(argv [, ctx]) -> exit code (the command; docs/cli.md).
local cli = require "neuromod.cli"
local stats = require "neuromod.stats"

local compare = {}

compare.SPEC = {
  name = "compare",
  usage = "neuromod compare RESULT... [options]   (RESULT: a sweep's result directory or file, or a run's --json)",
  about = "The condition table: per condition and measure the mean with its Student-t and bootstrap 95% CIs\n" ..
          "(clamped to the measure's possible range), and each condition against the baseline: two-sided\n" ..
          "Mann-Whitney and Welch p for numbers, Fisher's exact p for yes/no measures (e.g. never).",
  args = {
    { "--baseline", "NAME", "the condition the others are tested against, default the first met" },
    { "--measure", "NAME", "only this measure (repeatable)", many = true },
    { "--range", "NAME=LO:HI", "the possible range of a measure, e.g. crit=0:700 (repeatable)", many = true },
    { "--reps", "N", "bootstrap resamples, default 2000" },
    { "--seed", "S", "the bootstrap's seed, default 1" },
    { "--json", "FILE", "also write the rows as JSON" },
  },
}

local function usage_error(msg)
  error({ usage = true, msg = "neuromod compare: " .. msg .. " (see neuromod compare --help)" }, 0)
end

---------------------------------------------------------------------------------------------------------
-- JSON (the summaries `neuromod run --json` writes)
---------------------------------------------------------------------------------------------------------
function compare.json_decode(text)
  local pos = 1
  local function fail(msg) error("compare.json_decode: " .. msg .. " at character " .. pos, 0) end
  local function ws() pos = text:find("[^ \t\r\n]", pos) or #text + 1 end
  local value
  local function str()
    local out = {}
    pos = pos + 1
    while true do
      local c = text:sub(pos, pos)
      if c == "" then fail("unterminated string") end
      if c == '"' then pos = pos + 1 break end
      if c == "\\" then
        local e = text:sub(pos + 1, pos + 1)
        local map = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
        if map[e] then out[#out + 1] = map[e]; pos = pos + 2
        elseif e == "u" then
          local code = tonumber(text:sub(pos + 2, pos + 5), 16) or fail("bad \\u escape")
          out[#out + 1] = code < 128 and string.char(code) or "?"
          pos = pos + 6
        else fail("bad escape") end
      else
        out[#out + 1] = c
        pos = pos + 1
      end
    end
    return table.concat(out)
  end
  value = function()
    ws()
    local c = text:sub(pos, pos)
    if c == "{" then
      local t = {}
      pos = pos + 1
      ws()
      if text:sub(pos, pos) == "}" then pos = pos + 1 return t end
      while true do
        ws()
        if text:sub(pos, pos) ~= '"' then fail("expected a key") end
        local k = str()
        ws()
        if text:sub(pos, pos) ~= ":" then fail("expected ':'") end
        pos = pos + 1
        t[k] = value()
        ws()
        local d = text:sub(pos, pos)
        pos = pos + 1
        if d == "}" then return t end
        if d ~= "," then fail("expected ',' or '}'") end
      end
    elseif c == "[" then
      local t, n = {}, 0
      pos = pos + 1
      ws()
      if text:sub(pos, pos) == "]" then pos = pos + 1 return t end
      while true do
        n = n + 1
        t[n] = value()
        ws()
        local d = text:sub(pos, pos)
        pos = pos + 1
        if d == "]" then return t end
        if d ~= "," then fail("expected ',' or ']'") end
      end
    elseif c == '"' then return str()
    elseif text:sub(pos, pos + 3) == "true" then pos = pos + 4 return true
    elseif text:sub(pos, pos + 4) == "false" then pos = pos + 5 return false
    elseif text:sub(pos, pos + 3) == "null" then pos = pos + 4 return nil
    end
    local num = text:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    if not num or num == "" then fail("unexpected '" .. c .. "'") end
    pos = pos + #num
    return tonumber(num) or fail("bad number " .. num)
  end
  local v = value()
  ws()
  if pos <= #text then fail("trailing text") end
  return v
end

---------------------------------------------------------------------------------------------------------
-- Loading results
---------------------------------------------------------------------------------------------------------
function compare.run_measures(s)
  local m = {
    accuracy = s.accuracy, return_last = s.return_last, return_mean = s.return_mean, length_last = s.length_last,
  }
  if s.accuracy ~= nil then
    m.never = s.trials_to_criterion == nil
    m.trials_to_criterion = s.trials_to_criterion or s.trials
  end
  return m
end

local function read_text(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

function compare.load(paths)
  local sweep = require "neuromod.sweep"
  local groups, by = {}, {}
  local function add(cond, measures, where)
    if type(cond) ~= "string" then error(where .. ": no condition", 0) end
    local g = by[cond]
    if not g then g = { name = cond, seeds = {} }; by[cond] = g; groups[#groups + 1] = g end
    g.seeds[#g.seeds + 1] = measures
  end
  for _, path in ipairs(paths) do
    if sweep.is_dir(path) or path:match("%.lua$") then
      -- a directory's results by condition name, then seed
      local rs = sweep.results(path, "measures")
      table.sort(rs, function(x, y)
        if x.cond ~= y.cond then return tostring(x.cond) < tostring(y.cond) end
        return x.seed < y.seed
      end)
      for _, r in ipairs(rs) do add(r.cond, r.result.measures, r.path) end
    else
      local text = read_text(path)
      if not text then error(path .. ": cannot read", 0) end
      local ok, s = pcall(compare.json_decode, text)
      if not ok or type(s) ~= "table" then error(path .. ": not a JSON summary: " .. tostring(s), 0) end
      if s.status and s.status ~= "ok" then
        error(path .. ": the run did not finish (status " .. tostring(s.status) .. ")", 0)
      end
      add(s.condition or "all", compare.run_measures(s), path)
    end
  end
  return groups
end

---------------------------------------------------------------------------------------------------------
-- The table
---------------------------------------------------------------------------------------------------------
function compare.range(name, values, ranges)
  if ranges and ranges[name] then return ranges[name][1], ranges[name][2] end
  local unit, nonneg = true, true
  for _, v in ipairs(values) do
    if v < 0 or v > 1 then unit = false end
    if v < 0 then nonneg = false end
  end
  if unit then return 0, 1 end
  if nonneg then return 0, math.huge end
  return -math.huge, math.huge
end

local function clamp(v, lo, hi)
  if v == nil then return nil end
  if v < lo then return lo end
  if v > hi then return hi end
  return v
end

local function column(g, m)
  local x, boolean = {}, false
  for _, s in ipairs(g.seeds) do
    local v = s[m]
    if type(v) == "boolean" then boolean = true; x[#x + 1] = v and 1 or 0
    elseif type(v) == "number" and v == v then x[#x + 1] = v end
  end
  return x, boolean
end

function compare.table(groups, o)
  o = o or {}
  local nm = require "neuromod"
  if #groups == 0 then error("compare.table: groups: no condition", 2) end
  local base = groups[1]
  if o.baseline then
    base = nil
    for _, g in ipairs(groups) do if g.name == o.baseline then base = g end end
    if not base then error("compare.table: baseline: no condition '" .. o.baseline .. "'", 2) end
  end
  local names, seen = {}, {}
  if o.measures and #o.measures > 0 then
    names = o.measures
  else
    for _, g in ipairs(groups) do
      for _, s in ipairs(g.seeds) do
        local keys = {}
        for k, v in pairs(s) do
          if not seen[k] and (type(v) == "number" or type(v) == "boolean") then keys[#keys + 1] = k end
        end
        table.sort(keys)
        for _, k in ipairs(keys) do seen[k] = true; names[#names + 1] = k end
      end
    end
  end
  local rows, out = {}, {}
  local function p(...) out[#out + 1] = string.format(...) end
  p("mean [95%% CI: Student t | bootstrap] per condition, clamped to the possible range; p: two-sided, against %s",
    base.name)
  local w = 9
  for _, g in ipairs(groups) do w = math.max(w, #g.name) end
  local mw = 7
  for _, m in ipairs(names) do mw = math.max(mw, #m) end
  local fmt = "%-" .. mw .. "s %-" .. w .. "s %4s %10s %-23s %-23s %s"
  p(fmt, "measure", "condition", "n", "mean", "t 95% CI", "bootstrap 95% CI", "test")
  for _, m in ipairs(names) do
    local all = {}
    for _, g in ipairs(groups) do for _, v in ipairs((column(g, m))) do all[#all + 1] = v end end
    local lo_r, hi_r = compare.range(m, all, o.ranges)
    local bx, bbool = column(base, m)
    for _, g in ipairs(groups) do
      local x, boolean = column(g, m)
      if #x > 0 then
        local row = { condition = g.name, measure = m, n = #x }
        local mean, lo, hi = stats.ci(x)
        row.mean, row.lo, row.hi = mean, clamp(lo, lo_r, hi_r), clamp(hi, lo_r, hi_r)
        if #x >= 2 then
          local blo, bhi = stats.bootstrap_ci(x, stats.mean, nm.rng(o.seed or 1), { reps = o.reps or 2000 })
          row.boot_lo, row.boot_hi = clamp(blo, lo_r, hi_r), clamp(bhi, lo_r, hi_r)
        end
        local test = ""
        if g ~= base and #bx > 0 then
          if boolean or bbool then
            local k1, k2 = 0, 0
            for _, v in ipairs(x) do k1 = k1 + v end
            for _, v in ipairs(bx) do k2 = k2 + v end
            local f = stats.fisher(k1, #x - k1, k2, #bx - k2)
            row.test, row.p = "fisher", f.p_two
            test = string.format("Fisher p = %.2g (%d/%d vs %d/%d)", f.p_two, k1, #x, k2, #bx)
          else
            local u = stats.mann_whitney(x, bx)
            row.test, row.p = "mann_whitney", u.p_two
            test = string.format("Mann-Whitney p = %.2g", u.p_two)
            if #x >= 2 and #bx >= 2 then
              row.welch_p = stats.welch(x, bx).p_two
              test = test .. string.format(", Welch p = %.2g", row.welch_p)
            end
          end
        end
        local function ci(a, b) return a and string.format("[%.4g, %.4g]", a, b) or "-" end
        p(fmt, m, g.name, #x, string.format("%.4g", mean), ci(row.lo, row.hi), ci(row.boot_lo, row.boot_hi), test)
        rows[#rows + 1] = row
      end
    end
  end
  return rows, table.concat(out, "\n")
end

function compare.main(argv)
  local a, pos = cli.parse(compare.SPEC, argv, 2)
  if a.help then print(cli.help_text(compare.SPEC)) return 0 end
  if #pos == 0 then usage_error("needs results: a sweep's directory, result files or run --json summaries") end
  local ranges
  for _, r in ipairs(a.range or {}) do
    local name, lo, hi = r:match("^([%w_]+)=([^:]+):(.+)$")
    lo, hi = tonumber(lo), tonumber(hi)
    if not name or not lo or not hi or lo > hi then usage_error("--range expects NAME=LO:HI, got " .. r) end
    ranges = ranges or {}
    ranges[name] = { lo, hi }
  end
  local reps = a.reps and tonumber(a.reps)
  if a.reps and (not reps or reps < 1 or reps ~= math.floor(reps)) then usage_error("--reps expects a positive integer") end
  local seed = a.seed and tonumber(a.seed)
  if a.seed and (not seed or seed ~= math.floor(seed)) then usage_error("--seed expects an integer") end
  local ok, groups = pcall(compare.load, pos)
  if not ok then io.stderr:write("neuromod compare: ", tostring(groups), "\n") return 1 end
  local ok2, rows, text = pcall(compare.table, groups, { baseline = a.baseline, ranges = ranges, measures = a.measure,
                                                          reps = reps, seed = seed })
  if not ok2 then io.stderr:write("neuromod compare: ", tostring(rows):gsub("^compare%.table: ", ""), "\n") return 1 end
  print(text)
  if a.json then
    local f, err = io.open(a.json, "w")
    if not f then io.stderr:write("neuromod compare: --json: ", tostring(err), "\n") return 1 end
    f:write(cli.json(rows), "\n")
    f:close()
  end
  return 0
end

return compare
