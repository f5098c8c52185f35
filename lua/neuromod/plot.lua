-- neuromod.plot: `neuromod plot`: SVG figures in plain Lua (no dependency): learning curves with 95% CI bands
-- per condition, modulator levels and meta-parameters over trials, and a measure's transient around a shift.
--
-- plot.svg(panels [, o]) -> SVG text. panels: one panel or an array of panels stacked vertically; a panel =
--   { title, xlabel, ylabel, ylim = { lo, hi } (default from the data), series = { { name, x = {...}, y = {...},
--   lo = {...}, hi = {...} (optional: a band), color }, ... }, vlines = { { x = n, label = "..." }, ... } }.
--   o = { width = 720, height = 300 (per panel), title }. Missing y values (nil, NaN) break a line.
-- plot.read_csv(path) -> { comments = { "# ..." lines }, names = { column names }, columns = { name = array } }:
--   a `neuromod run --csv` log (numbers converted, other cells kept as strings).
-- plot.read_results(paths) -> groups: sweep result directories or files (as `neuromod sweep` writes them) and run
--   CSV logs, as { { name = condition, records = { records per seed } }, ... } in condition-name order; a CSV's
--   condition is its `# condition` line.
-- plot.moving(x, window [, select]) -> y: y[t] the mean of x over trials max(1, t - window + 1)..t (booleans as
--   0/1), counting only trials where select[t] is true when select is given (nil when there are none).
-- plot.band(curves [, lo, hi]) -> mean, ci_lo, ci_hi: per trial, the mean over the curves (one per seed) and
--   its Student-t 95% CI, clamped to [lo, hi].
-- plot.curves(groups, column, o) -> panel: learning curves (o.window = 20 trials' moving mean of the column per
--   seed; mean and CI band over seeds per condition); o.shift draws a line at the shift.
-- plot.transient(groups, o) -> panel: o.column (default "H") over the trials o.cue (default "go_cue") marks,
--   o.before (50) trials before to o.after (150) after the shift o.shift, a moving mean over o.window (10).
-- plot.modulators(log) -> panels: from a read_csv log, the four modulator levels in one panel and each
--   meta-parameter column present in a panel of its own.
-- plot.main(argv [, ctx]) -> exit code (the command; docs/cli.md).
local cli = require "neuromod.cli"
local stats = require "neuromod.stats"

local plot = {}

plot.SPEC = {
  name = "plot",
  usage = "neuromod plot curves RESULT... -o FILE.svg [--column correct] [--window 20] [--shift N]\n" ..
          "       neuromod plot transient RESULT... -o FILE.svg --shift N [--column H] [--cue go_cue] [--before 50] [--after 150]\n" ..
          "       neuromod plot modulators RUN.csv -o FILE.svg\n" ..
          "       (RESULT: a sweep's result directory or file, or a run's --csv log)",
  about = "Writes an SVG figure (plain Lua, no dependency). curves: a per-trial column's moving mean per condition,\n" ..
          "mean over seeds with a 95% CI band. transient: a column over the trials a cue marks, around a shift\n" ..
          "(the set-shift study's H(A|go cue)). modulators: the modulator levels and meta-parameters of one run\n" ..
          "over trials (neuromod run --csv; --log-modulators adds the other meta-parameters).",
  args = {
    { "--out", "FILE", "the SVG file to write (also -o)" },
    { "--column", "NAME", "the per-trial record to plot (curves: default correct; transient: default H)" },
    { "--cue", "NAME", "transient: the record that marks the trials to average over, default go_cue" },
    { "--window", "N", "trials of the moving mean, default 20 (transient: 10)" },
    { "--shift", "N", "the trial after which the rules shift (a line on curves; the centre of transient)" },
    { "--before", "N", "transient: trials before the shift, default 50" },
    { "--after", "N", "transient: trials after the shift, default 150" },
    { "--title", "TEXT", "the figure's title" },
  },
}

local function usage_error(msg)
  error({ usage = true, msg = "neuromod plot: " .. msg .. " (see neuromod plot --help)" }, 0)
end

local COLORS = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f" }

local function esc(s)
  return (tostring(s):gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }))
end

local function finite(v) return type(v) == "number" and v == v and v > -math.huge and v < math.huge end

local function num(v) return string.format("%.1f", v) end

