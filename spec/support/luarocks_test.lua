-- spec/support/luarocks_test.lua: what `luarocks test` runs (rockspec test type "command"). Builds the checkout
-- (make, a no-op when built) and runs busted on spec/ (or on the spec files given after the rockspec:
-- `luarocks test ROCKSPEC spec/agent_spec.lua`) under the interpreter LuaRocks started this script with, with
-- the checkout's paths; exits non-zero when a spec fails.
local interp = arg and arg[-1] or "lua5.4"
local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local root = (debug.getinfo(1, "S").source:match("^@(.*)/spec/support/[^/]*$") or ".")
local env = string.format("LUA_PATH=%s LUA_CPATH=%s NEUROMOD_LIB=%s",
  q(root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. root .. "/?.lua;;"), q(root .. "/build/lua/?.so;;"),
  q(root .. "/build/lib/libneuromod.so"))
local specs = {}
for i = 1, arg and #arg or 0 do specs[i] = q(arg[i]) end
local cmd = string.format("cd %s && make -s all && %s ${BUSTED:-busted} --lua=%s %s", q(root), env, q(interp),
                          #specs > 0 and table.concat(specs, " ") or "spec")
local ok, how, code = os.execute(cmd)
if ok == true or ok == 0 then os.exit(0) end
io.stderr:write("luarocks test: busted failed (" .. tostring(how) .. " " .. tostring(code) .. ")\n")
os.exit(1)
