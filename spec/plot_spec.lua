-- neuromod plot (neuromod.plot): the SVG is well-formed XML and rsvg-convert (Debian's librsvg2-bin) renders it.
local shell = require "spec.support.shell"
local plot = require "neuromod.plot"

local CMD, ROOT, q = shell.CMD, shell.ROOT, shell.quote
local sh, tmpdir, read = shell.sh, shell.tmpdir, shell.read
-- A strict check of XML well-formedness for what plot.svg writes: one root, every tag closed in order,
-- attributes quoted, no raw '<' or '&' in text or attributes except entities. Returns true or false, message.
local function well_formed(text)
  local body = text:gsub("^<%?xml[^>]*%?>%s*", "")
  local stack, pos, roots = {}, 1, 0
  while pos <= #body do
    local lt = body:find("<", pos, true)
    local chunk = body:sub(pos, (lt or #body + 1) - 1)
    local bad = chunk:gsub("&%a+;", ""):gsub("&#%d+;", ""):find("[&>]")
    if bad then return false, "raw & or > in text near " .. pos end
    if not lt then break end
    local gt = body:find(">", lt, true)
    if not gt then return false, "unterminated tag at " .. lt end
    local tag = body:sub(lt + 1, gt - 1)
    if tag:sub(1, 1) == "/" then
      local name = tag:sub(2):match("^[%w:_-]+")
      if stack[#stack] ~= name then return false, "</" .. tostring(name) .. "> closes <" .. tostring(stack[#stack]) .. ">" end
      stack[#stack] = nil
    else
      local name, rest = tag:match("^([%w:_-]+)(.-)/?$")
      if not name then return false, "bad tag <" .. tag .. ">" end
      local attrs = rest:gsub('%s+[%w:_-]+="[^"<]*"', "")
      if attrs:match("%S") then return false, "bad attributes in <" .. name .. ">: " .. attrs end
      for v in rest:gmatch('"([^"]*)"') do
        if v:gsub("&%a+;", ""):find("&", 1, true) then return false, "raw & in an attribute of <" .. name .. ">" end
      end
      if #stack == 0 then roots = roots + 1 end
      if tag:sub(-1) ~= "/" then stack[#stack + 1] = name end
    end
    pos = gt + 1
  end
  if #stack > 0 then return false, "<" .. stack[#stack] .. "> is never closed" end
  if roots ~= 1 then return false, roots .. " root elements" end
  return true
end

local function renders(path)
  if not shell.have("rsvg-convert") then return nil end
  local png = path .. ".png"
  local _, err, code = sh("rsvg-convert " .. q(path) .. " -o " .. q(png))
  local f = io.open(png, "rb")
  local size = f and #f:read("*a") or 0
  if f then f:close() end
  os.remove(png)
  return code == 0 and size > 1000, err
end

describe("neuromod.plot", function()
  it("writes well-formed SVG, escaping text, with bands and breaks in the lines", function()
    local svg = plot.svg({
      { title = "a <b> & c", xlabel = "trial", ylabel = "y", vlines = { { x = 2, label = "shift" } },
        series = { { name = "A & B", x = { 1, 2, 3, 4 }, y = { 0.1, 0 / 0, 0.5, 0.7 }, lo = { 0, 0, 0.4, 0.6 },
                     hi = { 0.2, 0.3, 0.6, 0.8 } } } },
      { series = { { x = { 1, 2 }, y = { 5, 5 } } } },
    }, { title = "two panels" })
    assert.is_true(well_formed(svg))
    assert.truthy(svg:find("a &lt;b&gt; &amp; c", 1, true))
    assert.truthy(svg:find("<polygon", 1, true))
    local _, paths = svg:gsub("<path ", "")
    assert.equal(2, paths)
    assert.is_false((well_formed("<svg><g></svg>")))
    assert.is_false((well_formed("<svg>a & b</svg>")))
    assert.is_false((well_formed("<svg/><svg/>")))
  end)

  it("computes moving means over selected trials and clamped CI bands", function()
    local y = plot.moving({ 1, 0, 1, 1, true, false }, 2)
    assert.are.same({ 1, 0.5, 0.5, 1, 1, 0.5 }, { y[1], y[2], y[3], y[4], y[5], y[6] })
    local s = plot.moving({ 1, 2, 3, 4 }, 2, { true, false, false, true })
    assert.equal(1, s[1]); assert.equal(1, s[2]); assert.is_nil(s[3]); assert.equal(4, s[4])
    local m, lo, hi = plot.band({ { 1, 0.9 }, { 1, 0.5 }, { 0.98, 0.7 } }, 0, 1)
    assert.near(0.99333, m[1], 1e-4)
    assert.equal(1, hi[1])
    assert.is_true(lo[2] >= 0 and hi[2] <= 1)
  end)

  it("draws the three figures from a sweep and a run's CSV, and rsvg-convert renders them", function()
    local d = tmpdir()
    local _, err, code = sh("cd " .. q(d) .. " && " .. CMD .. " sweep " .. q(ROOT .. "/experiments/setshift.lua") ..
      " --set seeds=2 --set trials=300 --set shift_trial=150 --quiet --out sw")
    assert.equal(0, code, err)
    _, err, code = sh("cd " .. q(d) .. " && " .. CMD .. " run setshift --trials 300 --modulators DA,NA --log-modulators" ..
      " --csv run.csv --quiet")
    assert.equal(0, code, err)
    local figs = {
      { "curves sw --shift 150", "curves.svg" },
      { "curves run.csv --column reward --window 10", "run_curves.svg" },
      { "transient sw --shift 150 --before 20 --after 60", "transient.svg" },
      { "modulators run.csv --shift 150", "modulators.svg" },
    }
    local rsvg = shell.have("rsvg-convert")
    for _, f in ipairs(figs) do
      local out
      out, err, code = sh("cd " .. q(d) .. " && " .. CMD .. " plot " .. f[1] .. " -o " .. f[2])
      assert.equal(0, code, f[1] .. ": " .. err)
      assert.truthy(out:find("wrote " .. f[2], 1, true))
      local svg = read(d .. "/" .. f[2])
      local ok, msg = well_formed(svg)
      assert.is_true(ok, f[1] .. ": " .. tostring(msg))
      if rsvg then
        local r, rerr = renders(d .. "/" .. f[2])
        assert.is_true(r, f[1] .. ": rsvg-convert: " .. tostring(rerr))
      end
    end
    assert.truthy(read(d .. "/modulators.svg"):find("withhold_bias", 1, true))
    assert.truthy(read(d .. "/curves.svg"):find("DA+NA (2)", 1, true))
    _, err, code = sh("cd " .. q(d) .. " && " .. CMD .. " plot transient sw -o x.svg")
    assert.equal(2, code)
    assert.truthy(err:find("needs --shift", 1, true), err)
    _, err, code = sh("cd " .. q(d) .. " && " .. CMD .. " plot curves sw --column nope -o x.svg")
    assert.equal(1, code)
    assert.truthy(err:find("no per-trial column 'nope'", 1, true), err)
    os.execute("rm -rf " .. q(d))
    if not rsvg then pending("rsvg-convert is not installed (Debian: apt-get install librsvg2-bin)") end
  end)

  it("the set-shift figures in docs/results are well-formed and render", function()
    for _, name in ipairs { "accuracy", "entropy", "modulators" } do
      local path = "docs/results/setshift_" .. name .. ".svg"
      assert.is_true(well_formed(read(path)), path)
      assert.truthy(read("docs/results/setshift.md"):find("setshift_" .. name .. ".svg", 1, true))
      if shell.have("rsvg-convert") then assert.is_true(renders(path), path) end
    end
    if not shell.have("rsvg-convert") then pending("rsvg-convert is not installed") end
  end)
end)
