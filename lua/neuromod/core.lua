-- neuromod.core: the neuromod API on the Lua 5.4 C-API module (neuromod.corelib).
return require("neuromod.common")(require("neuromod.corelib"), "core")
