-- spec/support/shell.lua: what the specs that run subprocesses share.
local shell = {}

-- Quotes s for /bin/sh.
function shell.quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- True if an interpreter (or any command) is on PATH.
function shell.have(cmd)
  local p = io.popen("command -v " .. cmd .. " 2>/dev/null")
  local out = p and p:read("*a") or ""
  if p then p:close() end
  return out ~= ""
end

-- The checkout's root (the specs run from it), and the neuromod command under the interpreter running them.
local function cwd() local p = io.popen("pwd"); local d = p:read("*l"); p:close(); return d end
shell.ROOT = cwd()
shell.LUA = jit and "luajit" or "lua5.4"
shell.CMD = shell.LUA .. " " .. shell.quote(shell.ROOT .. "/bin/neuromod")

-- Runs a shell command; returns its stdout, its stderr and its exit code.
function shell.sh(cmd)
  local out, err = os.tmpname(), os.tmpname()
  local ok, _, code = os.execute(cmd .. " >" .. out .. " 2>" .. err)
  if type(ok) == "number" then code = ok / 256 elseif ok == true then code = 0 end
  local function slurp(path) local f = io.open(path); local text = f:read("*a"); f:close(); os.remove(path); return text end
  return slurp(out), slurp(err), code
end

-- A new temporary directory.
function shell.tmpdir() local p = io.popen("mktemp -d"); local d = p:read("*l"); p:close(); return d end

-- A file path no other process uses (make test runs two busted processes at once): os.tmpname's unique name,
-- removed, with suffix added.
function shell.tmppath(suffix)
  local base = os.tmpname()
  os.remove(base)
  return base .. suffix
end

-- A whole file's text; a file written with text.
function shell.read(path) local f = assert(io.open(path)); local text = f:read("*a"); f:close(); return text end
function shell.write(path, text) local f = assert(io.open(path, "w")); f:write(text); f:close() end

return shell
