-- neuromod.ffi_values: Lua values into float buffers, for the LuaJIT FFI binding (lua/neuromod/ffi.lua): tables,
-- nm.vectors and FFI float arrays or pointers as the n numbers act, learn, evaluate and the population step take,
-- and a population's terminals; each reader returns nil for a value it cannot take (neuromod.checks says why).
-- require("neuromod.ffi_values")(ffi, VecT, kind, vdata) -> the readers; vdata[v] is nm.vector v's float pointer.
return function(ffi, VecT, kind, vdata)
  local istype, sizeof, type, rawget, format = ffi.istype, ffi.sizeof, type, rawget, string.format
  local IntArrT, IntPtrT = ffi.typeof("int32_t[?]"), ffi.typeof("int32_t *")
  local ptr_box = ffi.new("const float *[1]")
  local V = {}

  function V.int_array(x) return istype(IntArrT, x) or istype(IntPtrT, x) end

  -- an FFI array's length in floats (-1: a pointer, whose length is not known), or nil and its type
  function V.array_len(x)
    local s = tostring(ffi.typeof(x))
    ptr_box[0] = nil
    if not pcall(function() ptr_box[0] = x end) or s:find("&", 1, true) and not s:find("%[") then return nil, s end
    local n = s:match("%[(%d+)%]")
    if n then return tonumber(n) end
    return s:find("[?]", 1, true) and sizeof(x) / 4 or -1
  end

  -- A cache of the last FFI array type read by one caller: its length (-1 a pointer, -2 a VLA, whose length is the
  -- last one seen: ffi.sizeof of a VLA is not compiled). Alternating types works but re-inspects each call.
  local function length_cache()
    local ct, len, last, last_len = nil, nil, nil, 0
    return function(x)
      if ct == nil or not istype(ct, x) then
        if kind(x) or not V.array_len(x) then return nil end
        ct = ffi.typeof(x)
        local s = tostring(ct)
        len = tonumber(s:match("%[(%d+)%]")) or (s:find("[?]", 1, true) and -2 or -1)
      end
      if len ~= -2 then return len end
      if not rawequal(x, last) then last, last_len = x, sizeof(x) / 4 end
      return last_len
    end
  end
  local obs_len, pop_len = length_cache(), length_cache()

  local BUF_K, VEC_K, RAW_K = 1, 2, 3
  V.BUF_K, V.VEC_K, V.RAW_K = BUF_K, VEC_K, RAW_K

  -- copy(buf, obs) -> 0, or the index of the first element that is not a number. For up to UNROLL inputs
  -- the copy is generated without a loop: an inner loop in the step would split LuaJIT's trace of the
  -- caller's loop into several linked traces, which costs more than the copy itself.
  local UNROLL = 32
  local copiers = {}
  function V.copier(n)
    local f = copiers[n]
    if f then return f end
    if n > UNROLL then
      f = function(buf, obs)
        for i = 1, n do
          local x = rawget(obs, i)
          if type(x) ~= "number" then return i end
          buf[i - 1] = x
        end
        return 0
      end
    else
      local src = { "local rawget, type = ...\nreturn function(buf, obs)\n  local x\n" }
      for i = 1, n do
        src[#src + 1] = format("  x = rawget(obs, %d) if type(x) ~= 'number' then return %d end buf[%d] = x\n", i, i, i - 1)
      end
      src[#src + 1] = "  return 0\nend\n"
      f = assert((loadstring or load)(table.concat(src), "=neuromod.ffi copy" .. n))(rawget, type)
    end
    copiers[n] = f
    return f
  end

  -- How act and learn pass n floats read from x: BUF_K (a table, copied into buf), VEC_K (an nm.vector) or RAW_K
  -- (an FFI float array or pointer, passed as it is); nil if x is not n numbers.
  function V.read_obs(x, n, buf)
    if type(x) == "table" then return #x == n and copiers[n](buf, x) == 0 and BUF_K or nil end
    if type(x) ~= "cdata" then return nil end
    if istype(VecT, x) then return x._n == n and VEC_K or nil end
    local len = obs_len(x)
    return (len == n or len == -1) and RAW_K or nil
  end

  -- the float pointer C gets for an observation that common.lua has checked (copied into buf unless an array)
  function V.obs_pointer(x, n, buf)
    V.copier(n)
    local k = V.read_obs(x, n, buf)
    if k == VEC_K then ffi.copy(buf, vdata[x], 4 * n) elseif k == RAW_K then return x end
    return buf
  end

  -- n floats of x (a table, an nm.vector or a float array) copied into buf, which is returned (one cdata type out
  -- keeps the step's trace free of boxed references); nil if x is not n numbers
  function V.read_floats(x, n, buf)
    if type(x) == "table" then
      if #x ~= n then return nil end
      for i = 1, n do
        local v = rawget(x, i)
        if type(v) ~= "number" then return nil end
        buf[i - 1] = v
      end
      return buf
    end
    if type(x) ~= "cdata" then return nil end
    if istype(VecT, x) then
      if x._n ~= n then return nil end
      ffi.copy(buf, vdata[x], 4 * n)   -- copied, not passed: one cdata type out of here
      return buf
    end
    local len = pop_len(x)
    if len ~= n and len ~= -1 then return nil end
    ffi.copy(buf, x, 4 * n)
    return buf
  end

  -- terminals as int32s (term, or an int32_t array given) and how many are terminal; nil, -1 if they are not
  function V.read_terminals(x, n, term)
    if type(x) == "table" then
      if #x ~= n then return nil, -1 end
      for k = 1, n do
        local v = rawget(x, k)
        if v == true or v == 1 then term[k - 1] = 1 elseif v == false or v == 0 then term[k - 1] = 0 else return nil, -1 end
      end
    elseif istype(VecT, x) and x._n == n then
      local v = vdata[x]
      for k = 0, n - 1 do term[k] = v[k] ~= 0 and 1 or 0 end
    elseif V.int_array(x) then term = x
    else return nil, -1 end
    local all = 0
    for k = 0, n - 1 do if term[k] ~= 0 then all = all + 1 end end
    return term, all
  end

  return V
end
