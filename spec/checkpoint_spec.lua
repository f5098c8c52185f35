-- Checkpoints from Lua: exact continuation, refusal of damaged files, atomic save.
local nm = require "neuromod"
local shell = require "spec.support.shell"

local dir = os.getenv("TMPDIR") or "/tmp"
local function tmp(name) return shell.tmppath("-" .. name .. ".nmck") end

local function read(path) local f = assert(io.open(path, "rb")) local s = f:read("a") f:close() return s end
local function write(path, s) local f = assert(io.open(path, "wb")) f:write(s) f:close() end

local function steps(a, rng, n, out)
  for _ = 1, n do
    local x = { rng:random(), rng:random(), rng:random() }
    local act = a:act(x)
    out[#out + 1] = act
    a:learn(act == 1 and x[1] or -x[2], { rng:random(), rng:random(), rng:random() }, rng:random() < 0.1)
  end
end

describe("checkpoints", function()
  it("save -> load -> continue gives exactly the actions of an agent never saved", function()
    local path = tmp("cont")
    local opts = { obs = 3, actions = 2, hidden = { 12, 6 }, seed = 4 }
    local a, b = nm.agent(opts), nm.agent(opts)
    local ra, rb = nm.rng(3), nm.rng(3)
    local acts_a, acts_b = {}, {}
    steps(a, ra, 500, acts_a)
    steps(b, rb, 500, acts_b)
    assert.is_true(b:save(path))
    b:close()
    local c = assert(nm.load(path))
    assert.equal(a:state_hash(), c:state_hash())
    steps(a, ra, 1000, acts_a)
    steps(c, rb, 1000, acts_b)
    assert.same(acts_a, acts_b)
    assert.equal(a:state_hash(), c:state_hash())
    assert.same(a:config(), c:config())
    os.remove(path)
  end)

  it("continues exactly when saved between act and learn", function()
    local path = tmp("mid")
    local a = nm.agent{ obs = 3, actions = 3, seed = 9 }
    local acts = {}
    local r = nm.rng(1)
    steps(a, r, 100, acts)
    a:act{ 0.1, 0.2, 0.3 }
    assert.is_true(a:save(path))
    local c = assert(nm.load(path))
    a:learn(1, { 0, 0, 0 }, false)
    c:learn(1, { 0, 0, 0 }, false)
    assert.equal(a:state_hash(), c:state_hash())
    os.remove(path)
  end)

  it("refuses empty, truncated, bit-flipped and foreign files with a message", function()
    local path = tmp("bad")
    local a = nm.agent{ obs = 3, actions = 2, seed = 1 }
    assert.is_true(a:save(path))
    local good = read(path)
    local cases = {
      { "", "empty file" },
      { good:sub(1, #good - 100), "truncated" },
      { good:sub(1, 10), "truncated" },
      { "-- a Lua script, not a checkpoint\nreturn 1\n", "bad magic number" },
      { good .. "x", "trailing bytes" },
    }
    local flipped = good:sub(1, 200) .. string.char((good:byte(201) + 1) % 256) .. good:sub(202)
    cases[#cases + 1] = { flipped, "checksum mismatch" }
    for _, c in ipairs(cases) do
      write(path, c[1])
      local agent, msg = nm.load(path)
      assert.is_nil(agent)
      assert.truthy(msg:find(c[2], 1, true), "expected '" .. c[2] .. "', got " .. tostring(msg))
      assert.truthy(msg:find(path, 1, true), "message names the file: " .. msg)
    end
    local missing, msg = nm.load(path .. ".missing")
    assert.is_nil(missing)
    assert.truthy(msg:find("cannot open", 1, true))
    os.remove(path)
  end)

  it("leaves an earlier file intact when a save fails", function()
    local path = tmp("keep")
    local a = nm.agent{ obs = 3, actions = 2, seed = 1 }
    assert.is_true(a:save(path))
    local before = read(path)
    local ok, msg = a:save(dir .. "/no-such-directory-neuromod/x.nmck")
    assert.is_nil(ok)
    assert.truthy(msg:find("no-such-directory-neuromod", 1, true))
    assert.equal(before, read(path))
    os.remove(path)
  end)

  it("raises for a bad path argument", function()
    local a = nm.agent{ obs = 3, actions = 2 }
    local ok, e = pcall(a.save, a, 42)
    assert.is_false(ok)
    assert.truthy(tostring(e):find("agent:save: path: expected a string, got number", 1, true))
    ok, e = pcall(nm.load, nil)
    assert.is_false(ok)
    assert.truthy(tostring(e):find("nm.load: path: expected a string, got nil", 1, true))
  end)

  -- The Go/No-Go task of c/test/fixtures/format3.nmck (see test_format3 in c/test/test_core.c): four one-hot cues
  -- and a noisy fifth input from nm.rng(32); cues 1 and 2 are Go (action 1 earns +1), 3 and 4 No-Go (action 1
  -- costs -1); the rule reverses at step 600; terminal every fourth step.
  local function cue(rng)
    local c, x = math.floor(4 * rng:random()), {}
    for i = 1, 4 do x[i] = (i - 1 == c) and 1 or 0 end
    x[5] = rng:random() - 0.5
    return x
  end
  local function reward(x, act, t)
    local go = x[1] > 0.5 or x[2] > 0.5
    if t >= 600 then go = not go end
    return act == 1 and (go and 1 or -1) or 0
  end

  it("loads a format-3 file saved between act and learn and continues as its writer did", function()
    local a = assert(nm.load("c/test/fixtures/format3.nmck"))
    assert.equal("a720dca28ddb785c", a:state_hash())   -- the writer's, printed at its save
    local rng = nm.rng(32)
    for _ = 1, 2 * 700 do rng:random() end              -- the cues of steps 0..699
    local x = cue(rng)
    a:learn(reward(x, 0, 700), x, false)                -- the pending act of step 700 chose 0
    for t = 701, 999 do
      x = cue(rng)
      local act = a:act(x)
      a:learn(reward(x, act, t), x, t % 4 == 3)
    end
    assert.equal("81421b983a1d7e22", a:state_hash())   -- the writer's after the same steps
  end)

  it("writes format 4: tagged sections of persistent state, the length field the file's size", function()
    local path = tmp("v4")
    local a = nm.agent{ obs = 3, actions = 2, hidden = { 4 }, seed = 2 }
    assert.is_true(a:save(path))
    local s = read(path)
    local function u32(i) return s:byte(i) + 256 * (s:byte(i + 1) + 256 * (s:byte(i + 2) + 256 * s:byte(i + 3))) end
    assert.equal(4, u32(9))
    assert.equal(#s, u32(13))
    local tags, p = {}, 21
    while p < #s - 4 do
      tags[#tags + 1] = s:sub(p, p + 3)
      p = p + 12 + u32(p + 4)                           -- section lengths here are far below 2^32
    end
    assert.equal(#s - 3, p)
    -- the default agent's continual state too: its anchors (ANCH), contexts and gates (CONT), the detector's
    -- evidence (CEVD) and each context's outcome table (CTAB)
    assert.same({ "CONF", "PARM", "TRAC", "ANCH", "NEUR", "MODS", "RNG ", "STEP", "PEND", "CONT", "CEVD", "CTAB" }, tags)
    local plain = nm.agent{ obs = 3, actions = 2, hidden = { 4 }, seed = 2, continual = false }
    local ppath = tmp("v4plain")
    assert.is_true(plain:save(ppath))
    local ps, ptags, q = read(ppath), {}, 21
    local function pu32(i) return ps:byte(i) + 256 * (ps:byte(i + 1) + 256 * (ps:byte(i + 2) + 256 * ps:byte(i + 3))) end
    while q < #ps - 4 do ptags[#ptags + 1] = ps:sub(q, q + 3); q = q + 12 + pu32(q + 4) end
    assert.same({ "CONF", "PARM", "TRAC", "NEUR", "MODS", "RNG ", "STEP", "PEND" }, ptags)
    os.remove(ppath)
    -- a damaged length field is named
    write(path, s:sub(1, 12) .. string.char(255) .. s:sub(14))
    local agent, msg = nm.load(path)
    assert.is_nil(agent)
    assert.truthy(msg:find("length field", 1, true), msg)
    os.remove(path)
  end)
end)

describe("checkpoint files at the edges", function()
  local dir
  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
  end)
  after_each(function() os.execute("rm -rf " .. dir) end)

  local function mode_of(path)
    local p = io.popen("stat -c %a " .. path)
    local m = p:read("l")
    p:close()
    return m
  end

  it("keeps the mode of the file it replaces, and gives a new one the umask's", function()
    local a = nm.agent{ obs = 3, actions = 2, hidden = { 4 } }
    local path = dir .. "/a.nmck"
    assert.is_true(a:save(path))
    local p = io.popen("sh -c umask")
    local umask = tonumber(p:read("l"), 8)
    p:close()
    local mode = 0
    for b = 0, 8 do -- 0666 less the umask, bit by bit (LuaJIT has no & operator)
      local bit = 2 ^ b
      if math.floor(438 / bit) % 2 == 1 and math.floor(umask / bit) % 2 == 0 then mode = mode + bit end
    end
    assert.equal(string.format("%o", mode), mode_of(path))
    os.execute("chmod 640 " .. path)
    assert.is_true(a:save(path))
    assert.equal("640", mode_of(path))
  end)

  it("removes a temporary file that a killed save left beside the same path", function()
    local a = nm.agent{ obs = 3, actions = 2, hidden = { 4 } }
    local path = dir .. "/b.nmck"
    local stale = io.open(path .. ".tmp-Ab12Cd", "wb")
    stale:write("half a checkpoint")
    stale:close()
    local other = io.open(dir .. "/other.nmck.tmp-Ab12Cd", "wb")
    other:close()
    assert.is_true(a:save(path))
    assert.is_nil(io.open(path .. ".tmp-Ab12Cd", "rb"))
    assert.is_truthy(io.open(dir .. "/other.nmck.tmp-Ab12Cd", "rb"), "another path's temporary file is left alone")
    assert.is_truthy(nm.load(path))
  end)

  it("refuses a FIFO or a directory at once, with a plain message", function()
    assert(os.execute("mkfifo " .. dir .. "/fifo"))
    local agent, msg = nm.load(dir .. "/fifo")
    assert.is_nil(agent)
    assert.equal(dir .. "/fifo: not a regular file (a FIFO)", msg)
    agent, msg = nm.load(dir)
    assert.is_nil(agent)
    assert.equal(dir .. ": not a regular file (a directory)", msg)
  end)

  it("refuses a path with a NUL byte", function()
    local a = nm.agent{ obs = 3, actions = 2, hidden = { 4 } }
    local ok, e = pcall(a.save, a, dir .. "/x\0y")
    assert.is_false(ok)
    assert.truthy(tostring(e):find("agent:save: path: contains a NUL byte", 1, true), e)
    ok, e = pcall(nm.load, dir .. "/x\0y")
    assert.is_false(ok)
    assert.truthy(tostring(e):find("nm.load: path: contains a NUL byte", 1, true), e)
  end)
end)
