-- neuromod.ffi_load: finds and loads libneuromod for the LuaJIT FFI binding (lua/neuromod/ffi.lua), which has
-- declared what it calls. require("neuromod.ffi_load")(ffi) -> the library's namespace, its version.
--
-- Where the library comes from, in this order:
--   1. $NEUROMOD_LIB, a path to libneuromod.so, when set and not empty. If it cannot be loaded that is an
--      error: an explicit choice is never silently replaced by another library.
--   2. the checkout this file lives in: <dir of this file>/../../build/lib/libneuromod.so (after `make`);
--      installed as <prefix>/share/lua/<v>/neuromod/ffi.lua: <prefix>/lib/libneuromod.so, then
--      <prefix>/lib/lua/5.1/neuromod/libneuromod.so (a LuaRocks tree);
--   3. beside the calling script: the directory of each script on the call stack outside this directory, of
--      arg[0], and under LÖVE the game's directory (love.filesystem.getSource), so a game directory or a
--      script directory with libneuromod.so in it works without environment variables;
--   4. an installed prefix, from package.cpath: for each template such as /usr/local/lib/lua/5.1/?.so,
--      <dir>/neuromod/libneuromod.so (where the rock puts it, beside the C-API module), then
--      <prefix>/lib/libneuromod.so (where `make install` puts it);
--   5. "neuromod" through the system loader (LD_LIBRARY_PATH, ldconfig's cache, the default paths).
-- The library must have the config-by-name API (nm_config_*).
--

return function(ffi)
  local function exists(path)
    local f = io.open(path, "rb")
    if f then f:close() return true end
    return false
  end

  -- The directories of the scripts on the call stack outside neuromod's own files (the script that required
  -- neuromod, a game's main.lua), and LÖVE's game directory: a library placed beside them is found.
  local function caller_dirs(own_dir)
    local dirs, seen = {}, {}
    local function add(d)
      if d and d ~= "" and not seen[d] then seen[d] = true; dirs[#dirs + 1] = d end
    end
    for level = 2, 40 do
      local info = debug.getinfo(level, "S")
      if not info then break end
      local src = info.source
      if src:sub(1, 1) == "@" then
        local d = src:sub(2):match("^(.*)[/\\]") or "."
        if d ~= own_dir then add(d) end
      end
    end
    if arg and type(arg[0]) == "string" then add(arg[0]:match("^(.*)[/\\]") or ".") end
    if love and love.filesystem then
      for _, f in ipairs { "getSource", "getSourceBaseDirectory" } do
        local ok, d = pcall(love.filesystem[f])
        if ok and type(d) == "string" then add(d) end
      end
    end
    return dirs
  end

  local function load_library()
    local tried = {}
    local env = os.getenv("NEUROMOD_LIB")
    if env and env ~= "" then
      local ok, lib = pcall(ffi.load, env)
      if ok then return lib, env end
      error("neuromod.ffi: cannot load NEUROMOD_LIB=" .. env .. ": " .. tostring(lib), 4)
    end
    local candidates = {}
    local src = debug.getinfo(1, "S").source
    local own_dir
    if src:sub(1, 1) == "@" then
      own_dir = src:sub(2):match("^(.*)[/\\]") or "."
      candidates[#candidates + 1] = own_dir .. "/../../build/lib/libneuromod.so"
      -- installed as <prefix>/share/lua/<version>/neuromod/ffi.lua (make install, a LuaRocks tree)
      local prefix = own_dir:match("^(.*)/share/lua/[^/]+/neuromod$")
      if prefix then
        candidates[#candidates + 1] = prefix .. "/lib/libneuromod.so"
        candidates[#candidates + 1] = prefix .. "/lib/lua/5.1/neuromod/libneuromod.so"
      end
    end
    for _, d in ipairs(caller_dirs(own_dir)) do candidates[#candidates + 1] = d .. "/libneuromod.so" end
    for template in package.cpath:gmatch("[^;]+") do
      if template:find("?", 1, true) then
        candidates[#candidates + 1] = (template:gsub("%?", "neuromod/libneuromod"))
        local prefix = template:match("^(.*)/lib/lua/[^/]+/%?%.so$")
        if prefix then candidates[#candidates + 1] = prefix .. "/lib/libneuromod.so" end
      end
    end
    for _, path in ipairs(candidates) do
      if exists(path) then
        local ok, lib = pcall(ffi.load, path)
        if ok then return lib, path end
        tried[#tried + 1] = path .. " (" .. tostring(lib) .. ")"
      else
        tried[#tried + 1] = path .. " (no such file)"
      end
    end
    local ok, lib = pcall(ffi.load, "neuromod")
    if ok then return lib, "neuromod" end
    tried[#tried + 1] = "neuromod via the system loader (" .. tostring(lib) .. ")"
    error("neuromod.ffi: cannot find libneuromod (build it with `make`, or set NEUROMOD_LIB to its path); tried:\n  "
          .. table.concat(tried, "\n  "), 4)
  end

  local C, libpath = load_library()
  local version = ffi.string(C.nm_version())
  -- The binding reads the config by field name, so it works with any library that has the by-name API; an
  -- older one lacks it (the version number lives in c/neuromod.h alone).
  if not pcall(function() return C.nm_config_field_count end) then
    error("neuromod.ffi: " .. libpath .. " is libneuromod " .. version .. ", which lacks the config-by-name API " ..
          "this binding needs; rebuild it with `make`", 3)
  end
  return C, version
end
