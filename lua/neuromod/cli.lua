-- neuromod.cli: the `neuromod` command (bin/neuromod is a launcher that sets package paths and calls
-- cli.main). Commands: run, check, sweep, compare, plot, version, help; `neuromod COMMAND --help` prints the command's usage
-- on stdout and exits 0; an unknown option is named. Exit codes: 0 done, 1 the work failed (a task error,
-- an interrupt), 2 a usage error. docs/cli.md describes every command.
--
-- cli.main(argv [, ctx]) -> exit code. ctx = { root = the checkout's root (tasks are looked up in root/envs),
--   interpreter = the Lua that runs the command, self = the path of the command } (all optional).
-- cli.parse(spec, argv, first) -> options, positionals: spec is the command's spec (below); raises a usage error.
-- cli.find_task(name [, root]) -> path of a task: the path itself if it is a file, else root/envs/NAME.lua,
--   else the module neuromod.envs.NAME on package.path; nil and a message listing where it looked.
-- cli.json(value) -> a JSON text (tables with 1..n keys are arrays; non-finite numbers become null).
-- cli.is_terminal() -> true if stdout is a terminal.
local cli = {}

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function usage_error(cmd, msg)
  error({ usage = true, msg = "neuromod " .. cmd .. ": " .. msg .. " (see neuromod " .. cmd .. " --help)" }, 0)
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

function cli.is_terminal()
  local ok, _, code = os.execute("[ -t 1 ]")
  if type(ok) == "number" then return ok == 0 end -- Lua 5.1 / LuaJIT
  return ok == true and (code == nil or code == 0)
end

-- A command's spec: { name, usage = "...", about = "...", args = { { "--flag", "VALUE" or false, "help" }, ... } }
function cli.parse(spec, argv, first)
  local o, pos = {}, {}
  local flags = {}
  for _, a in ipairs(spec.args) do flags[a[1]] = a end
  local i = first or 1
  while i <= #argv do
    local a = argv[i]
    if a == "--help" or a == "-h" then o.help = true
    elseif a:sub(1, 2) == "--" then
      local key, inline = a:match("^(%-%-[^=]+)=(.*)$")
      key = key or a
      local f = flags[key]
      if not f then usage_error(spec.name, "unknown option " .. key) end
      local name = key:sub(3):gsub("%-", "_")
      if f[2] then
        local v = inline
        if v == nil then
          i = i + 1
          v = argv[i]
          if v == nil then usage_error(spec.name, key .. " needs a value (" .. f[2] .. ")") end
        end
        if f.many then o[name] = o[name] or {}; table.insert(o[name], v) else o[name] = v end
      else
        if inline then usage_error(spec.name, key .. " takes no value") end
        o[name] = true
      end
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return o, pos
end

