-- Cross-backend determinism of the adaptive-behaviour and working-memory tasks, the curricula, the wrappers and
-- the baseline learner: spec/support/tasks_trace.lua under lua5.4 (C-API backend) and luajit (FFI backend) prints the same
-- actions, rewards, observations and agent state hashes, step for step.
local SPEC = debug.getinfo(1, "S").source:match("^@(.*)$") or "spec/tasks_cross_backend_spec.lua"
local ROOT = SPEC:match("^(.*)/spec/[^/]*$") or "."
local shell = dofile(ROOT .. "/spec/support/shell.lua")
local q, have = shell.quote, shell.have
local STEPS = 400

local function trace(interp)
  local env = {
    "LUA_PATH=" .. q(ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;" .. ROOT .. "/?.lua;;"),
    "LUA_CPATH=" .. q((os.getenv("LUA_CPATH") or "") ~= "" and os.getenv("LUA_CPATH") or ROOT .. "/build/lua/?.so;;"),
    "NEUROMOD_LIB=" .. q(os.getenv("NEUROMOD_LIB") or ""), "NEUROMOD_BACKEND=",
  }
  local cmd = table.concat({ "cd", q(ROOT), "&& env", table.concat(env, " "), interp, "spec/support/tasks_trace.lua",
                             tostring(STEPS), "2>&1; echo \"<exit $?>\"" }, " ")
  local p = assert(io.popen(cmd))
  local s = p:read("*a")
  p:close()
  local status = tonumber(s:match("<exit (%d+)>\n?$"))
  s = s:gsub("<exit %d+>\n?$", "")
  assert(status == 0, interp .. " tasks_trace.lua failed:\n" .. s)
  local lines = {}
  for line in s:gmatch("[^\n]+") do lines[#lines + 1] = line end
  return lines
end

describe("cross-backend determinism of the tasks", function()
  it("gives the same steps, observations, hashes and baseline choices on both backends", function()
    if not (have("lua5.4") and have("luajit")) then pending("lua5.4 and luajit are needed") return end
    local a, b = trace("lua5.4"), trace("luajit")
    assert.equal("backend core", a[1]) assert.equal("backend ffi", b[1])
    assert.equal(#a, #b, "different numbers of lines")
    local envs = 0
    for i = 2, #a do
      if a[i]:match("^env ") then envs = envs + 1 end
      if a[i] ~= b[i] then error(string.format("first difference at line %d:\n  %s\n  %s", i, a[i], b[i])) end
    end
    assert.equal(13, envs)
    assert.is_true(#a > 13 * STEPS)
  end)
end)
