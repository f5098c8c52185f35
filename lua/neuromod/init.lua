-- neuromod: picks a backend. Under LuaJIT the FFI binding (neuromod.ffi), elsewhere the C-API module
-- (neuromod.core). NEUROMOD_BACKEND=core|ffi forces one; require "neuromod.core" or "neuromod.ffi" does too.
local forced = os.getenv("NEUROMOD_BACKEND")
if forced and forced ~= "" then
  if forced ~= "core" and forced ~= "ffi" then
    error("NEUROMOD_BACKEND must be 'core' or 'ffi', got '" .. forced .. "'")
  end
  return require("neuromod." .. forced)
end
if jit then return require("neuromod.ffi") end
return require("neuromod.core")