local function help_text(spec)
  local out = { "usage: " .. spec.usage, "", spec.about, "" }
  if #spec.args > 0 then out[#out + 1] = "options:" end
  for _, a in ipairs(spec.args) do
    local left = a[1] .. (a[2] and (" " .. a[2]) or "")
    out[#out + 1] = string.format("  %-22s %s", left, a[3])
  end
  out[#out + 1] = string.format("  %-22s %s", "--help", "this text")
  return table.concat(out, "\n")
end

local function int_arg(cmd, name, v, min)
  local n = tonumber(v)
  if not n or n ~= math.floor(n) or n < (min or 0) then
    usage_error(cmd, "--" .. name .. " expects an integer >= " .. (min or 0) .. ", got " .. tostring(v))
  end
  return math.floor(n)
end

function cli.find_task(name, root)
  local tried = {}
  if exists(name) then return name end
  tried[#tried + 1] = name
  if not name:find("/", 1, true) then
    local base = name:gsub("%.lua$", "")
    if root then
      local p = root .. "/envs/" .. base .. ".lua"
      if exists(p) then return p end
      tried[#tried + 1] = "envs/" .. base .. ".lua"
    end
    local p = package.searchpath("neuromod.envs." .. base, package.path)
    if p then return p end
    tried[#tried + 1] = "the module neuromod.envs." .. base
  end
  return nil, "no task '" .. name .. "' (looked for " .. table.concat(tried, ", ") .. ")"
end

---------------------------------------------------------------------------------------------------------
-- JSON
---------------------------------------------------------------------------------------------------------
local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    local map = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
    return map[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

function cli.json(v, indent)
  indent = indent or ""
  local t = type(v)
  if t == "nil" then return "null"
  elseif t == "boolean" then return tostring(v)
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    if v == math.floor(v) and math.abs(v) < 2^53 then return string.format("%d", v) end
    return string.format("%.17g", v)
  elseif t == "string" then return json_string(v)
  elseif t == "table" then
    local n, count = #v, 0
    for _ in pairs(v) do count = count + 1 end
    local inner = indent .. "  "
    local parts = {}
    if count == n and n > 0 then
      for i = 1, n do parts[i] = cli.json(v[i], inner) end
      return "[" .. table.concat(parts, ", ") .. "]"
    end
    local keys = {}
    for k in pairs(v) do if type(k) == "string" or type(k) == "number" then keys[#keys + 1] = tostring(k) end end
    table.sort(keys)
    for _, k in ipairs(keys) do
      local val = v[k]
      if val == nil then val = v[tonumber(k)] end
      if type(val) ~= "function" and type(val) ~= "userdata" and type(val) ~= "cdata" then
        parts[#parts + 1] = inner .. json_string(k) .. ": " .. cli.json(val, inner)
      end
    end
    if #parts == 0 then return "{}" end
    return "{\n" .. table.concat(parts, ",\n") .. "\n" .. indent .. "}"
  end
  return "null"
end

---------------------------------------------------------------------------------------------------------
-- Commands
---------------------------------------------------------------------------------------------------------
local SPECS = {}

SPECS.run = {
  name = "run",
  usage = "neuromod run TASK [options]        (TASK: a name such as gonogo, or a task script's path)\n" ..
          "       neuromod run EXPERIMENT.lua [its arguments]   (a script returning a table with main(argv))",
  about = "Checks the task with the protocol checker, trains an agent on it trial by trial (a trial is an episode),\n" ..
          "and reports return and episode length, and accuracy by condition when the task's terminal info has\n" ..
          "`correct` (and `condition`). Progress (rate, ETA) is shown on a terminal, not in a pipe. On a task error\n" ..
          "or an interrupt it prints the summary so far, writes --json and --save, and exits 1.",
  args = {
    { "--trials", "N", "trials (episodes) to train, default 2000" },
    { "--seed", "S", "seed of the task and the agent, default 1" },
    { "--hidden", "64,64", "trunk layer sizes, default 64" },
    { "--modulators", "LIST", "all | none | a comma list of DA,NA,ACh,5HT; default all" },
    { "--na-input", "KIND", "surprise | changepoint: what drives NA, default surprise" },
    { "--agent", "KEY=VALUE", "any nm.agent option (repeatable), e.g. --agent policy_entropy=0.2", many = true },
    { "--task", "KEY=VALUE", "any option of the task's constructor (repeatable), e.g. --task memory=true", many = true },
    { "--model", "NAME", "rate | spiking: the learner, default rate" },
    { "--label", "NAME", "the run's condition name in --json and --csv (for compare and plot), default --modulators" },
    { "--csv", "FILE", "one line per trial, after a # metadata header (version, task, seed, options)" },
    { "--log-modulators", false, "--csv also logs discount, trace_decay, gain, withhold_bias and attention" },
    { "--json", "FILE", "the summary as JSON" },
    { "--save", "FILE", "save the agent as a checkpoint (also after an error: the agent so far)" },
    { "--checkpoint-every", "N", "with --save: also save the agent and the run's state every N trials" },
    { "--resume", "FILE", "continue the run a --save checkpoint holds (its options, task state, CSV) to --trials" },
    { "--max-steps", "N", "stop with an error when an episode runs longer, default 100000" },
    { "--window", "N", "trials of the accuracy window and criterion, default 100" },
    { "--quiet", false, "no progress lines" },
    { "--progress", false, "progress lines even when stdout is not a terminal" },
    { "--no-check", false, "skip the protocol check before training" },
  },
}

SPECS.check = {
  name = "check",
  usage = "neuromod check TASK [options]",
  about = "Runs the protocol checker (neuromod.protocol) on a task: random valid actions, the spaces, rewards and\n" ..
          "observations checked against them, determinism from the seed, no math.random. Prints every violation with\n" ..
          "the script, the method and what was wrong, or a one-line summary; exits 1 on a violation.",
  args = {
    { "--steps", "N", "env:step calls, default 300" },
    { "--seed", "S", "seed of the task and of the random actions, default 1" },
    { "--no-determinism", false, "do not require the same trajectory from the same seed" },
  },
}

SPECS.version = { name = "version", usage = "neuromod version", about = "Prints the version and the backend.", args = {} }
SPECS.help = { name = "help", usage = "neuromod help [COMMAND]", about = "Lists the commands, or one command's usage.", args = {} }

local COMMANDS = { "run", "check", "sweep", "compare", "plot", "version", "help" }
local ABOUT = {
  run = "train an agent on a task (or run an experiment script) and report",
  check = "check that a task script speaks the protocol",
  sweep = "run a study's jobs: locally (--jobs N), one shard (--shard i/n), as a Slurm array (--slurm); --merge",
  compare = "the condition table with 95% CIs and tests, from sweep results or run --json summaries",
  plot = "SVG figures: learning curves, modulators over trials, the entropy transient around a shift",
  version = "print the version and the backend",
  help = "this list, or a command's usage",
}

local function overview()
  local out = { "usage: neuromod COMMAND [options]      (neuromod COMMAND --help for a command's options)", "" }
  for _, c in ipairs(COMMANDS) do out[#out + 1] = string.format("  %-9s %s", c, ABOUT[c]) end
  return table.concat(out, "\n")
end

local function writable(flag, path)
  local existed = exists(path)
  local f, err = io.open(path, "ab")
  if not f then usage_error("run", flag .. ": cannot write " .. tostring(err)) end
  f:close()
  if not existed then os.remove(path) end
end

-- "key=value" of --agent and --task: a number, true or false, or else the string.
local function key_value(flag, kv)
  local k, v = kv:match("^([%a_][%w_]*)=(.*)$")
  if not k then usage_error("run", "--" .. flag .. " expects KEY=VALUE, got '" .. kv .. "'") end
  if v == "true" then return k, true elseif v == "false" then return k, false end
  return k, tonumber(v) or v
end

local function modulators_arg(v)
  if v == "all" or v == "none" then return v end
  local m = {}
  for s in v:gmatch("[^,]+") do m[s] = true end
  return m
end

-- An experiment script: a Lua file returning a table with main(argv).
local function experiment(path)
  if not path or not path:match("%.lua$") or not exists(path) then return nil end
  local chunk = loadfile(path)
  if not chunk then return nil end
  local ok, mod = pcall(chunk)
  if ok and type(mod) == "table" and type(mod.main) == "function" then return mod end
  return nil
end

local function cmd_run(argv, ctx)
  local exp = argv[2] and argv[2]:sub(1, 1) ~= "-" and experiment(argv[2])
  if exp then
    local rest = {}
    for j = 3, #argv do rest[#rest + 1] = argv[j] end
    return exp.main(rest) or 0
  end
  local spec = SPECS.run
  local a, pos = cli.parse(spec, argv, 2)
  if a.help then print(help_text(spec)) return 0 end
  local runner = require "neuromod.runner"
  local resume
  if a.resume then
    for _, f in ipairs { "seed", "hidden", "modulators", "na_input", "model", "agent", "task", "label", "log_modulators" } do
      if a[f] then usage_error("run", "--" .. f:gsub("_", "-") .. " cannot change with --resume (the checkpoint's run keeps its own)") end
    end
    local err
    resume, err = runner.load_state(a.resume)
    if not resume then io.stderr:write("neuromod run: --resume: ", err, "\n") return 1 end
    if #pos == 0 then pos[1] = resume.options.name end
  end
  if #pos == 0 then usage_error("run", "needs a task, e.g. neuromod run gonogo") end
  if #pos > 1 then usage_error("run", "unexpected argument " .. pos[2]) end
  local path, err = cli.find_task(pos[1], ctx.root)
  if not path then usage_error("run", err) end
  local nm = require "neuromod"
  local o = { env = path, name = pos[1], trials = 2000, seed = 1, hidden = { 64 }, modulators = "all" }
  if resume then
    for k, v in pairs(resume.options) do if k ~= "env" and k ~= "name" then o[k] = v end end
    o.resume = resume
    a.save = a.save or a.resume
  end
  if a.trials then o.trials = int_arg("run", "trials", a.trials, 1) end
  if a.seed then o.seed = int_arg("run", "seed", a.seed, 0) end
  if a.hidden then
    o.hidden = {}
    for s in a.hidden:gmatch("[^,]+") do o.hidden[#o.hidden + 1] = int_arg("run", "hidden", s, 1) end
  end
  if a.modulators then o.modulators = modulators_arg(a.modulators) end
  if a.na_input then o.agent_options = { na_input = a.na_input } end
  if a.model then
    o.agent_options = o.agent_options or {}
    o.agent_options.model = a.model
  end
  if a.agent then
    o.agent_options = o.agent_options or {}
    for _, kv in ipairs(a.agent) do
      local k, v = key_value("agent", kv)
      if k == "seed" or k == "hidden" or k == "modulators" or k == "obs" or k == "actions" then
        usage_error("run", "--agent " .. k .. ": use --" .. k .. (k == "obs" or k == "actions" and
          " (the task's spaces set it)" or ""))
      end
      o.agent_options[k] = v
    end
  end
  if a.task then
    o.env_options = o.env_options or {}
    for _, kv in ipairs(a.task) do
      local k, v = key_value("task", kv)
      o.env_options[k] = v
    end
  end
  if a.checkpoint_every then
    o.checkpoint_every = int_arg("run", "checkpoint-every", a.checkpoint_every, 1)
    if not a.save then usage_error("run", "--checkpoint-every needs --save FILE") end
  end
  if resume and o.trials <= resume.trial then
    usage_error("run", "--resume: the checkpoint already holds " .. resume.trial .. " trials; give --trials more")
  end
  if a.max_steps then o.max_steps = int_arg("run", "max-steps", a.max_steps, 1) end
  if a.window then o.window = int_arg("run", "window", a.window, 1) end
  for _, f in ipairs { "csv", "json", "save" } do if a[f] then writable("--" .. f, a[f]) end end
  o.csv, o.save = a.csv, a.save
  if not resume then o.log_modulators = a.log_modulators end
  local shown = {}
  for j = 2, #argv do shown[#shown + 1] = argv[j] end
  local label = o.label or a.label or a.modulators or "all"
  o.label = label
  o.csv_header = { "# neuromod " .. nm.version .. " (" .. nm.backend .. " backend)", "# task " .. pos[1],
                   "# seed " .. o.seed, "# command neuromod run " .. table.concat(shown, " "),
                   "# condition " .. label }
  if a.quiet then o.progress = false
  elseif a.progress or cli.is_terminal() then o.progress = io.stdout
  else o.progress = false end

  if not a.no_check then
    local protocol = require "neuromod.protocol"
    local ok, res = pcall(protocol.check, path, { seed = o.seed }, pos[1])
    if not ok then
      io.stderr:write("neuromod run: the task fails the protocol check (neuromod check ", pos[1], "):\n  ",
                      tostring(res), "\n")
      return 1
    end
  end

  local s, msg, partial = runner.run(o)
  local summary = s or partial
  if summary then print(runner.report(summary, o)) end
  if a.json then
    local j = {}
    for k, v in pairs(summary or {}) do
      if k ~= "agent" and k ~= "records" and k ~= "env" and k ~= "boundary" then j[k] = v end
    end
    j.task, j.seed, j.version, j.backend, j.condition = pos[1], o.seed, nm.version, nm.backend, label
    if summary and summary.agent then j.state_hash = summary.agent:state_hash() end
    j.status, j.error = s and "ok" or (msg and msg:find("interrupted") and "interrupted" or "error"), msg
    local f = assert(io.open(a.json, "w"))
    f:write(cli.json(j), "\n")
    f:close()
  end
  if a.save and summary and summary.agent then
    if summary.boundary then
      local saved, serr = runner.checkpoint(a.save, summary.agent, summary.env, summary.records, summary.trials, o)
      if not saved then io.stderr:write("neuromod run: ", tostring(serr), "\n") return 1 end
      print("  saved the agent" .. (s and "" or " (after trial " .. summary.trials .. ")") .. " to " .. a.save ..
            (saved == true and (" and the run's state to " .. runner.state_file(a.save) ..
              " (neuromod run --resume " .. a.save .. " continues it)") or ""))
    elseif summary.last_checkpoint then
      print("  the checkpoint " .. a.save .. " holds trial " .. summary.last_checkpoint ..
            " (the failure came inside a trial); neuromod run --resume " .. a.save .. " continues from there")
    else
      local saved, serr = summary.agent:save(a.save)
      if not saved then io.stderr:write("neuromod run: --save: ", tostring(serr), "\n") return 1 end
      os.remove(runner.state_file(a.save))
      print("  saved the agent (inside trial " .. summary.trials + 1 .. ", so with no run state to resume) to " ..
            a.save)
    end
  end
  if a.csv then print("  per-trial log: " .. a.csv) end
  if a.json then print("  summary: " .. a.json) end
  if not s then
    io.stderr:write("neuromod run: ", msg, "\n")
    return msg:find("interrupted!", 1, true) and 130 or 1
  end
  return 0
end

local function cmd_check(argv, ctx)
  local spec = SPECS.check
  local a, pos = cli.parse(spec, argv, 2)
  if a.help then print(help_text(spec)) return 0 end
  if #pos ~= 1 then usage_error("check", "needs one task, e.g. neuromod check envs/gonogo.lua") end
  local path, err = cli.find_task(pos[1], ctx.root)
  if not path then usage_error("check", err) end
  local protocol = require "neuromod.protocol"
  local seed = a.seed and int_arg("check", "seed", a.seed, 0) or 1
  local steps = a.steps and int_arg("check", "steps", a.steps, 1) or 300
  local list, res = protocol.violations(path, { seed = seed }, pos[1],
                                       { steps = steps, seed = seed, determinism = not a.no_determinism })
  if #list > 0 then
    for _, v in ipairs(list) do
      local where = v.step > 0 and (" (step " .. v.step .. (v.count > 1 and (", and " .. v.count - 1 ..
        " more time" .. (v.count > 2 and "s" or "")) or "") .. ")") or ""
      print(v.text .. where)
    end
    print(string.format("%s: %d violation%s of the protocol", pos[1], #list, #list == 1 and "" or "s"))
    return 1
  end
  print(string.format("%s: ok: %d steps, %d episodes, reward sum %.4g, %d observation values, %d actions%s",
    pos[1], res.steps, res.episodes, res.reward_sum, res.obs_size, res.actions,
    a.no_determinism and "" or ", deterministic from the seed"))
  return 0
end

local function cmd_version(argv)
  local a = cli.parse(SPECS.version, argv, 2)
  if a.help then print(help_text(SPECS.version)) return 0 end
  local nm = require "neuromod"
  print("neuromod " .. nm.version .. " (" .. nm.backend .. " backend, " .. (jit and jit.version or _VERSION) .. ")")
  return 0
end

local function spec_of(name)
  if SPECS[name] then return SPECS[name] end
  if name == "sweep" then return require("neuromod.sweep").SPEC end
  if name == "compare" then return require("neuromod.compare").SPEC end
  if name == "plot" then return require("neuromod.plot").SPEC end
end

local function cmd_help(argv)
  local a, pos = cli.parse(SPECS.help, argv, 2)
  if a.help then print(help_text(SPECS.help)) return 0 end
  if #pos == 0 then print(overview()) return 0 end
  local spec = spec_of(pos[1])
  if not spec then usage_error("help", "no command '" .. pos[1] .. "'") end
  print(help_text(spec))
  return 0
end

cli.help_text = help_text

function cli.main(argv, ctx)
  ctx = ctx or {}
  local cmd = argv[1]
  local handlers = {
    run = cmd_run, check = cmd_check, version = cmd_version, help = cmd_help,
    sweep = function(av, c) return require("neuromod.sweep").main(av, c) end,
    compare = function(av, c) return require("neuromod.compare").main(av, c) end,
    plot = function(av, c) return require("neuromod.plot").main(av, c) end,
  }
  if cmd == nil then io.stderr:write(overview(), "\n") return 2 end
  if cmd == "--help" or cmd == "-h" then print(overview()) return 0 end
  if cmd == "--version" then return cmd_version({ "version" }) end
  local h = handlers[cmd]
  if not h then
    io.stderr:write("neuromod: unknown command '", cmd, "'\n", overview(), "\n")
    return 2
  end
  local ok, res = pcall(h, argv, ctx)
  if ok then return res end
  if type(res) == "table" and res.usage then
    io.stderr:write(res.msg, "\n")
    return 2
  end
  io.stderr:write("neuromod ", cmd, ": ", tostring(res), "\n")
  return 1
end

cli.quote = quote
return cli
