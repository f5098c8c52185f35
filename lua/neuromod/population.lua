-- neuromod.population: nm.population and nm.population_load, and the population methods written in Lua, for
-- both backends. The per-step methods (act, learn) are the binding's (c/lua/lneuromod.c, lua/neuromod/ffi.lua),
-- which call backend.raise when they cannot do their job (neuromod.checks words the error); this file turns
-- options into one config per member and checks member numbers, paths and replacements.
--
-- A backend provides population_new({cfg, ...}, threads) -> pop | nil, message (members 0-based in the
-- message), population_load(path, threads), population_methods (the table behind populations' __index), and on
-- populations: act, learn, step, close, is_closed, size, threads (called by the user), _step_error() -> the first
-- failed member k0, its message, how many failed | nil, the population's message, _reset(k0), _copy(k0) ->
-- agent | nil, message, _replace(k0, agent) -> true | nil, message (member k0 becomes a copy), _config(k0),
-- _evaluate(k0, obs) -> probs, value | nil, message, _modvalues(k0), _state_hash(k0), _save(path) -> true | nil,
-- message, _set_context(k0, id) and _freeze(k0, on) -> true | nil, message, _context(k0) -> id, _frozen(k0).
--
-- Called by neuromod.common with the module it builds and its tools.
return function(nm, backend, tools)
  local O, K = tools.O, tools.K
  local typename, kind = K.typename, backend.kind
  local methods = backend.population_methods
  local POP_KEYS = { n = true, seed = true, seeds = true, threads = true, members = true }

  local function is_integer(x) return type(x) == "number" and x == math.floor(x) and x > -2^53 and x < 2^53 end

  -- "member 4: ..." in the core's 0-based words becomes 1-based, as Lua counts members
  local function one_based(msg)
    return (tostring(msg):gsub("member (%d+)", function(k) return "member " .. (tonumber(k) + 1) end)
                         :gsub("out of range 0%.%.(%d+)", function(k) return "out of range 1.." .. (tonumber(k) + 1) end))
  end

  -- One member's config from options, or an error {message} naming where they came from.
  local function config_of(opts, where)
    local ok, cfg, encoder = pcall(O.normalize, opts)
    if not ok then
      local msg = type(cfg) == "table" and cfg[1] or tostring(cfg)
      error({ "nm.population: " .. where .. msg:gsub("^nm%.agent: ", "") }, 0)
    end
    if encoder then
      error({ "nm.population: " .. where .. "obs: a population takes flat observations (a number of inputs, or a " ..
              "flat Box within [-1, 1]); encode other spaces with neuromod.spaces before pop:act" }, 0)
    end
    return cfg
  end

  local function build(opts)
    local function fail(msg) error({ "nm.population: " .. msg }, 0) end
    if type(opts) ~= "table" then fail("expected a table of options, got " .. typename(opts)) end
    local n, seeds, seed, threads, members = opts.n, opts.seeds, opts.seed, opts.threads, opts.members
    if seeds ~= nil then
      if type(seeds) ~= "table" then fail("seeds: expected a list of seeds, got " .. typename(seeds)) end
      if seed ~= nil then fail("seed and seeds: give one of them") end
      if n == nil then n = #seeds end
      if #seeds ~= n then fail(string.format("seeds: expected %d seeds (n), got %d", n, #seeds)) end
    end
    if not is_integer(n) or n < 1 then
      fail("n: expected the number of members, a positive integer, got " .. (n == nil and "nil" or tostring(n)))
    end
    if threads ~= nil and (not is_integer(threads) or threads < 1 or threads > 1024) then
      fail("threads: expected an integer from 1 to 1024, got " .. tostring(threads))
    end
    if members ~= nil then
      if type(members) ~= "table" then fail("members: expected a table { [k] = { options } }, got " .. typename(members)) end
      for k, m in pairs(members) do
        if not is_integer(k) or k < 1 or k > n then
          fail("members: expected keys 1.." .. n .. ", got " .. tostring(k))
        end
        if type(m) ~= "table" then fail("members[" .. k .. "]: expected a table of options, got " .. typename(m)) end
        for key in pairs(m) do
          if POP_KEYS[key] and key ~= "seed" then fail("members[" .. k .. "]." .. key .. ": not a member option") end
        end
      end
    end
    local base = {}
    for k, v in pairs(opts) do if not POP_KEYS[k] then base[k] = v end end
    if seeds then
      for k = 1, n do
        local s = seeds[k]
        if type(s) ~= "number" or s ~= math.floor(s) or s < 0 or s >= 2^53 then
          fail("seeds[" .. k .. "]: expected a non-negative integer below 2^53, got " .. tostring(s))
        end
      end
    elseif seed ~= nil and (type(seed) ~= "number" or seed ~= math.floor(seed) or seed < 0 or seed + n - 1 >= 2^53) then
      fail("seed: expected a non-negative integer (member k gets seed + k - 1, below 2^53), got " .. tostring(seed))
    end
    local first = seed or 1
    local cfgs, plain = {}, nil
    for k = 1, n do
      local m = members and members[k]
      local o = {}
      for key, v in pairs(base) do o[key] = v end
      if m then for key, v in pairs(m) do o[key] = v end end
      if not (m and m.seed ~= nil) then o.seed = seeds and seeds[k] or first + k - 1 end
      if m then cfgs[k] = config_of(o, "members[" .. k .. "]: ")
      else
        -- members without overrides share the base options: checked once, then only the seed changes
        if not plain then plain = config_of(o, "") end
        local c = backend.config_new(plain)
        local ok, err = backend.config_set(c, "seed", 0, o.seed)
        if not ok then fail("seed: " .. err) end
        cfgs[k] = c
      end
    end
    return cfgs, threads or 1
  end

  -- nm.population{ n = N, seed = s | seeds = { ... }, threads = t, members = { [k] = { ... } }, <agent options> }
  function nm.population(opts)
    local ok, cfgs, threads = pcall(build, opts)
    if not ok then error(type(cfgs) == "table" and cfgs[1] or cfgs, 2) end
    local pop, err = backend.population_new(cfgs, threads)
    if not pop then error("nm.population: " .. one_based(err), 2) end
    return pop
  end

  -- nm.population_load(path [, threads = 1]) -> population | nil, message
  function nm.population_load(path, threads)
    if type(path) ~= "string" then error("nm.population_load: path: expected a string, got " .. typename(path), 2) end
    if path:find("\0", 1, true) then error("nm.population_load: path: contains a NUL byte", 2) end
    if threads ~= nil and (not is_integer(threads) or threads < 1 or threads > 1024) then
      error("nm.population_load: threads: expected an integer from 1 to 1024, got " .. tostring(threads), 2)
    end
    local pop, err = backend.population_load(path, threads or 1)
    if not pop then return nil, one_based(err) end
    return pop
  end

  -- Raises "pop:<method>: <problem>" at the caller of the method that calls check
  local function check(self, method)
    local m = K.self(self, "population", method)
    if m then error(m, 3) end
  end

  -- a member number k (1-based), checked: raises "pop:<method>: k: ..." at the method's caller
  local function member(self, method, k, nargs)
    local m = K.self(self, "population", method)
    if m then error(m, 3) end
    if not is_integer(k) then
      error("pop:" .. method .. ": k: expected a member number, got " .. (nargs == 0 and "no value" or typename(k)), 3)
    end
    local n = self:size()
    if k < 1 or k > n then error(string.format("pop:%s: k: member %d out of range 1..%d", method, k, n), 3) end
    return k - 1
  end

  -- pop:agent(k) -> a copy of member k (a new agent: state_hash, modulators, save, ...; changing it does not
  -- change the member; pop:replace(k, agent) puts one back)
  function methods:agent(...)
    local k = member(self, "agent", (...), select("#", ...))
    local a, err = self:_copy(k)
    if not a then error("pop:agent: " .. one_based(err), 2) end
    return a
  end

  -- pop:reset([k]): clears the traces and pending step of member k, or of every member
  function methods:reset(...)
    check(self, "reset")
    if select("#", ...) == 0 or (...) == nil then
      for k = 0, self:size() - 1 do self:_reset(k) end
      return
    end
    self:_reset(member(self, "reset", (...), 1))
  end

  -- pop:replace(k, agent | options): member k becomes a copy of agent, or a new agent from options over member
  -- k's own (pop:replace(k, { seed = 99 }) restarts it with another seed)
  function methods:replace(...)
    local nargs = select("#", ...)
    local k, what = ...
    k = member(self, "replace", k, nargs)
    if type(what) == "table" and getmetatable(what) == nil then
      local o = O.options_of(self:_config(k))
      for key, v in pairs(what) do o[key] = v end
      local ok, cfg = pcall(config_of, o, "")
      if not ok then error((type(cfg) == "table" and cfg[1] or tostring(cfg)):gsub("^nm%.population: ", "pop:replace: "), 2) end
      what = cfg
    elseif type(what) == "table" and rawget(what, "agent") ~= nil then
      what = rawget(what, "agent")   -- an agent on an encoded space: its core agent
    end
    if kind(what) == "agent" and what:is_closed() then error("pop:replace: the agent is closed", 2) end
    if kind(what) ~= "agent" and kind(what) ~= "config" then
      error("pop:replace: expected an agent or a table of options, got " .. typename(what), 2)
    end
    local fresh, ok, err = nil, nil, nil
    if kind(what) == "config" then   -- a new agent from the options, copied in
      fresh, err = backend.new(what)
      if not fresh then error("pop:replace: " .. one_based(err), 2) end
    end
    ok, err = self:_replace(k, fresh or what)
    if fresh then fresh:close() end
    if not ok then error("pop:replace: " .. one_based(err), 2) end
  end

  -- pop:context(ids): every member announces its context, ids[k] member k's (an integer 0 .. 2^31-1 or a string,
  -- as agent:context takes); pop:context(k, id): member k alone; pop:context(k) -> member k's current context
  function methods:context(...)
    local nargs = select("#", ...)
    local a, id = ...
    if type(a) == "table" and nargs == 1 then
      check(self, "context")
      local n = self:size()
      if #a ~= n then error(string.format("pop:context: ids has %d values, expected %d", #a, n), 2) end
      local codes = {}
      for k = 1, n do   -- every id checked before any member changes
        local c, m = tools.context_of(rawget(a, k), "pop:context", "ids[" .. k .. "]")
        if not c then error(m, 2) end
        codes[k] = c
      end
      for k = 1, n do
        local ok, err = self:_set_context(k - 1, codes[k])
        if not ok then error("pop:" .. one_based(err), 2) end
      end
      return
    end
    local k = member(self, "context", a, nargs)
    if nargs < 2 then return tools.context_name(self:_context(k)) end
    local c, m = tools.context_of(id, "pop:context", "id")
    if not c then error(m, 2) end
    local ok, err = self:_set_context(k, c)
    if not ok then error("pop:" .. one_based(err), 2) end
  end

  -- pop:freeze(k, on): member k frozen (true: no synaptic change, as agent:freeze) or learning again (false);
  -- pop:frozen(k) -> boolean
  function methods:freeze(...)
    local nargs = select("#", ...)
    local k, on = ...
    k = member(self, "freeze", k, nargs)
    if type(on) ~= "boolean" then
      error("pop:freeze: on: expected true or false, got " .. (nargs < 2 and "no value" or typename(on)), 2)
    end
    local ok, err = self:_freeze(k, on)
    if not ok then error("pop:" .. one_based(err), 2) end
  end

  function methods:frozen(...)
    return self:_frozen(member(self, "frozen", (...), select("#", ...)))
  end

  -- pop:evaluate(k, obs) -> probs, V(obs) of member k, without changing it
  function methods:evaluate(...)
    local nargs = select("#", ...)
    local k, obs = ...
    k = member(self, "evaluate", k, nargs)
    local d = K.n_obs(self, 0)
    local m = K.obs(obs, d, "pop:evaluate", "obs", nargs < 2)
    if m then error(m, 2) end
    local probs, value = self:_evaluate(k, obs)
    if not probs then error(string.format("pop:evaluate: member %d: %s", k + 1, value), 2) end
    return probs, value
  end

  -- pop:modulators(k [, t]) -> member k's modulators as agent:modulators gives them (t refilled if given)
  function methods:modulators(...)
    local nargs = select("#", ...)
    local k, out = ...
    k = member(self, "modulators", k, nargs)
    if out ~= nil and type(out) ~= "table" then
      error("pop:modulators: t: expected a table, got " .. typename(out), 2)
    end
    return tools.fill(out or {}, self:_modvalues(k))
  end

  -- pop:state_hash(k) -> member k's state hash (as agent:state_hash)
  function methods:state_hash(...)
    return self:_state_hash(member(self, "state_hash", (...), select("#", ...)))
  end

  -- pop:config(k) -> the options that rebuild member k (nm.agent(pop:config(k)) is its fresh twin)
  function methods:config(...)
    return O.options_of(self:_config(member(self, "config", (...), select("#", ...))))
  end

  -- pop:save(path) -> true | nil, message: every member in one checkpoint file, written atomically
  function methods:save(...)
    local path = ...
    if type(path) ~= "string" then
      error("pop:save: path: expected a string, got " .. (select("#", ...) == 0 and "no value" or typename(path)), 2)
    end
    if path:find("\0", 1, true) then error("pop:save: path: contains a NUL byte", 2) end
    check(self, "save")
    local ok, err = self:_save(path)
    if not ok then return nil, one_based(err) end
    return true
  end

  backend.metatables.population.__tostring = function(self)
    if self:is_closed() then return "neuromod population (closed)" end
    local n, d = self:size(), K.n_obs(self, 0)
    return string.format("neuromod population (%d members, %d inputs, %d threads): %s", n, d, self:threads(),
                         backend.address(self))
  end
end