-- "nice" tick values covering [lo, hi]
local function ticks(lo, hi, n)
  local span = hi - lo
  if span <= 0 then return { lo } end
  local raw = span / (n or 5)
  local mag = 10 ^ math.floor(math.log(raw, 10))
  local step = mag
  for _, m in ipairs { 1, 2, 2.5, 5, 10 } do
    if m * mag >= raw then step = m * mag break end
  end
  local out = {}
  local t = math.ceil(lo / step - 1e-9) * step
  while t <= hi + 1e-9 * step do
    out[#out + 1] = math.abs(t) < 1e-12 * step and 0 or t
    t = t + step
  end
  return out
end

local function tick_label(v)
  if v == math.floor(v) and math.abs(v) < 1e7 then return string.format("%d", v) end
  return string.format("%.4g", v)
end

local function panel_svg(p, x0, y0, w, h, out)
  local left, right, top, bottom = 64, 150, 28, 44
  local pw, ph = w - left - right, h - top - bottom
  local xmin, xmax, ymin, ymax = math.huge, -math.huge, math.huge, -math.huge
  for _, s in ipairs(p.series or {}) do
    for i, x in ipairs(s.x) do
      if finite(x) then xmin, xmax = math.min(xmin, x), math.max(xmax, x) end
      for _, v in ipairs { s.y[i], s.lo and s.lo[i], s.hi and s.hi[i] } do
        if finite(v) then ymin, ymax = math.min(ymin, v), math.max(ymax, v) end
      end
    end
  end
  if xmin > xmax then xmin, xmax = 0, 1 end
  if ymin > ymax then ymin, ymax = 0, 1 end
  if p.ylim then ymin, ymax = p.ylim[1], p.ylim[2] end
  if ymax == ymin then ymin, ymax = ymin - 0.5, ymax + 0.5 end
  if xmax == xmin then xmin, xmax = xmin - 0.5, xmax + 0.5 end
  local function X(v) return x0 + left + (v - xmin) / (xmax - xmin) * pw end
  local function Y(v) return y0 + top + (1 - (v - ymin) / (ymax - ymin)) * ph end
  local o = out
  o[#o + 1] = string.format('<g font-family="sans-serif" font-size="12">')
  if p.title then
    o[#o + 1] = string.format('<text x="%s" y="%s" font-size="14" font-weight="bold">%s</text>', num(x0 + left),
      num(y0 + 18), esc(p.title))
  end
  -- grid and ticks
  for _, t in ipairs(ticks(ymin, ymax, 5)) do
    o[#o + 1] = string.format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e0e0e0"/>', num(X(xmin)), num(Y(t)),
      num(X(xmax)), num(Y(t)))
    o[#o + 1] = string.format('<text x="%s" y="%s" text-anchor="end">%s</text>', num(X(xmin) - 6), num(Y(t) + 4),
      tick_label(t))
  end
  for _, t in ipairs(ticks(xmin, xmax, 8)) do
    o[#o + 1] = string.format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#000"/>', num(X(t)), num(Y(ymin)),
      num(X(t)), num(Y(ymin) + 4))
    o[#o + 1] = string.format('<text x="%s" y="%s" text-anchor="middle">%s</text>', num(X(t)), num(Y(ymin) + 17),
      tick_label(t))
  end
  o[#o + 1] = string.format('<rect x="%s" y="%s" width="%s" height="%s" fill="none" stroke="#000"/>',
    num(X(xmin)), num(Y(ymax)), num(pw), num(ph))
  if p.xlabel then
    o[#o + 1] = string.format('<text x="%s" y="%s" text-anchor="middle">%s</text>', num(x0 + left + pw / 2),
      num(y0 + h - 8), esc(p.xlabel))
  end
  if p.ylabel then
    local cx, cy = x0 + 14, y0 + top + ph / 2
    o[#o + 1] = string.format('<text x="%s" y="%s" text-anchor="middle" transform="rotate(-90 %s %s)">%s</text>',
      num(cx), num(cy), num(cx), num(cy), esc(p.ylabel))
  end
  o[#o + 1] = string.format('<clipPath id="clip%d"><rect x="%s" y="%s" width="%s" height="%s"/></clipPath>',
    math.floor(y0), num(X(xmin)), num(Y(ymax)), num(pw), num(ph))
  o[#o + 1] = string.format('<g clip-path="url(#clip%d)">', math.floor(y0))
  for _, v in ipairs(p.vlines or {}) do
    o[#o + 1] = string.format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#555" stroke-dasharray="4 3"/>',
      num(X(v.x)), num(Y(ymin)), num(X(v.x)), num(Y(ymax)))
  end
  for si, s in ipairs(p.series or {}) do
    local color = s.color or COLORS[(si - 1) % #COLORS + 1]
    -- the band: one polygon per run of finite values
    if s.lo and s.hi then
      local i, n = 1, #s.x
      while i <= n do
        while i <= n and not (finite(s.lo[i]) and finite(s.hi[i])) do i = i + 1 end
        local j = i
        while j + 1 <= n and finite(s.lo[j + 1]) and finite(s.hi[j + 1]) do j = j + 1 end
        if i <= n then
          local pts = {}
          for k = i, j do pts[#pts + 1] = num(X(s.x[k])) .. "," .. num(Y(s.hi[k])) end
          for k = j, i, -1 do pts[#pts + 1] = num(X(s.x[k])) .. "," .. num(Y(s.lo[k])) end
          o[#o + 1] = string.format('<polygon points="%s" fill="%s" fill-opacity="0.18" stroke="none"/>',
            table.concat(pts, " "), color)
        end
        i = j + 1
      end
    end
    local path, pen = {}, false
    for k = 1, #s.x do
      local y = s.y[k]
      if finite(y) and finite(s.x[k]) then
        path[#path + 1] = (pen and "L" or "M") .. num(X(s.x[k])) .. " " .. num(Y(y))
        pen = true
      else
        pen = false
      end
    end
    if #path > 0 then
      o[#o + 1] = string.format('<path d="%s" fill="none" stroke="%s" stroke-width="1.6"/>', table.concat(path, " "),
        color)
    end
  end
  o[#o + 1] = "</g>"
  for _, v in ipairs(p.vlines or {}) do
    if v.label then
      o[#o + 1] = string.format('<text x="%s" y="%s" fill="#555">%s</text>', num(X(v.x) + 4), num(Y(ymax) + 14),
        esc(v.label))
    end
  end
  -- legend
  for si, s in ipairs(p.series or {}) do
    if s.name then
    local color = s.color or COLORS[(si - 1) % #COLORS + 1]
    local ly = y0 + top + 10 + (si - 1) * 18
    local lx = x0 + left + pw + 14
    o[#o + 1] = string.format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="3"/>', num(lx),
      num(ly), num(lx + 20), num(ly), color)
    o[#o + 1] = string.format('<text x="%s" y="%s">%s</text>', num(lx + 26), num(ly + 4), esc(s.name))
    end
  end
  o[#o + 1] = "</g>"
end

function plot.svg(panels, o)
  o = o or {}
  if panels.series or panels.title and not panels[1] then panels = { panels } end
  local w, h = o.width or 720, o.height or 300
  local head = o.title and 30 or 0
  local total = head + h * #panels
  local out = {
    '<?xml version="1.0" encoding="UTF-8"?>',
    string.format('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">', w, total, w,
      total),
    string.format('<rect width="%d" height="%d" fill="#fff"/>', w, total),
  }
  if o.title then
    out[#out + 1] = string.format('<text x="%d" y="20" font-family="sans-serif" font-size="15" font-weight="bold">%s</text>',
      10, esc(o.title))
  end
  for i, p in ipairs(panels) do panel_svg(p, 0, head + (i - 1) * h, w, h, out) end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n") .. "\n"
end

---------------------------------------------------------------------------------------------------------
-- Data
---------------------------------------------------------------------------------------------------------
local function split(line)
  local out = {}
  for cell in (line .. ","):gmatch("([^,]*),") do out[#out + 1] = cell end
  return out
end

function plot.read_csv(path)
  local f, err = io.open(path, "r")
  if not f then error("cannot read " .. path .. ": " .. tostring(err), 0) end
  local log = { comments = {}, names = nil, columns = {} }
  for line in f:lines() do
    if line:sub(1, 1) == "#" then log.comments[#log.comments + 1] = line
    elseif not log.names then
      log.names = split(line)
      for _, n in ipairs(log.names) do log.columns[n] = {} end
    elseif line ~= "" then
      local cells = split(line)
      for i, n in ipairs(log.names) do
        local c = log.columns[n]
        c[#c + 1] = tonumber(cells[i]) or cells[i]
      end
    end
  end
  f:close()
  if not log.names then error(path .. ": no header line", 0) end
  return log
end

function plot.read_results(paths)
  local sweep = require "neuromod.sweep"
  local items = {}
  for _, path in ipairs(paths) do
    if sweep.is_dir(path) or path:match("%.lua$") then
      for _, r in ipairs(sweep.results(path, "records")) do
        items[#items + 1] = { cond = r.cond or r.result.id, seed = r.seed, records = r.result.records }
      end
    else
      local log = plot.read_csv(path)
      local cond, seed = "all", 0
      for _, c in ipairs(log.comments) do
        cond = c:match("^# condition (.*)$") or cond
        seed = tonumber(c:match("^# seed (%S+)")) or seed
      end
      items[#items + 1] = { cond = cond, seed = seed, records = log.columns }
    end
  end
  table.sort(items, function(a, b)
    if a.cond ~= b.cond then return a.cond < b.cond end
    return a.seed < b.seed
  end)
  local groups, by = {}, {}
  for _, it in ipairs(items) do
    local g = by[it.cond]
    if not g then g = { name = it.cond, records = {} }; by[it.cond] = g; groups[#groups + 1] = g end
    g.records[#g.records + 1] = it.records
  end
  return groups
end

local function value(v)
  if type(v) == "boolean" then return v and 1 or 0 end
  if type(v) == "number" then return v end
  return nil
end

function plot.moving(x, window, select)
  local y, n = {}, #x
  local sum, count = 0, 0
  local function take(i, sign)
    local v = value(x[i])
    if v ~= nil and (select == nil or select[i] == true or select[i] == 1) then
      sum, count = sum + sign * v, count + sign
    end
  end
  for t = 1, n do
    take(t, 1)
    if t > window then take(t - window, -1) end
    y[t] = count > 0 and sum / count or nil
  end
  return y, n
end

function plot.band(curves, lo, hi)
  local mean, clo, chi = {}, {}, {}
  local n = 0
  for _, c in ipairs(curves) do n = math.max(n, c.n or #c) end
  for t = 1, n do
    local x = {}
    for _, c in ipairs(curves) do if finite(c[t]) then x[#x + 1] = c[t] end end
    if #x > 0 then
      local m, l, h = stats.ci(x)
      mean[t] = m
      if l then
        if lo and l < lo then l = lo end
        if hi and h > hi then h = hi end
        clo[t], chi[t] = l, h
      end
    end
  end
  return mean, clo, chi, n
end

local function column_of(records, column, where)
  local x = records[column]
  if type(x) ~= "table" then
    local names = {}
    for k in pairs(records) do names[#names + 1] = k end
    table.sort(names)
    error(where .. ": no per-trial column '" .. column .. "' (there are: " .. table.concat(names, ", ") .. ")", 0)
  end
  return x
end

local function unit_range(curves)
  for _, c in ipairs(curves) do
    for t = 1, c.n do local v = c[t]; if v ~= nil and (v < 0 or v > 1) then return nil end end
  end
  return 0, 1
end

function plot.curves(groups, column, o)
  o = o or {}
  local window = o.window or 20
  local series = {}
  for _, g in ipairs(groups) do
    local curves = {}
    for i, r in ipairs(g.records) do
      local y, n = plot.moving(column_of(r, column, g.name), window)
      y.n = n
      curves[i] = y
    end
    local lo, hi = unit_range(curves)
    local mean, clo, chi, n = plot.band(curves, lo, hi)
    local x = {}
    for t = 1, n do x[t] = t end
    series[#series + 1] = { name = g.name .. " (" .. #curves .. ")", x = x, y = mean, lo = clo, hi = chi }
  end
  return { title = o.title or (column .. " per trial, mean and 95% CI over seeds"),
           xlabel = "trial (moving mean over " .. window .. " trials)", ylabel = column, series = series,
           vlines = o.shift and { { x = o.shift + 0.5, label = "shift" } } or nil }
end

function plot.transient(groups, o)
  o = o or {}
  local column, cue, shift = o.column or "H", o.cue or "go_cue", o.shift
  if type(shift) ~= "number" then error("plot.transient: shift: expected the shift's trial, got " .. tostring(shift), 2) end
  local before, after, window = o.before or 50, o.after or 150, o.window or 10
  local series = {}
  for _, g in ipairs(groups) do
    local curves = {}
    for i, r in ipairs(g.records) do
      local y, n = plot.moving(column_of(r, column, g.name), window, column_of(r, cue, g.name))
      local c = { n = before + after + 1 }
      for k = -before, after do
        local t = shift + k
        c[k + before + 1] = (t >= 1 and t <= n) and y[t] or nil
      end
      curves[i] = c
    end
    local mean, clo, chi, n = plot.band(curves, 0, nil)
    local x = {}
    for k = 1, n do x[k] = k - before - 1 end
    series[#series + 1] = { name = g.name .. " (" .. #curves .. ")", x = x, y = mean, lo = clo, hi = chi }
  end
  return { title = o.title or (column .. " on " .. cue .. " trials around the shift, mean and 95% CI over seeds"),
           xlabel = "trials after the shift (moving mean over " .. window .. " trials)", ylabel = column, series = series,
           vlines = { { x = 0.5, label = "shift" } } }
end

local LEVELS = { "DA", "NA", "ACh", "5HT" }
local PARAMS = { "learning_rate", "inverse_temperature", "discount", "trace_decay", "gain", "withhold_bias",
                 "attention" }

function plot.modulators(log, o)
  o = o or {}
  local t = log.columns.trial
  if not t then error("plot.modulators: the log has no trial column", 2) end
  local panels = {}
  local series = {}
  for _, m in ipairs(LEVELS) do
    if log.columns[m] then series[#series + 1] = { name = m, x = t, y = log.columns[m] } end
  end
  if #series == 0 then error("plot.modulators: the log has no modulator columns (DA, NA, ACh, 5HT)", 2) end
  panels[1] = { title = o.title or "modulator levels after each trial", xlabel = "trial", ylabel = "level",
                series = series, vlines = o.shift and { { x = o.shift + 0.5, label = "shift" } } or nil }
  for i, p in ipairs(PARAMS) do
    if log.columns[p] then
      panels[#panels + 1] = { title = p, xlabel = "trial", ylabel = p, vlines = panels[1].vlines,
                              series = { { x = t, y = log.columns[p], color = COLORS[(i + 3) % #COLORS + 1] } } }
    end
  end
  return panels
end

---------------------------------------------------------------------------------------------------------
-- The command
---------------------------------------------------------------------------------------------------------
local function int(name, v, min)
  if v == nil then return nil end
  local n = tonumber(v)
  if not n or n ~= math.floor(n) or n < min then usage_error("--" .. name .. " expects an integer >= " .. min .. ", got " .. v) end
  return n
end

function plot.main(argv)
  local args = {}
  for i, a in ipairs(argv) do args[i] = (a == "-o") and "--out" or a end
  local a, pos = cli.parse(plot.SPEC, args, 2)
  if a.help then print(cli.help_text(plot.SPEC)) return 0 end
  local kind = table.remove(pos, 1)
  if kind ~= "curves" and kind ~= "transient" and kind ~= "modulators" then
    usage_error("needs a figure: curves, transient or modulators" .. (kind and (", got " .. kind) or ""))
  end
  if #pos == 0 then usage_error(kind .. " needs results (a sweep's directory, result files or run --csv logs)") end
  if not a.out then usage_error("needs --out FILE.svg (or -o)") end
  local shift = int("shift", a.shift, 0)
  local panels
  local ok, err = pcall(function()
    if kind == "modulators" then
      if #pos ~= 1 then usage_error("modulators takes one run --csv log") end
      panels = plot.modulators(plot.read_csv(pos[1]), { shift = shift, title = a.title })
    elseif kind == "curves" then
      panels = plot.curves(plot.read_results(pos), a.column or "correct",
                           { window = int("window", a.window, 1), shift = shift, title = a.title })
    else
      if not shift then usage_error("transient needs --shift N") end
      panels = plot.transient(plot.read_results(pos), { column = a.column, cue = a.cue, shift = shift,
        before = int("before", a.before, 0), after = int("after", a.after, 0), window = int("window", a.window, 1),
        title = a.title })
    end
  end)
  if not ok then
    if type(err) == "table" then error(err, 0) end
    io.stderr:write("neuromod plot: ", tostring(err), "\n")
    return 1
  end
  local f, ferr = io.open(a.out, "w")
  if not f then io.stderr:write("neuromod plot: --out: ", tostring(ferr), "\n") return 1 end
  f:write(plot.svg(panels, { height = kind == "modulators" and 220 or 320 }))
  f:close()
  print("wrote " .. a.out)
  return 0
end

return plot
