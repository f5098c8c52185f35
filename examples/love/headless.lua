-- headless.lua: LÖVE's game loop without LÖVE, for CI: plain LuaJIT, run from the game's directory. Like LÖVE
-- it puts the game's directory first on package.path and sets no library path; then love.load, love.update(dt)
-- for a fixed number of frames, love.draw, and love.quit.
--   cd <game dir> && luajit headless.lua [frames]
package.path = "./?.lua;./?/init.lua;" .. package.path
love = {}
dofile("main.lua")
local frames = tonumber(arg and arg[1]) or 20000
love.load()
for _ = 1, frames do
  love.update(1 / 60)
  love.draw()
end
local caught = love.quit()
assert(caught >= 0.8, "the agent did not learn to catch (caught " .. caught .. ")")
