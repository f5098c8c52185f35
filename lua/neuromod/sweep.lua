-- neuromod.sweep: `neuromod sweep STUDY`: a study's jobs (neuromod.study) run as independent processes on
-- existing engines (GNU parallel, Slurm job arrays, or N local processes), each writing its own result file,
-- then merged. A STUDY is a Lua script that returns a study when loaded (experiments/setshift.lua does); if the
-- returned table has study(options), `--set key=value` rebuilds the study with those options.
--
-- sweep.load(path [, sets]) -> study: loads the script; sets = { "key=value", ... } (numbers and true/false are
--   converted) go to its study(options).
-- sweep.shard(jobs, i, n) -> the jobs of shard i of n (every n-th job from the i-th: each shard gets a share of
--   every condition).
-- sweep.file(dir, job) -> the path of a job's result file: dir/<id with every character outside [%w_.-]
--   as _XX>.lua.
-- sweep.run_job(study, job, dir) -> "ran" or "done" (the file exists): runs the job and writes
--   { id, measures, records } as a Lua table atomically (a temporary file, then rename).
-- sweep.serialise(value) -> Lua source that loads back to an equal value, numbers to the bit (%.17g; Lua 5.4
--   integers stay integers, floats stay floats).
-- sweep.read(path) -> the table a result file holds (loaded with an empty environment).
-- sweep.collect(study, dir) -> results, missing: the results of the study's jobs found in dir, and the ids of
--   the ones not there.
-- sweep.slurm(o) -> the text of a Slurm job-array script: o = { study, dir, sets, jobs (count), array (tasks),
--   interpreter, command, workdir }; task k runs shard k of `array`.
-- sweep.main(argv, ctx) -> exit code (the command; see docs/cli.md).
local cli = require "neuromod.cli"

local sweep = {}

sweep.SPEC = {
  name = "sweep",
  usage = "neuromod sweep STUDY.lua [--jobs N | --shard i/n | --slurm [--array K] | --merge] [options]",
  about = "Runs a study's jobs (conditions x seeds), each writing its result file in --out atomically; a rerun\n" ..
          "skips finished jobs. --jobs N runs them in N local processes, --shard i/n runs one slice (GNU parallel:\n" ..
          "parallel neuromod sweep STUDY --shard {}/8 ::: 1 2 3 4 5 6 7 8), --slurm writes a job-array script\n" ..
          "(SLURM_ARRAY_TASK_ID picks the shard), --merge gathers the results and prints the study's table.",
  args = {
    { "--out", "DIR", "result directory, default <study name>.sweep" },
    { "--jobs", "N", "run every job in N local processes (default 1: in this process)" },
    { "--shard", "i/n", "run shard i of n (jobs i, i+n, i+2n, ...)" },
    { "--slurm", false, "write <out>/slurm.sh, a job array over the shards, and print how to submit it" },
    { "--array", "K", "with --slurm: array tasks (shards), default one per job" },
    { "--merge", false, "gather the results and print the study's table (error if a job is missing)" },
    { "--list", false, "print the job ids, one a line" },
    { "--set", "KEY=VALUE", "an option of the study script's study(options), e.g. --set seeds=4 (repeatable)", many = true },
    { "--quiet", false, "no line per job" },
  },
}

local function usage_error(msg)
  error({ usage = true, msg = "neuromod sweep: " .. msg .. " (see neuromod sweep --help)" }, 0)
end

local function value_of(v)
  if v == "true" then return true elseif v == "false" then return false end
  return tonumber(v) or v
end

function sweep.load(path, sets)
  local chunk, err = loadfile(path)
  if not chunk then error("cannot load the study " .. path .. ": " .. tostring(err), 0) end
  local ok, mod = pcall(chunk)
  if not ok then error(path .. ": " .. tostring(mod), 0) end
  if type(mod) ~= "table" or type(mod.jobs) ~= "function" or type(mod.run_job) ~= "function" then
    error(path .. " does not return a study (neuromod.study)", 0)
  end
  if sets and #sets > 0 then
    if type(mod.study) ~= "function" then error(path .. ": --set needs the script's study(options)", 0) end
    local o = {}
    for _, kv in ipairs(sets) do
      local k, v = kv:match("^([%w_]+)=(.*)$")
      if not k then usage_error("--set expects KEY=VALUE, got " .. kv) end
      o[k] = value_of(v)
    end
    local s = mod.study(o)
    for k, v in pairs(mod) do if s[k] == nil then s[k] = v end end
    return s, mod
  end
  return mod, mod
