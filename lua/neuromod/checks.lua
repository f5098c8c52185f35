-- neuromod.checks: the words of every argument error of the agents', populations', rngs' and vectors'
-- methods, written once for both backends. A binding's primitive that the user calls directly (act, learn,
-- pop:act, rng:random, v[i], ...) does its job on the arguments it can take and otherwise calls
-- backend.raise(what, message, <its arguments>); the functions here work out from those arguments what was
-- wrong, in the order the primitive reads them, and raise it at the primitive's caller. message is the core's
-- refusal (for a population step, the population's: the members' are asked for), or nil for a bad argument.
--
-- require("neuromod.checks")(backend) -> K: K.typename, K.tname, K.obs, K.self, K.argerror, K.n_obs, K.explain; and
-- backend.raise is set.
local format, floor, select, type, rawget = string.format, math.floor, select, type, rawget
local rawlen = rawlen or function(t) return #t end   -- LuaJIT's # ignores __len on tables

return function(backend)
  local kind = backend.kind
  local K = {}

  -- luaL_typename: our objects are userdata under both backends
  function K.typename(v) return kind(v) and "userdata" or type(v) end
  local typename = K.typename

  -- luaL_typeerror's name for a value: the __name of its metatable when it has one
  function K.tname(v)
    local k = kind(v)
    if k and k ~= "config" then return "neuromod." .. k end
    local mt = type(v) ~= "cdata" and getmetatable(v)
    if type(mt) == "table" and type(rawget(mt, "__name")) == "string" then return rawget(mt, "__name") end
    return type(v)
  end

  -- luaL_argerror's words (arguments counted after self)
  function K.argerror(method, n, msg) return format("bad argument #%d to '%s' (%s)", n, method, msg) end

  local function got(v, none) return none and "no value" or typename(v) end

  -- What is wrong with x as n numbers (a table, an nm.vector, under LuaJIT an FFI float array or pointer), or
  -- nil. where: "agent:act"; what: "obs"; none: the argument was not given.
  function K.obs(x, n, where, what, none)
    local len
    if type(x) == "table" then
      len = rawlen(x)
      if len == n then
        for i = 1, n do
          local v = rawget(x, i)
          if type(v) ~= "number" then return format("%s: %s[%d] is not a number (got %s)", where, what, i, typename(v)) end
        end
        return nil
      end
    elseif kind(x) == "vector" then
      len = #x
    elseif type(x) == "cdata" and not kind(x) then
      local desc
      len, desc = backend.array_len(x)
      if not len then
        return format("%s: %s: expected a table of numbers, an nm.vector or a float array, got %s", where, what, desc)
      end
      if len < 0 then return nil end   -- a pointer: its length cannot be checked
    else
      return format("%s: %s: expected a table of numbers or an nm.vector, got %s", where, what, got(x, none))
    end
    if len ~= n then return format("%s: %s has %d values, expected %d", where, what, len, n) end
  end

  -- What is wrong with self as an open agent ("agent") or population ("population"), or nil
  function K.self(self, want, method)
    local who = want == "agent" and "agent" or "pop"
    if kind(self) ~= want then
      return format("%s:%s: self is not a%s %s (use %s:%s, not %s.%s)", who, method, want == "agent" and "n" or "",
                    want, who, method, who, method)
    end
    if self:is_closed() then return format("%s:%s: the %s is closed", who, method, want) end
  end

  -- the inputs of an agent, or of a population's member k0
  local function n_obs(x, k) return backend.config_get(x:_config(k), "n_obs", 0) end
  K.n_obs = n_obs
  local function boolean_or_nil(v) return v == nil or v == true or v == false end

  -- A 64-bit integer argument of rng:random: integral, within +-2^53 (both backends take the same values)
  local function int_arg(v, i)
    if type(v) ~= "number" or v ~= floor(v) then return format("rng:random: argument #%d must be an integer", i) end
    if not (v >= -2^53 and v <= 2^53) then
      return format("rng:random: argument #%d must be an integer in [-2^53, 2^53], got %.14g", i, v)
    end
  end
  local function int32(x) x = x % 2^32 return x >= 2^31 and x - 2^32 or x end

  local function optnumber(v, n)
    if v == nil or type(v) == "number" or (type(v) == "string" and tonumber(v)) then return nil end
    return K.argerror("normal", n, "number expected, got " .. K.tname(v))
  end

  -- The first failed member of the last population step, 1-based
  local function step_error(pop, method)
    local k, msg, failed = pop:_step_error()
    if not k then return format("pop:%s: %s", method, msg) end
    return format("pop:%s: member %d: %s (%d member%s failed; the others stepped)", method, k + 1, msg, failed,
                  failed == 1 and "" or "s")
  end

  local explain = {}
  function explain.act(msg, self, ...)
    if msg then return "agent:act: " .. msg end
    return K.self(self, "agent", "act") or K.obs((...), n_obs(self), "agent:act", "obs", select("#", ...) == 0)
           or "agent:act: failed"
  end

  function explain.learn(msg, self, ...)
    local reward, next_obs, terminal, truncated = ...
    if msg then return "agent:learn: " .. msg end
    local m = K.self(self, "agent", "learn")
    if m then return m end
    if type(reward) ~= "number" then return "agent:learn: reward is not a number (got " .. got(reward, select("#", ...) == 0) .. ")" end
    if not boolean_or_nil(terminal) then return "agent:learn: terminal: expected a boolean or nil, got " .. typename(terminal) end
    if not boolean_or_nil(truncated) then return "agent:learn: truncated: expected a boolean or nil, got " .. typename(truncated) end
    if next_obs == nil and not (terminal and not truncated) then
      return "agent:learn: next_obs is missing (only a terminal step may omit it)"
    end
    return next_obs ~= nil and K.obs(next_obs, n_obs(self), "agent:learn", "next_obs") or "agent:learn: failed"
  end

  for _, m in ipairs { "reset", "frozen", "levels", "meta", "state_hash", "kernel_set", "params" } do
    explain[m] = function(_, self) return K.self(self, "agent", m) end
  end
  for who, names in pairs { agent = { "close", "is_closed" }, population = { "pop_close", "pop_is_closed" } } do
    for _, m in ipairs(names) do
      explain[m] = function(_, ...)
        return K.argerror(m:gsub("^pop_", ""), 1, "neuromod." .. who .. " expected, got " ..
                          (select("#", ...) == 0 and "no value" or K.tname((...))))
      end
    end
  end
  for _, m in ipairs { "size", "threads" } do
    explain["pop_" .. m] = function(_, self) return K.self(self, "population", m) end
  end

  -- a step's actions argument: nil, a table, an nm.vector of n or an int32_t array
  local function pop_actions(actions, n, who)
    if actions ~= nil and type(actions) ~= "table" then
      if kind(actions) == "vector" then
        if #actions ~= n then return format("%s: actions has %d values, expected %d", who, #actions, n) end
      elseif not (backend.int_array and backend.int_array(actions)) then
        return who .. ": actions: expected a table, an nm.vector or an int32_t array, got " .. typename(actions)
      end
    end
  end

  -- learn's arguments (rewards, next_obs, terminals) of pop:learn and pop:step; none: no argument was given
  local function pop_learn_args(self, who, none, rewards, next_obs, terminals)
    local n = self:size()
    local m = K.obs(rewards, n, who, "rewards", none)
    if m then return m end
    local all = 0
    if terminals ~= nil then
      local len
      if type(terminals) == "table" then
        len = rawlen(terminals)
        if len == n then
          for k = 1, n do
            local v = rawget(terminals, k)
            if v == true or v == 1 then all = all + 1
            elseif v ~= false and v ~= 0 then
              return format("%s: terminals[%d]: expected a boolean or 0/1, got %s", who, k,
                            type(v) == "number" and tostring(v) or typename(v))
            end
          end
        end
      elseif kind(terminals) == "vector" then
        len = #terminals
        for k = 1, len == n and n or 0 do if terminals[k] ~= 0 then all = all + 1 end end
      elseif backend.int_array and backend.int_array(terminals) then
        len = n
        for k = 0, n - 1 do if terminals[k] ~= 0 then all = all + 1 end end
      else
        return who .. ": terminals: expected a table of booleans, an nm.vector or nil, got " .. typename(terminals)
      end
      if len ~= n then return format("%s: terminals has %d values, expected %d", who, len, n) end
    end
    if next_obs == nil then
      if all ~= n then return who .. ": next_obs is missing (only a step where every member is terminal may omit it)" end
    else
      return K.obs(next_obs, n * n_obs(self, 0), who, "next_obs")
    end
  end

  function explain.pop_act(msg, self, ...)
    local obs, actions = ...
    if msg then return step_error(self, "act") end
    local m = K.self(self, "population", "act")
    if m then return m end
    local n = self:size()
    m = K.obs(obs, n * n_obs(self, 0), "pop:act", "obs", select("#", ...) == 0)
             or pop_actions(actions, n, "pop:act")
    return m or step_error(self, "act")
  end

  function explain.pop_learn(msg, self, ...)
    if msg then return step_error(self, "learn") end
    local m = K.self(self, "population", "learn")
    return m or pop_learn_args(self, "pop:learn", select("#", ...) == 0, ...) or step_error(self, "learn")
  end

  function explain.pop_step(msg, self, ...)
    local rewards, next_obs, terminals, obs, actions = ...
    if msg then return step_error(self, "step") end
    local m = K.self(self, "population", "step")
    if m then return m end
    local n = self:size()
    m = pop_learn_args(self, "pop:step", select("#", ...) == 0, rewards, next_obs, terminals)
        or (obs == nil and next_obs == nil and "pop:step: obs is missing (with no next_obs, give the observations to act on)")
        or (obs ~= nil and K.obs(obs, n * n_obs(self, 0), "pop:step", "obs"))
        or pop_actions(actions, n, "pop:step")
    return m or step_error(self, "step")
  end

  function explain.random(_, self, ...)
    if kind(self) ~= "rng" then return K.argerror("random", 1, "neuromod.rng expected, got " .. K.tname(self)) end
    local n = select("#", ...)
    local a, b = ...
    if n > 2 then return format("rng:random: expected 0, 1 or 2 arguments, got %d", n) end
    local lo, hi = 1, a
    if n == 2 then lo, hi = a, b end
    local m = (n == 2 and int_arg(lo, 1)) or int_arg(hi, n)
    if m then return m end
    return format("rng:random: interval [%d, %d] is empty", int32(lo), int32(hi))
  end

  function explain.normal(_, self, mu, sigma)
    if kind(self) ~= "rng" then return K.argerror("normal", 1, "neuromod.rng expected, got " .. K.tname(self)) end
    return optnumber(mu, 1) or optnumber(sigma, 2) or "rng:normal: sigma must be >= 0"
  end

  -- v[i] and v[i] = x: an integer index (a Lua 5.4 integer), within range, and a number
  local is_int = math.type and function(i) return math.type(i) == "integer" end
                 or function(i) return type(i) == "number" and i == floor(i) end
  function explain.vector_index(_, v, i, ...)
    if not is_int(i) then return "nm.vector: index must be an integer" end
    if i < 1 or i > #v then return format("nm.vector: index %d out of range 1..%d", int32(i), #v) end
    if select("#", ...) > 0 then return "nm.vector: value must be a number" end
  end

  function K.explain(what, msg, ...)
    local f = explain[what]
    return f and f(msg, ...) or K.self((...), "agent", what) or (what .. ": failed")
  end

  -- called by the bindings' primitives: raises at the primitive's caller (raise, the primitive, its caller), or
  -- for _modvalues at the caller of the method that called it (agent:modulators, agent:_modstate)
  function backend.raise(what, msg, ...)
    error(K.explain(what, msg, ...), what == "modulators" and 4 or 3)
  end

  return K
end
