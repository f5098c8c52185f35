-- Kernel sets (c/simd.c): the same seeded Go/No-Go training under the widest set this CPU runs and under the
-- plain one (NEUROMOD_KERNELS=generic), on both interpreters, ends in the same state hash; a set the CPU
-- cannot run, or no such set, is refused with a message. The C test test_kernel_sets compares the sets step by
-- step on more shapes; this spec checks the choice as a Lua user makes it, through the environment.
local SPEC = debug.getinfo(1, "S").source:match("^@(.*)$") or "spec/kernel_set_spec.lua"
local ROOT = SPEC:match("^(.*)/spec/[^/]*$") or "."
local shell = dofile(ROOT .. "/spec/support/shell.lua")
local sh_quote, have = shell.quote, shell.have

local SCRIPT = [[
local nm = require "neuromod"
local Env = dofile "envs/gonogo.lua"
local env = Env{ seed = 4 }
local ok, agent = pcall(nm.agent, { obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { 64 },
                                    seed = 4, modulators = { DA = true, NA = true, ACh = true, ["5HT"] = true } })
if not ok then print("error " .. tostring(agent)) return end
local obs = env:start()
for _ = 1, 3000 do
  local r, nextobs, terminal = env:step(agent:act(obs))
  agent:learn(r, nextobs, terminal)
  obs = terminal and env:start() or nextobs
end
print(agent:kernel_set() .. " " .. agent:state_hash())
]]

local function run(interp, kernels)
  local env = {
    "LUA_PATH=" .. sh_quote(ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;" .. ROOT .. "/?.lua;;"),
    "LUA_CPATH=" .. sh_quote((os.getenv("LUA_CPATH") or "") ~= "" and os.getenv("LUA_CPATH") or ROOT .. "/build/lua/?.so;;"),
    "NEUROMOD_LIB=" .. sh_quote(os.getenv("NEUROMOD_LIB") or ""),
    "NEUROMOD_BACKEND=",
    "NEUROMOD_KERNELS=" .. sh_quote(kernels or ""),
  }
  local cmd = table.concat({ "cd", sh_quote(ROOT), "&& env", table.concat(env, " "), interp, "-e",
                             sh_quote(SCRIPT), "2>&1" }, " ")
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  return (out:gsub("%s+$", ""))
end

describe("kernel sets", function()
  for _, interp in ipairs { "lua5.4", "luajit" } do
    it(interp .. ": the widest set and the plain one train to the same state", function()
      if not have(interp) then pending(interp .. " is not installed") return end
      local wide, plain = run(interp), run(interp, "generic")
      local wide_set, wide_hash = wide:match("^(%S+) (%x+)$")
      local plain_set, plain_hash = plain:match("^(%S+) (%x+)$")
      assert.is_truthy(wide_set, "unexpected output: " .. wide)
      assert.is_truthy(plain_set, "unexpected output: " .. plain)
      assert.equal("generic", plain_set)
      assert.equal(plain_hash, wide_hash)
      if wide_set == "avx512" then
        local avx2 = run(interp, "avx2")
        assert.equal("avx2 " .. plain_hash, avx2)
      end
    end)

    it(interp .. ": refuses a set that does not exist", function()
      if not have(interp) then pending(interp .. " is not installed") return end
      local out = run(interp, "sse9")
      assert.is_truthy(out:find("NEUROMOD_KERNELS=sse9: not a kernel set this CPU runs", 1, true), out)
    end)
  end
end)
