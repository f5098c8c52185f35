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

return shell
