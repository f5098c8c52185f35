-- The repository stands on its own: no tracked file names the team's design brief, speaks of work sessions or
-- issue numbers (history belongs in commit messages and docs/decisions.md), or points to a path outside the
-- checkout; README.md stays a front page; every relative link in README.md and docs/ resolves.
-- The patterns are built from pieces so that this file does not match them itself.

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local function lines_of(cmd)
  local p = io.popen(cmd)
  local out = {}
  if not p then return out end
  for line in p:lines() do out[#out + 1] = line end
  p:close()
  return out
end

-- Tracked files (git ls-files), or, outside a git checkout, every file but the build trees.
local function tracked_files()
  local files = lines_of("git ls-files 2>/dev/null")
  if #files == 0 then
    files = lines_of("find . -type f -not -path './.git*' -not -path './build*' -not -path './results/*' " ..
                     "| sed 's|^\\./||'")
  end
  return files
end

local function depth(path)
  local d = 0
  for _ in path:gmatch("/") do d = d + 1 end
  return d
end

local FORBIDDEN = {
  { pattern = "desi" .. "gn%.md", what = "names the design brief" },
  { pattern = "sess" .. "ion%s+#?%d", what = "speaks of a work session" },
  { pattern = "iss" .. "ues?%s+#%d", what = "speaks of an issue number" },
  { pattern = "iss" .. "ue%s+%d", what = "speaks of an issue number" },
  { pattern = "/wo" .. "rk/", what = "names an absolute path outside the repository" },
  { pattern = "/ho" .. "me/", what = "names an absolute path outside the repository" },
}

-- Problems of one file's text: forbidden words, and relative paths with more "../" than the file is deep.
local function problems_in(path, text)
  local found = {}
  local n = 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    local lower = line:lower()
    for _, f in ipairs(FORBIDDEN) do
      if lower:find(f.pattern) then found[#found + 1] = path .. ":" .. n .. ": " .. f.what .. ": " .. line end
    end
    for run in line:gmatch("[%./]+") do
      local _, ups = run:gsub("%.%./", "")
      if ups > depth(path) then
        found[#found + 1] = path .. ":" .. n .. ": points outside the repository (" .. run .. "): " .. line
      end
    end
  end
  return found
end

-- GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens.
local function slug(heading)
  local s = heading:lower():gsub("[^%w%s_%-]", ""):gsub("%s", "-")
  return s
end

local function anchors(text)
  local set, count = {}, {}
  text = ("\n" .. text):gsub("\n```.-\n```", "\n")
  for line in text:gmatch("[^\n]+") do
    local h = line:match("^#+%s+(.-)%s*$")
    if h then
      local s = slug(h)
      if count[s] then set[s .. "-" .. count[s]] = true; count[s] = count[s] + 1
      else set[s] = true; count[s] = 1 end
    end
  end
  return set
end

-- Joins a relative link to the directory of the file it is in; nil if it leaves the repository.
local function resolve(from, link)
  local parts = {}
  for p in (from:match("^(.*)/") or ""):gmatch("[^/]+") do parts[#parts + 1] = p end
  for p in link:gmatch("[^/]+") do
    if p == ".." then
      if #parts == 0 then return nil end
      parts[#parts] = nil
    elseif p ~= "." then
      parts[#parts + 1] = p
    end
  end
  return table.concat(parts, "/")
end

local function broken_links(path, text)
  local bad = {}
  text = ("\n" .. text):gsub("\n```.-\n```", "\n")
  for target in text:gmatch("%]%(([^)%s]+)%)") do
    if not target:match("^%a[%w+.-]*:") then -- not http:, https:, mailto:
      local file, frag = target:match("^([^#]*)#?(.*)$")
      local resolved = file == "" and path or resolve(path, file)
      local body = resolved and read(resolved)
      if not body then
        bad[#bad + 1] = path .. ": link to a missing file: " .. target
      elseif frag ~= "" and resolved:match("%.md$") and not anchors(body)[frag] then
        bad[#bad + 1] = path .. ": link to a missing heading: " .. target
      end
    end
  end
  return bad
end

describe("repository hygiene", function()
  local files = tracked_files()

  it("finds the tracked files", function()
    assert.is_true(#files > 20, "found only " .. #files .. " files")
  end)

  it("no tracked file names the design brief, a session, an issue number or a path outside the repository", function()
    local found = {}
    for _, path in ipairs(files) do
      local text = read(path)
      if text and not text:find("\0", 1, true) then -- binary fixtures are skipped
        for _, p in ipairs(problems_in(path, text)) do found[#found + 1] = p end
      end
    end
    assert.are.same({}, found)
  end)

  it("catches each forbidden pattern (the check itself works)", function()
    local sample = table.concat({
      "see " .. "DESI" .. "GN.md", "done in " .. "Sess" .. "ion 4", "the claims of " .. "iss" .. "ue 3",
      "fixed in " .. "iss" .. "ue #12", "cat " .. ".." .. "/shared/x", "at /wo" .. "rk/shared",
    }, "\n")
    assert.equal(6, #problems_in("README.md", sample))
    assert.equal(0, #problems_in("lua/neuromod/ffi.lua", "dir .. \"/" .. ".." .. "/" .. ".." .. "/build/lib\""))
  end)

  it("README.md has at most 300 lines", function()
    local text = assert(read("README.md"))
    local n = select(2, text:gsub("\n", "\n"))
    assert.is_true(n <= 300, "README.md has " .. n .. " lines")
  end)

  it("every relative link in README.md and docs/ points to a file (and heading) that exists", function()
    local bad, checked = {}, 0
    for _, path in ipairs(files) do
      if path == "README.md" or path:match("^docs/.*%.md$") then
        checked = checked + 1
        for _, b in ipairs(broken_links(path, assert(read(path)))) do bad[#bad + 1] = b end
      end
    end
    assert.is_true(checked >= 2)
    assert.are.same({}, bad)
  end)

  it("resolves links and headings as GitHub does", function()
    assert.equal("docs/decisions.md", resolve("docs/results/setshift.md", "../decisions.md"))
    assert.is_nil(resolve("README.md", "../x.md"))
    assert.equal("nas-change-point-input-option-na_input--changepoint",
                 slug("NA's change-point input (option `na_input = \"changepoint\"`)"))
  end)
end)
