-- neuromod: picks a backend. Under LuaJIT the FFI binding (neuromod.ffi), under Lua 5.4 the C-API module
-- (neuromod.core); any other Lua (PUC 5.1-5.3 have no FFI, and the C module is built for 5.4) is refused
-- with a message naming the supported interpreters. NEUROMOD_BACKEND=core|ffi forces one; require
-- "neuromod.core" or "neuromod.ffi" does too.
local forced = os.getenv("NEUROMOD_BACKEND")
if forced and forced ~= "" then
  if forced ~= "core" and forced ~= "ffi" then
    error("NEUROMOD_BACKEND must be 'core' or 'ffi', got '" .. forced .. "'")
  end
  return require("neuromod." .. forced)
end
if jit then return require("neuromod.ffi") end
if _VERSION ~= "Lua 5.4" then
  error("neuromod supports Lua 5.4 (the C-API module) and LuaJIT (the FFI backend); this is " ..
        tostring(_VERSION) .. ", which has neither", 2)
end
return require("neuromod.core")
