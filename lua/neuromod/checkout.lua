-- neuromod.checkout: makes a script run from a checkout find that checkout's Lua files and its built C module
-- without `eval "$(make -s env)"`. A script loads this file by path (it cannot be required before the paths
-- are set) and hands it the checkout's root:
--
--   local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
--   dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)
--
-- use(root) puts root/lua/?.lua, root/lua/?/init.lua first on package.path and root/build/lua/?.so first on
-- package.cpath, and returns root. The FFI backend finds root/build/lib/libneuromod.so by itself.
local checkout = {}

function checkout.use(root)
  if type(root) ~= "string" or root == "" then
    error("neuromod.checkout.use: root: expected a directory, got " .. tostring(root), 2)
  end
  package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
  package.cpath = root .. "/build/lua/?.so;" .. package.cpath
  return root
end

return checkout
