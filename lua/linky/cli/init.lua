--- The `linky` command: every data kind from the shell, in table, CSV, JSON or chart form, and
-- the commands that keep a store of readings up to date within the request budget.
-- `bin/linky` calls `main`; everything here returns exit codes instead of exiting.
-- The package: `args` (the command line, lua-argparse), `config` (settings, token, client),
-- `output` (standard output, files, messages), `data` (the data commands), `cost`, `tariff`,
-- `compare`, `update` (update, backfill), `state` (status, clear-ban), `setup` (auth, config,
-- cron, prms), `tempo`, `publish` (publish, and update's --publish).
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.cli
local linky = require "linky"
local core = require "linky.core"
local dates = require "linky.dates"
local args = require "linky.cli.args"
local config = require "linky.cli.config"
local data = require "linky.cli.data"
local lazy = require "linky.lazy"
local output = require "linky.cli.output"

local M = {}

M._VERSION = linky._VERSION
M.EXIT = output.EXIT
M.KINDS = args.KINDS
M.write_atomic = output.write_atomic
M.config_path = config.path
M.range = data.range

local Ctx = {}
Ctx.__index = Ctx
for _, name in ipairs { "fail", "fail_kind", "say", "note", "usage", "warn", "error", "interrupted", "out",
    "write",
    "progress", "restore_terminal" } do
  Ctx[name] = output[name]
end

-- Each command's module and function, loaded when the command runs (linky.lazy): a data command
-- never reads the others.
local COMMANDS = lazy.fields({}, {
  update = { "linky.cli.update", "update" }, backfill = { "linky.cli.update", "backfill" },
  status = { "linky.cli.state", "status" }, ["clear-ban"] = { "linky.cli.state", "clear_ban" },
  cron = { "linky.cli.setup", "cron" }, prms = { "linky.cli.setup", "prms" },
  auth = { "linky.cli.setup", "auth" }, config = { "linky.cli.setup", "config" },
  cost = { "linky.cli.cost", "run" }, tempo = { "linky.cli.tempo", "run" },
  publish = { "linky.cli.publish", "run" }, tariff = { "linky.cli.tariff", "run" },
  compare = { "linky.cli.compare", "run" },
})

-- Today's Paris day (LINKY_TODAY overrides) and a clock consistent with it.
local function today_and_clock(clock)
  local forced = os.getenv("LINKY_TODAY")
  if not forced or forced == "" then
    return dates.paris_day(clock()), clock
  end
  local day = dates.day(forced)
  if not day then return nil, "LINKY_TODAY must be a date YYYY-MM-DD" end
  local shift = core.to_epoch(forced .. " 12:00:00") - clock()
  return day, function() return clock() + shift end
end

-- The command, unprotected: its exit code.
local function run(self, argv)
  local a, why = args.parse(argv)
  if not a then return self:usage("%s", why) end -- already translated
  self.args = a
  local name = a.command
  if a.version then
    return self:out("linky " .. linky._VERSION .. "\n") and 0 or output.FILE
  end
  if name == "help" or (name == nil and a.want_help) then
    local topic = a.topic
    local text = args.help(topic)
    if not text then return self:usage("no help for %s", output.shown(topic)) end
    return self:out(text) and 0 or output.FILE
  end
  if name == nil then
    self.stderr:write(args.help())
    return output.USAGE
  end
  if a.want_help then return self:out(args.help(name)) and 0 or output.FILE end
  if a.output == "" then return self:usage("--output needs a file name") end
  if a.mode then
    self.mode = output.parse_mode(a.mode)
    if not self.mode then return self:usage("--mode takes an octal mode from 0000 to 0777, like 0644") end
    local targets = name == "publish" or (a.publish and #a.publish > 0)
    if not targets and (not a.output or a.output == "-") then
      return self:usage("--mode applies to an --output FILE or a file target")
    end
  end
  if a.all and name == "update" and not (a.publish and #a.publish > 0) then
    return self:usage("--all goes with --publish TARGET")
  end
  local today, clock = today_and_clock(self.injected.clock or core.now)
  if not today then return self:usage(clock) end
  -- LINKY_TODAY moves the dates only: the library's ledger, bans and cool-downs keep real time
  self.today, self.clock = today, clock
  local forced = os.getenv("LINKY_TODAY")
  self.forced_today = forced ~= "" and forced or nil
  local no_color = os.getenv("NO_COLOR")
  self.color = (not a.output or a.output == "-") and (no_color == nil or no_color == "")
    and self.stdout == io.stdout and core.isatty(1)
  if COMMANDS[name] then return COMMANDS[name](self) end
  return data.run(self, name)
end

-- The message of a raise, as a string whatever was raised (xpcall's handler).
local function raise_message(e)
  local ok, text = pcall(tostring, e)
  return ok and type(text) == "string" and text or "(an error value that cannot be shown)"
end

--- Runs the command. Never raises: a raise inside is one line on stderr, "linky: internal
-- error: ..." and exit 1, or "linky: interrupted" and exit 130 for SIGINT (which Lua's
-- standalone interpreter raises as an error).
-- @tparam {string,...} argv the arguments (without the program name)
-- @tparam[opt="linky"] string program the program's path, for `cron`
-- @tparam[opt] table env what a program running the command in-process injects: `clock` and
-- `monotonic` (as `linky.new` takes them: simulated time), `sleep`, `stdout` and `stderr`
-- (objects with `write` and `flush`), `stdin` (with `read`)
-- @treturn integer the exit code
function M.main(argv, program, env)
  env = env or {}
  local self = setmetatable({ program = program or "linky", injected = env, args = {},
    stdout = env.stdout or io.stdout, stderr = env.stderr or io.stderr, stdin = env.stdin or io.stdin }, Ctx)
  local ok, outcome = xpcall(function() return run(self, argv) end, raise_message)
  self:restore_terminal()
  if ok then return outcome end
  if output.is_interrupt(outcome) then return self:interrupted() end
  -- anything that looks like a token (three base64url segments) is hidden, the line is capped
  local message = output.one_line(outcome):gsub("[%w_-]+%.[%w_-]+%.[%w_-]+", function(word)
    if #word >= 40 then return "(hidden)" end
  end)
  if #message > 400 then message = message:sub(1, 400) .. "..." end
  return self:fail(output.INTERNAL, "internal error: %s", message)
end

return M