end

function sweep.shard(jobs, i, n)
  local out = {}
  for k, j in ipairs(jobs) do if (k - 1) % n == i - 1 then out[#out + 1] = j end end
  return out
end

function sweep.file(dir, job)
  return dir .. "/" .. job.id:gsub("[^%w_.%-]", function(c) return string.format("_%02X", c:byte()) end) .. ".lua"
end

local function number(v)
  if v ~= v then return "0/0" end
  if v == math.huge then return "1/0" end
  if v == -math.huge then return "-1/0" end
  if math.type and math.type(v) == "integer" then return string.format("%d", v) end
  local s = string.format("%.17g", v)
  if math.type and not s:find("[%.eEn]") then s = s .. ".0" end -- stays a float under Lua 5.4
  return s
end

function sweep.serialise(v)
  local t = type(v)
  if t == "number" then return number(v)
  elseif t == "string" then return string.format("%q", v)
  elseif t == "boolean" or t == "nil" then return tostring(v)
  elseif t == "table" then
    local parts, n = {}, #v
    for i = 1, n do parts[#parts + 1] = sweep.serialise(v[i]) end
    local keys = {}
    for k in pairs(v) do
      if not (type(k) == "number" and k >= 1 and k <= n and k == math.floor(k)) then keys[#keys + 1] = k end
    end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do
      local key = type(k) == "string" and k:match("^[%a_][%w_]*$") and k or ("[" .. sweep.serialise(k) .. "]")
      parts[#parts + 1] = key .. " = " .. sweep.serialise(v[k])
    end
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  error("sweep.serialise: cannot write a " .. t, 2)
end

function sweep.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("*a")
  f:close()
  local chunk = (loadstring or load)(text, "=" .. path)
  if not chunk then return nil end
  if setfenv then setfenv(chunk, {}) end
  local ok, res = pcall(chunk)
  if ok and type(res) == "table" then return res end
  return nil
end

-- sweep.is_dir(path) -> whether path is a directory.
function sweep.is_dir(path)
  local ok, _, code = os.execute("[ -d " .. cli.quote(path) .. " ]")
  if type(ok) == "number" then return ok == 0 end
  return ok == true and (code == nil or code == 0)
end

-- sweep.results(path, field) -> { { path, cond, seed, result }, ... }: the result file at path, or every result
-- file (*.lua) in the directory path, in file-name order; each must hold a table `field` ("measures" or
-- "records"). cond and seed come from the job id "<study>/<condition>/<seed>" (cond nil when it is not one).
-- Errors name the path.
function sweep.results(path, field)
  local files = {}
  if sweep.is_dir(path) then
    local p = io.popen("ls " .. cli.quote(path) .. " 2>/dev/null")
    for line in p:lines() do if line:match("%.lua$") then files[#files + 1] = path .. "/" .. line end end
    p:close()
    table.sort(files)
    if #files == 0 then error(path .. ": no sweep result files (*.lua) in the directory", 0) end
  else
    files[1] = path
  end
  local out = {}
  for i, f in ipairs(files) do
    local r = sweep.read(f)
    if not r or type(r.id) ~= "string" or type(r[field]) ~= "table" then
      error(f .. ": not a sweep result ({ id, measures, records })", 0)
    end
    local cond, seed = r.id:match("^[^/]*/(.*)/([^/]*)$")
    out[i] = { path = f, cond = cond, seed = tonumber(seed) or 0, result = r }
  end
  return out
end

local function mkdir(dir)
  os.execute("mkdir -p " .. cli.quote(dir))
end

function sweep.run_job(study, job, dir)
  local path = sweep.file(dir, job)
  if sweep.read(path) then return "done" end
  local res = study:run_job(job)
  local tmpname = os.tmpname()
  os.remove(tmpname)
  local tmp = path .. ".tmp-" .. (tmpname:match("([^/]+)$") or tostring(os.time()))
  local f = assert(io.open(tmp, "wb"))
  f:write("return ", sweep.serialise({ id = res.id, measures = res.measures, records = res.records }), "\n")
  f:close()
  assert(os.rename(tmp, path))
  return "ran"
end

function sweep.collect(study, dir)
  local results, missing = {}, {}
  for _, j in ipairs(study:jobs()) do
    local r = sweep.read(sweep.file(dir, j))
    if r and r.id == j.id then results[#results + 1] = r else missing[#missing + 1] = j.id end
  end
  return results, missing
end

function sweep.slurm(o)
  local q = cli.quote
  local sets = {}
  for _, kv in ipairs(o.sets or {}) do sets[#sets + 1] = "--set " .. q(kv) end
  return table.concat({
    "#!/bin/bash",
    "# A Slurm job array over the " .. o.jobs .. " jobs of " .. o.study .. ", in " .. o.array .. " shards: task k runs shard k.",
    "# Submit with: sbatch " .. o.dir .. "/slurm.sh; then: neuromod sweep " .. o.study .. " --merge --out " .. o.dir,
    "#SBATCH --job-name=neuromod-sweep",
    "#SBATCH --array=1-" .. o.array,
    "#SBATCH --ntasks=1",
    "#SBATCH --cpus-per-task=1",
    "#SBATCH --output=" .. o.dir .. "/slurm-%A_%a.log",
    "set -euo pipefail",
    ": \"${SLURM_ARRAY_TASK_ID:?run this script with sbatch (or set SLURM_ARRAY_TASK_ID)}\"",
    "cd " .. q(o.workdir),
    "export OPENBLAS_NUM_THREADS=1",
    "exec " .. q(o.interpreter) .. " " .. q(o.command) .. " sweep " .. q(o.study) .. " --out " .. q(o.dir) ..
      (#sets > 0 and (" " .. table.concat(sets, " ")) or "") .. " --quiet --shard \"${SLURM_ARRAY_TASK_ID}/" ..
      o.array .. "\"",
    "",
  }, "\n")
end

local function absolute(path)
  if path:sub(1, 1) == "/" then return path end
  local p = io.popen("pwd")
  local cwd = p and p:read("*l") or "."
  if p then p:close() end
  return cwd .. "/" .. path
end

-- The study's own table when the script has one (table(results, options)), else means [95% CI] per measure.
local function merged_table(study, mod, merged)
  if type(mod.table) == "function" then
    local out = { mod.table(merged, study.options) }
    if type(mod.tests) == "function" then
      local ok, _, text = pcall(mod.tests, merged)
      if ok and text and text ~= "" then out[#out + 1] = "\n" .. text end
    end
    return table.concat(out, "\n")
  end
  local stats = require "neuromod.stats"
  local out = {}
  for _, c in ipairs(merged) do
    out[#out + 1] = c.name .. " (" .. #c.seeds .. " seeds)"
    for _, m in ipairs(study.measures) do
      local x = {}
      for i, s in ipairs(c.seeds) do
        local v = s[m[1]]
        x[i] = type(v) == "boolean" and (v and 1 or 0) or v
      end
      if type(x[1]) == "number" then
        local mean, lo, hi = stats.ci(x)
        out[#out + 1] = string.format("  %-20s %.4g", m[1], mean) ..
          (lo and string.format(" [%.4g, %.4g]", lo, hi) or "")
      end
    end
  end
  return table.concat(out, "\n")
end

function sweep.main(argv, ctx)
  ctx = ctx or {}
  local a, pos = cli.parse(sweep.SPEC, argv, 2)
  if a.help then print(cli.help_text(sweep.SPEC)) return 0 end
  if #pos ~= 1 then usage_error("needs one study script, e.g. neuromod sweep experiments/setshift.lua") end
  local modes = (a.jobs and 1 or 0) + (a.shard and 1 or 0) + (a.slurm and 1 or 0) + (a.merge and 1 or 0)
  if modes > 1 then usage_error("--jobs, --shard, --slurm and --merge exclude each other") end
  local study, mod = sweep.load(pos[1], a.set)
  local jobs = study:jobs()
  local dir = a.out or (study.name .. ".sweep")
  if a.list then
    for _, j in ipairs(jobs) do print(j.id) end
    return 0
  end
  if a.merge then
    local results, missing = sweep.collect(study, dir)
    if #missing > 0 then
      io.stderr:write("neuromod sweep: ", #missing, " of ", #jobs, " jobs have no result in ", dir, " (first: ",
        missing[1], "); run them, then merge again\n")
      return 1
    end
    print(merged_table(study, mod, study:merge(results)))
    return 0
  end
  mkdir(dir)
  if a.slurm then
    local array = a.array and tonumber(a.array) or #jobs
    if not array or array < 1 or array ~= math.floor(array) then usage_error("--array expects a positive integer") end
    local path = dir .. "/slurm.sh"
    local f = assert(io.open(path, "w"))
    f:write(sweep.slurm{ study = absolute(pos[1]), dir = absolute(dir), sets = a.set, jobs = #jobs,
                         array = math.min(array, #jobs), interpreter = ctx.interpreter or "lua5.4",
                         command = absolute(ctx.self or "neuromod"), workdir = absolute(".") })
    f:close()
    print("wrote " .. path .. " (" .. math.min(array, #jobs) .. " array tasks over " .. #jobs .. " jobs)")
    print("submit: sbatch " .. path .. "; when it is done: neuromod sweep " .. pos[1] .. " --merge --out " .. dir)
    return 0
  end
  local mine = jobs
  if a.shard then
    local i, n = a.shard:match("^(%d+)/(%d+)$")
    i, n = tonumber(i), tonumber(n)
    if not i or n < 1 or i < 1 or i > n then usage_error("--shard expects i/n with 1 <= i <= n, got " .. a.shard) end
    mine = sweep.shard(jobs, i, n)
  elseif a.jobs and tonumber(a.jobs) ~= 1 then
    local n = tonumber(a.jobs)
    if not n or n < 1 or n ~= math.floor(n) then usage_error("--jobs expects a positive integer") end
    local q = cli.quote
    local sets = {}
    for _, kv in ipairs(a.set or {}) do sets[#sets + 1] = "--set " .. q(kv) end
    local cmds = {}
    for i = 1, n do
      cmds[#cmds + 1] = q(ctx.interpreter or "lua5.4") .. " " .. q(ctx.self or "neuromod") .. " sweep " ..
        q(pos[1]) .. " --out " .. q(dir) .. " " .. table.concat(sets, " ") .. (a.quiet and " --quiet" or "") ..
        " --shard " .. i .. "/" .. n .. " & p" .. i .. "=$!"
    end
    local waits = {}
    for i = 1, n do waits[#waits + 1] = "wait $p" .. i .. " || s=1" end
    local ok, _, code = os.execute("s=0; " .. table.concat(cmds, "; ") .. "; " .. table.concat(waits, "; ") .. "; exit $s")
    local good = ok == true or ok == 0
    if not good then io.stderr:write("neuromod sweep: a shard failed (", tostring(code), ")\n") return 1 end
    local _, missing = sweep.collect(study, dir)
    print(string.format("%d jobs in %s, %d missing", #jobs, dir, #missing))
    return #missing == 0 and 0 or 1
  end
  local ran, done = 0, 0
  for _, j in ipairs(mine) do
    local what = sweep.run_job(study, j, dir)
    if what == "ran" then ran = ran + 1 else done = done + 1 end
    if not a.quiet then print(what == "ran" and ("ran  " .. j.id) or ("done " .. j.id .. " (already finished)")) end
  end
  print(string.format("%d jobs: ran %d, %d already finished; results in %s", #mine, ran, done, dir))
  return 0
end

return sweep
