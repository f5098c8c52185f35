-- creatures.lua: a LÖVE-style simulation of 256 creatures foraging on a grid, each creature a member of one
-- nm.population (its own weights, traces, modulators and RNG), all stepped by one pop:step per frame (each
-- creature learns from its last move and chooses the next, in one call). Food grows in patches that jump to new places every PATCH_FRAMES frames, so the creatures must keep
-- finding it. love.load / love.update / love.draw are the game's callbacks; run headless (no LÖVE) the script
-- calls them itself for FRAMES frames and prints a summary:
--   luajit examples/creatures.lua [frames] [threads]
-- Each creature sees 8 numbers: food on the 4 neighbouring cells, and the food smelled along 4 directions (a
-- strip 3 cells wide and SMELL cells long, scaled to [0, 1]); it moves up, down, left or right (a torus); it
-- eats what it steps on (+1) and pays 0.01 a move.
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
package.path = ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;" .. package.path
local nm = require "neuromod"

local N, W, H = 256, 96, 96          -- creatures, grid
local PATCHES, RADIUS, GROWTH = 6, 5, 48 -- food patches, their radius, food items grown per frame
local PATCH_FRAMES, SMELL = 1500, 8
local FRAMES = tonumber(arg and arg[1]) or 6000
local THREADS = tonumber(arg and arg[2]) or 1
local DX, DY = { 0, 0, -1, 1 }, { -1, 1, 0, 0 } -- actions 0..3: up, down, left, right

local world = {}
local headless = love == nil
love = love or {}

local function cell(x, y) return ((y - 1) % H) * W + ((x - 1) % W) + 1 end

local function place_patches()
  local rng = world.rng
  for p = 1, PATCHES do world.px[p], world.py[p] = rng:random(W), rng:random(H) end
  for i = 1, W * H do world.food[i] = 0 end
end

local function grow()
  local rng, food = world.rng, world.food
  for _ = 1, GROWTH do
    local p = rng:random(PATCHES)
    local x, y = world.px[p] + rng:random(-RADIUS, RADIUS), world.py[p] + rng:random(-RADIUS, RADIUS)
    food[cell(x, y)] = 1
  end
end

-- the 8 inputs of creature k, written at obs[(k-1)*8 + 1 .. k*8]
local function sense(k, obs)
  local x, y, food = world.x[k], world.y[k], world.food
  local base = (k - 1) * 8
  for d = 1, 4 do
    local dx, dy = DX[d], DY[d]
    obs[base + d] = food[cell(x + dx, y + dy)]
    local s = 0
    for i = 1, SMELL do
      local cx, cy = x + dx * i, y + dy * i
      s = s + food[cell(cx + dy, cy + dx)] + food[cell(cx, cy)] + food[cell(cx - dy, cy - dx)]
    end
    obs[base + 4 + d] = s / (3 * SMELL) * 4 > 1 and 1 or s / (3 * SMELL) * 4
  end
end

function love.load()
  world.rng = nm.rng(2024)
  -- continual = false: food patches that drift are one changing task, not tasks that come back, and the library's
  -- default (continual) agent reads each move as a new task; without it the creatures forage more (150.6 against
  -- 137.6 per 1000 frames at the end) and the population takes the interleaved step (2.3 times the frames per second)
  world.pop = nm.population{ n = N, seed = 1, threads = THREADS, obs = 8, actions = 4, hidden = { 16 },
                             continual = false }
  world.x, world.y, world.px, world.py, world.food = {}, {}, {}, {}, {}
  for k = 1, N do world.x[k], world.y[k] = world.rng:random(W), world.rng:random(H) end
  place_patches()
  for _ = 1, 200 do grow() end
  world.obs, world.next, world.rewards, world.actions = {}, {}, {}, nil
  for k = 1, N do sense(k, world.obs) end
  world.actions = world.pop:act(world.obs)   -- the first moves; then each frame's pop:step chooses the next
  world.frame, world.eaten = 0, {}   -- eaten[f]: food eaten by all creatures in frame f
end

function love.update(dt)
  local pop, obs, nxt, rewards = world.pop, world.obs, world.next, world.rewards
  world.frame = world.frame + 1
  if world.frame % PATCH_FRAMES == 0 then place_patches() end
  grow()
  local eaten, food = 0, world.food
  for k = 1, N do
    local a = world.actions[k] + 1
    local x, y = (world.x[k] + DX[a] - 1) % W + 1, (world.y[k] + DY[a] - 1) % H + 1
    world.x[k], world.y[k] = x, y
    local c = cell(x, y)
    rewards[k] = food[c] - 0.01
    eaten = eaten + food[c]
    food[c] = 0
  end
  for k = 1, N do sense(k, nxt) end
  world.actions = pop:step(rewards, nxt, nil, nil, world.actions)   -- pop:learn, then pop:act on nxt
  world.obs, world.next = nxt, obs
  world.eaten[world.frame] = eaten
end

function love.draw() end -- nothing to draw headless; a game would draw world.food and the creatures here

local function mean_eaten(a, b)
  local s = 0
  for f = a, b do s = s + world.eaten[f] end
  return s / N
end

-- The summary: food eaten per creature per 1000 frames, and around each patch change.
function love.quit()
  print(string.format("creatures: %d members of one nm.population (%s backend, %d thread%s), %dx%d grid, %d food " ..
    "patches that move every %d frames, %d frames", N, nm.backend, world.pop:threads(), world.pop:threads() == 1 and "" or "s",
    W, H, PATCHES, PATCH_FRAMES, FRAMES))
  print("  frames          food eaten per creature")
  for a = 1, FRAMES, 1000 do
    local b = math.min(FRAMES, a + 999)
    print(string.format("  %5d-%-5d     %6.1f%s", a, b, mean_eaten(a, b) * 1000 / (b - a + 1),
      b - a + 1 < 1000 and " (per 1000)" or ""))
  end
  local before, after, later, n = 0, 0, 0, 0
  for c = PATCH_FRAMES, FRAMES - 300, PATCH_FRAMES do
    before, after, later, n = before + mean_eaten(c - 100, c - 1), after + mean_eaten(c, c + 99),
                              later + mean_eaten(c + 200, c + 299), n + 1
  end
  if n > 0 then
    print(string.format("  patch changes (%d): food per creature per 100 frames: %.2f before, %.2f in the first " ..
      "100 after, %.2f at 200-300 after", n, before / n, after / n, later / n))
  end
  local first, last = mean_eaten(1, 1000), mean_eaten(FRAMES - 999, FRAMES)
  return first, last
end

if headless then
  local clock = os.clock
  love.load()
  local t0 = clock()
  for _ = 1, FRAMES do
    love.update(1 / 60)
    love.draw()
  end
  local dt = clock() - t0
  local first, last = love.quit()
  print(string.format("  %.0f frames per second of CPU time (%.2f M agent-steps per second, the Lua world included)",
    FRAMES / dt, FRAMES * N / dt / 1e6))
  assert(last > first, "the creatures did not learn to forage (food per creature: first 1000 frames " .. first ..
    ", last 1000 " .. last .. ")")
end
