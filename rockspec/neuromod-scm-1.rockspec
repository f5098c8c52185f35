-- neuromod: neuromodulated continual-learning agents (C core, Lua API).
-- From a checkout:  luarocks --lua-version 5.4 make rockspec/neuromod-scm-1.rockspec   (the C-API module)
--                   luarocks --lua-version 5.4 test rockspec/neuromod-scm-1.rockspec   (the busted specs)
-- LuaJIT (LuaRocks sees it as Lua 5.1) gets the FFI backend and the shared library; see docs/cli.md.
-- `make rock` writes a release rockspec from this one, with the version of c/neuromod.h (defined only there)
-- and the packed sources, and packs it into a .src.rock that installs offline.
-- The Makefile takes OpenBLAS's flags from pkg-config (Debian: libopenblas-dev).
rockspec_format = "3.0"
package = "neuromod"
version = "scm-1"
source = { url = "git+file:///dev/null" }
description = {
  summary = "Learning agents steered by dopamine, noradrenaline, acetylcholine and serotonin",
  detailed = [[
An online actor-critic in C99 (OpenBLAS) whose learning rate, exploration, discount, gain, attention and
stability are set step by step by four neuromodulator signals, with a Lua API (Lua 5.4 C module and a LuaJIT
FFI binding) and tasks written as Lua scripts (Go/No-Go, set-shifting, ...). Supported interpreters: Lua 5.4
and LuaJIT.]],
  license = "MIT",
  homepage = "https://example.invalid/neuromod",
}
-- Lua 5.4 or LuaJIT (5.1 to LuaRocks); a rockspec cannot exclude PUC 5.1-5.3, where require says so.
dependencies = { "lua >= 5.1" }
-- The Makefile compiles and links with -pthread (populations step their members on a thread pool); PTHREAD
-- passes it explicitly, so a LuaRocks CFLAGS cannot drop it.
build = {
  type = "make",
  build_target = "rock-build",
  install_target = "rock-install",
  build_variables = {
    CFLAGS = "$(CFLAGS)",
    PTHREAD = "-pthread",
    LUA_INCDIR = "$(LUA_INCDIR)",
    LUA = "$(LUA)",
  },
  install_variables = {
    LUADIR = "$(LUADIR)",
    LIBDIR = "$(LIBDIR)",
    BINDIR = "$(BINDIR)",
  },
}
-- Runs busted on spec/ under the rock's interpreter (a command test: LuaRocks' busted type would fetch busted).
test = { type = "command", script = "spec/support/luarocks_test.lua" }
