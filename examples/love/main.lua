-- main.lua of a LÖVE game (headless here): an agent learns to catch a falling ball by moving a paddle.
-- The library sits beside the game: neuromod/ (the Lua files) and libneuromod.so in the game's directory,
-- which the FFI binding finds by itself (LÖVE runs LuaJIT). love.update is the game loop; love.draw draws
-- nothing here. Run it with LÖVE (love examples/love after copying the library in), or headless with
-- examples/love/headless.lua, which calls the same callbacks.
local nm = require "neuromod"

local W = 5 -- columns
local game = {}

function love.load()
  game.rng = nm.rng(5)
  game.agent = nm.agent{ obs = 2 * W, actions = 3, hidden = { 24 }, seed = 5 }
  game.obs = {}
  game.caught, game.missed, game.recent = 0, 0, {}
  game.new_ball = function()
    game.ball_x, game.ball_y, game.paddle = game.rng:random(W), 4, math.floor((W + 1) / 2)
  end
  game.new_ball()
end

local function observe()
  for i = 1, W do
    game.obs[i] = (i == game.ball_x) and 1 or 0
    game.obs[W + i] = (i == game.paddle) and 1 or 0
  end
  return game.obs
end

function love.update(dt)
  local agent = game.agent
  local a = agent:act(observe())                   -- 0 left, 1 stay, 2 right
  game.paddle = math.max(1, math.min(W, game.paddle + a - 1))
  game.ball_y = game.ball_y - 1
  if game.ball_y > 0 then
    agent:learn(0, observe(), false)
    return
  end
  local hit = game.paddle == game.ball_x
  agent:learn(hit and 1 or -1, nil, true)
  if hit then game.caught = game.caught + 1 else game.missed = game.missed + 1 end
  game.recent[#game.recent + 1] = hit
  game.new_ball()
end

function love.draw() end

function love.quit()
  local n, hits = 0, 0
  for i = math.max(1, #game.recent - 199), #game.recent do n = n + 1; if game.recent[i] then hits = hits + 1 end end
  print(string.format("love game (%s backend): %d balls, caught %d of the last %d", nm.backend,
    game.caught + game.missed, hits, n))
  game.agent:close()
  return hits / n
end
