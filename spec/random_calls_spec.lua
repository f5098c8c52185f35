-- Random calls through the Lua API (spec/support/random_calls.lua), run by lua5.4 on the C-API backend and by
-- luajit on the FFI backend: on each, every population member stays its lone agent (actions, evaluate, state
-- hashes) whatever the order of act, learn, step, errors, reset, freeze, contexts, replace and save/load; and the
-- two backends print the same lines, error messages included. Subprocesses, so this spec does the same work
-- whichever interpreter busted runs under.
local SPEC = debug.getinfo(1, "S").source:match("^@(.*)$") or "spec/random_calls_spec.lua"
local ROOT = SPEC:match("^(.*)/spec/[^/]*$") or "."
local shell = dofile(ROOT .. "/spec/support/shell.lua")
local sh_quote, have = shell.quote, shell.have
local SEEDS, CASES, STEPS = { 1, 2, 3, 4 }, 8, 250

local function run(interp, seed, dir)
  local env = {
    "LUA_PATH=" .. sh_quote(ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;" .. ROOT .. "/?.lua;;"),
    "LUA_CPATH=" .. sh_quote((os.getenv("LUA_CPATH") or "") ~= "" and os.getenv("LUA_CPATH") or ROOT .. "/build/lua/?.so;;"),
    "NEUROMOD_LIB=" .. sh_quote(os.getenv("NEUROMOD_LIB") or ""),
    "NEUROMOD_BACKEND=",
  }
  local cmd = table.concat({ "cd", sh_quote(ROOT), "&& env", table.concat(env, " "), interp,
                             "spec/support/random_calls.lua", seed, CASES, STEPS, sh_quote(dir),
                             "2>&1; echo \"<exit $?>\"" }, " ")
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  local status = tonumber(out:match("<exit (%d+)>\n?$"))
  out = out:gsub("<exit %d+>\n?$", "")
  assert(status == 0, interp .. " random_calls.lua " .. seed .. " failed:\n" .. out:sub(-2000))
  local lines = {}
  for line in out:gmatch("[^\n]+") do lines[#lines + 1] = line end
  return lines
end

describe("random calls through the Lua API", function()
  local runs, missing = {}, nil
  local dir
  setup(function()
    -- a directory of this run's own: the file names inside are fixed, and make test runs both busted runs at once
    dir = assert(shell.tmpdir())
    for _, interp in ipairs { "lua5.4", "luajit" } do
      if not have(interp) then missing = interp return end
      runs[interp] = {}
      for _, seed in ipairs(SEEDS) do runs[interp][seed] = run(interp, seed, dir) end
    end
  end)
  teardown(function() if dir then os.execute("rm -rf " .. sh_quote(dir)) end end)

  it("keep every population member equal to its lone agent, on each backend", function()
    if missing then pending(missing .. " is not installed") return end
    for _, interp in ipairs { "lua5.4", "luajit" } do
      for _, seed in ipairs(SEEDS) do
        local lines = runs[interp][seed]
        for _, line in ipairs(lines) do assert.is_nil(line:match("^DIFF .*"), interp .. " seed " .. seed .. ": " .. line) end
        assert.equal(string.format("random calls: %d cases, 0 differences", CASES), lines[#lines])
      end
    end
  end)

  it("reach the calls they are for (errors, contexts, freeze, replace, save and load)", function()
    if missing then pending(missing .. " is not installed") return end
    local seen = {}
    for _, seed in ipairs(SEEDS) do
      for _, line in ipairs(runs["lua5.4"][seed]) do
        local word = line:match("^(%a+)")
        if line:match(" error ") then seen.error = true end
        if word then seen[word] = true end
      end
    end
    for _, word in ipairs { "error", "step", "learn", "reset", "freeze", "context", "replace", "evaluate", "save" } do
      assert.is_true(seen[word] == true, "no '" .. word .. "' line in " .. #SEEDS .. " seeds")
    end
  end)

  it("print the same lines on both backends", function()
    if missing then pending(missing .. " is not installed") return end
    for _, seed in ipairs(SEEDS) do
      local a, b = runs["lua5.4"][seed], runs.luajit[seed]
      assert.equal(#a, #b, "seed " .. seed .. ": different numbers of lines")
      for i = 1, #a do
        if a[i] ~= b[i] then
          error(string.format("seed %d: first difference at line %d:\n  %s\n  %s", seed, i, a[i], b[i]))
        end
      end
    end
  end)
end)
