-- The cross-backend checkpoint check the continual specs share: a support script run whole under Lua 5.4 and
-- LuaJIT must print the same, and a run saved halfway by either backend and continued by the other must print
-- what the whole run did. The script takes `run N`, `save N path` and `load path N M` (spec/support/continual_run.lua).
local shell = dofile("spec/support/shell.lua")

local M = {}

-- whether both interpreters are installed (the caller marks the test pending otherwise)
function M.available() return shell.have("lua5.4") and shell.have("luajit") end

-- Runs the check for `script` with the environment variables in `vars` (name -> value) set; raises an error naming
-- the backends and the split when two outputs differ.
function M.check(script, vars, trials)
  local env = "LUA_PATH=" .. shell.quote("lua/?.lua;lua/?/init.lua;;") .. " NEUROMOD_BACKEND= "
  for k, v in pairs(vars or {}) do env = env .. k .. "=" .. shell.quote(v) .. " " end
  local function sh(interp, ...)
    local args = {}
    for i, v in ipairs { ... } do args[i] = shell.quote(tostring(v)) end
    local out, err, code = shell.sh(env .. interp .. " " .. script .. " " .. table.concat(args, " "))
    if code ~= 0 then error(interp .. " " .. script .. ": " .. tostring(err), 2) end
    return out
  end
  local half = math.floor(trials / 2)
  local whole = sh("lua5.4", "run", trials)
  local jit_whole = sh("luajit", "run", trials)
  if jit_whole ~= whole then error(("whole run: lua5.4 printed %q, luajit %q"):format(whole, jit_whole), 2) end
  for _, pair in ipairs { { "lua5.4", "luajit" }, { "luajit", "lua5.4" } } do
    local path = os.tmpname()
    sh(pair[1], "save", half, path)
    local cont = sh(pair[2], "load", path, half, trials - half)
    os.remove(path)
    if cont ~= whole then
      error(("saved by %s at trial %d, continued by %s: %q, the whole run %q"):format(pair[1], half, pair[2], cont,
            whole), 2)
    end
  end
end

return M
