-- neuromod: neuromodulated continual-learning agents (C core, Lua API).
-- Build offline from a checkout:  luarocks --lua-version 5.4 make rockspec/neuromod-scm-1.rockspec
-- The Makefile takes OpenBLAS's flags from pkg-config (Debian: libopenblas-dev), so no *_INCDIR variables
-- are needed.
rockspec_format = "3.0"
package = "neuromod"
version = "scm-1"
source = { url = "git+file:///dev/null" }
description = {
  summary = "Learning agents steered by dopamine, noradrenaline, acetylcholine and serotonin",
  detailed = [[
An online actor-critic in C99 (OpenBLAS) whose learning rate, exploration, discount, gain, attention and
stability are set step by step by four neuromodulator signals, with a Lua API (Lua 5.4 C module and a LuaJIT
FFI binding) and tasks written as Lua scripts (Go/No-Go, set-shifting, ...).]],
  license = "MIT",
  homepage = "https://example.invalid/neuromod",
}
dependencies = { "lua >= 5.1" }
build = {
  type = "make",
  build_target = "all",
  install_target = "rock-install",
  build_variables = {
    CFLAGS = "$(CFLAGS)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    LUA_VERSION = "5.4",
  },
  install_variables = {
    LUADIR = "$(LUADIR)",
    LIBDIR = "$(LIBDIR)",
    BINDIR = "$(BINDIR)",
  },
}
