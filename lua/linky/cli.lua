--- The `linky` command: every data kind from the shell, in table, CSV, JSON or chart form.
-- `bin/linky` calls `main`; everything here returns exit codes instead of exiting.
-- @module linky.cli
local linky = require "linky"
local analysis = require "linky.analysis"
local core = require "linky.core"
local dates = require "linky.dates"
local format = require "linky.format"

local M = {}

--- Exit codes per error kind (others: 1).
M.EXIT = {
  invalid_argument = 2,
  unauthorized = 3, forbidden = 3,
  not_found = 4,
  rate_limited = 5, budget_exhausted = 5, banned = 5, state_unavailable = 5,
  server_error = 6, timeout = 6, network = 6, tls = 6,
  bad_request = 7, method_not_allowed = 7, http_error = 7, invalid_response = 7,
}
local INTERNAL, USAGE, TOKEN, UNEXPECTED, FILE, INTERRUPTED = 1, 2, 3, 7, 8, 130

local ALIASES = {
  daily = "daily_consumption", loadcurve = "consumption_load_curve", maxpower = "consumption_max_power",
  dailyprod = "daily_production", loadcurveprod = "production_load_curve",
}
local KIND_ORDER = {
  "daily_consumption", "consumption_load_curve", "consumption_max_power", "daily_production",
  "production_load_curve", "consumption_index", "production_index" }
local SHORT = {}
for short, kind in pairs(ALIASES) do SHORT[kind] = short end

-- Options taking a value, and switches.
local VALUE_FLAGS = {
  start = true, ["end"] = true, last = true, prm = true, api = true, ["base-url"] = true,
  ["user-agent"] = true, from = true, timeout = true, cainfo = true, proxy = true, state = true,
  ["token-file"] = true, token = true, format = true, by = true, output = true, offpeak = true,
}
local SWITCHES = { ["no-cache"] = true, energy = true, quiet = true, help = true, version = true,
                   refresh = true }

local FORMATS = { table = true, csv = true, json = true, chart = true }
local PERIODS = { hour = true, day = true, week = true, month = true }


-- Help

local PROGRAM_HELP = [[
linky: your Linky smart-meter data from Conso API, in the terminal.

Usage: linky COMMAND [options]

Data commands (the reference client's short names work too):
  daily_consumption       daily      energy consumed per day, Wh
  consumption_load_curve  loadcurve  mean power consumed per interval (30 min), W
  consumption_max_power   maxpower   peak apparent power of each day, VA
  daily_production        dailyprod  energy produced per day, Wh
  production_load_curve   loadcurveprod  mean power produced per interval, W
  consumption_index                  meter index readings (2026 API only), Wh
  production_index                   meter index readings (2026 API only), Wh
Other commands:
  prms      the token's PRMs and its expiry date (no request)
  auth      stores the token, read from standard input, in the config file
  update    fetches what is new into the state store (for cron)
  status    request budget, ban and cool-down state, token expiry
  cron      prints a crontab line running `linky update` once a day
  help [COMMAND]

Range (Paris dates, end excluded; default: yesterday):
  --start YYYY-MM-DD --end YYYY-MM-DD
  --last N{d,w,m}         the last N days, weeks or months before today
Output:
  --format table|csv|json|chart   default table
  --by hour|day|week|month        totals per period (load curves become energy)
  --energy                        load curves: energy per interval (Wh) as well
  --offpeak HH:MM-HH:MM[,...]     load curves: peak/off-peak split (table, chart)
  --output FILE                   written atomically, folders created
  --quiet                         no progress line
Connection:
  --prm PRM  --api 2026|legacy  --base-url URL  --user-agent TEXT  --from EMAIL
  --timeout SECONDS  --cainfo FILE  --proxy URL  --state PATH  --no-cache
  --refresh               ask again for settled days (missing or incomplete, 7 days old)
Token (never printed), first found:
  --token-file FILE       a file holding the token
  LINKY_TOKEN             environment variable
  the config file         ${XDG_CONFIG_HOME:-~/.config}/linky/config, written by `linky auth`
  --token TOKEN           works, but lands in your shell history and in `ps`: prefer the others

Environment: NO_COLOR (no colours), LINKY_TODAY=YYYY-MM-DD (a testing aid: pretends today is
that Paris date). Colours and the progress line only appear on a terminal.

Exit codes: 0 success; 2 usage error, invalid argument; 3 token refused, expired or missing;
4 no data (not_found); 5 rate limited, budget exhausted, banned; 6 server error, timeout,
network, TLS; 7 unexpected answer (bad_request, http_error, invalid_response...) or stored data
that cannot be shown; 8 local file error (--output, standard output, config, token file);
130 interrupted (Ctrl-C); 1 internal error (a bug: please report it).

Examples:
  linky auth < token.txt
  linky daily --last 14d
  linky loadcurve --start 2026-04-01 --end 2026-04-02 --format chart --offpeak 22:00-06:00
  linky daily --last 12m --by month --format csv --output ~/linky/2026.csv
  linky maxpower --last 1w --format json

`linky help COMMAND` shows a command's options and examples.
]]

local DATA_HELP = [[
%s%s: %s

Usage: linky %s [--start DATE --end DATE | --last N{d,w,m}] [--format table|csv|json|chart]
         [--by hour|day|week|month]%s [--output FILE] [connection and token options]

Dates are Paris days; the end is excluded; the default range is yesterday.
Long ranges are split into several requests (%d days each at most).
Connection and token options, formats and exit codes: see `linky --help`.

Examples:
  linky %s --last 7d
  linky %s --start %s --end %s --format csv%s
  linky %s --last 1m --by week --format chart
]]

local DESCRIPTIONS = {
  daily_consumption = "energy consumed per day, in Wh",
  consumption_load_curve = "mean power consumed per interval (usually 30 min), in W",
  consumption_max_power = "peak apparent power of each day, in VA",
  daily_production = "energy produced per day, in Wh",
  production_load_curve = "mean power produced per interval (usually 30 min), in W",
  consumption_index = "meter index readings (total and per time class), in Wh (2026 API only)",
  production_index = "meter index readings, in Wh (2026 API only)",
}

local OTHER_HELP = {
  prms = [[
prms: the token's PRMs (meters) and its expiry date. Reads the token only: no request.

Usage: linky prms [--format table|csv|json] [token options]

Example:
  linky prms --token-file ~/.conso-token
]],
  auth = [[
auth: stores the Conso API token in ${XDG_CONFIG_HOME:-~/.config}/linky/config (mode 0600).
The token is read from standard input (without echo on a terminal), so it never lands in the
shell history; it is checked locally (PRM list, expiry) and never printed.

Usage: linky auth

Examples:
  linky auth               (paste the token, then Enter)
  linky auth < token.txt
]],
  update = [[
update: fetches what is new for the given kinds into the state store and prints what was added.
Made for cron: see `linky cron`. Needs the state store.

Usage: linky update [KIND...] [--state PATH] [--no-cache] [--quiet] [connection and token options]
KIND defaults to daily_consumption.

Examples:
  linky update
  linky update daily loadcurve --state ~/.local/state/linky/state.sqlite3
]],
  status = [[
status: the request budget, ban and cool-down state of the state store, and the token's expiry.

Usage: linky status [--state PATH] [token options]

Example:
  linky status
]],
  cron = [[
cron: prints a crontab line that runs `linky update` once a day at a random minute between
6:00 and 10:00, as the Conso API maintainer asks (spreading everyone's requests).

Usage: linky cron [KIND...] [--prm PRM] [--state PATH]

Example:
  (crontab -l; linky cron daily loadcurve) | crontab -
]],
}

local function data_help(kind)
  local short = SHORT[kind]
  local curve = linky.kinds[kind].load_curve
  return DATA_HELP:format(kind, short and (" (alias " .. short .. ")") or "", DESCRIPTIONS[kind],
    short or kind, curve and "\n         [--energy] [--offpeak HH:MM-HH:MM,...]" or "",
    linky.kinds[kind].max_days,
    short or kind, short or kind, "2026-04-01", curve and "2026-04-02" or "2026-05-01",
    curve and " --energy" or "", short or kind)
end

-- Small helpers

local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- A word of the command line as messages may quote it: never something that looks like a token.
local function shown(word)
  if word:find("[%w_-]+%.[%w_-]+%.") or #word > 40 then return "(" .. #word .. " characters, not shown)" end
  return word
end

-- A message as one line of text: line breaks become spaces, other control characters (a word
-- of the command line may hold escape sequences) and bytes that are not UTF-8 become "?".
local function one_line(s)
  s = tostring(s):gsub("[\r\n]+", " "):gsub("%c", "?")
  local out, i = {}, 1
  while true do
    local _, bad = utf8.len(s, i)
    if not bad then break end
    out[#out + 1] = s:sub(i, bad - 1) .. "?"
    i = bad + 1
  end
  out[#out + 1] = s:sub(i)
  return table.concat(out)
end

-- Lua's standalone interpreter turns SIGINT into this error, raised at the next instruction.
local function is_interrupt(message)
  return type(message) == "string" and message:find("interrupted!$") ~= nil
end

local Ctx = {}
Ctx.__index = Ctx

function Ctx.fail(_, code, message)
  io.stderr:write("linky: ", one_line(message), "\n")
  return code
end

function Ctx.usage(_, message)
  io.stderr:write("linky: usage: ", one_line(message), " (see linky --help)\n")
  return USAGE
end

function Ctx.error(self, err)
  -- a SIGINT raised inside a state transaction comes back as the reason of a failed call
  if is_interrupt(err.message) then return self:interrupted() end
  local code = M.EXIT[err.kind] or INTERNAL
  local token_problem = err.reason == "token_expired" or err.reason == "token_malformed"
  if err.kind == "invalid_argument" and token_problem then
    code = TOKEN
  end
  local retry = math.tointeger(err.retry_at) or (type(err.retry_at) == "number" and math.floor(err.retry_at))
  io.stderr:write(one_line(tostring(err)),
    retry and os.date("! (retry after %Y-%m-%d %H:%M:%S UTC)", retry) or "", "\n")
  return code
end

function Ctx.interrupted(_)
  io.stderr:write("linky: interrupted\n")
  return INTERRUPTED
end

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local data, rerr = f:read("a")
  f:close()
  if not data then return nil, rerr end
  return data
end

-- What a path names, in messages.
local TYPE_NAMES = { directory = "a folder", fifo = "a FIFO", device = "a device", other = "a special file" }

-- Whether the command may replace what is at `path`: true and the mode to keep (nil when
-- nothing is there), or nil and why not. Only a regular file, or a link to one, is replaced.
local function replaceable(path)
  local kind, mode = core.file_type(path)
  if kind == nil then
    if mode then return nil, mode end
    return true
  end
  if kind == "link" then
    local target, target_mode = core.file_type(path, true)
    if target == "file" then return true, target_mode end
    return nil, ("it is a symbolic link to %s, not to a regular file"):format(TYPE_NAMES[target] or "nothing")
  end
  if kind ~= "file" then return nil, ("it is %s, not a regular file"):format(TYPE_NAMES[kind]) end
  return true, mode
end

--- Writes a file atomically: a new temporary file in the same folder (`core.create_temp`: an
-- unpredictable name, created exclusively), then a rename. Creates the missing parent folders
-- (mode 0700). Replaces only a regular file, or a symbolic link to one (the link itself: what
-- it points to is left as it was); refuses folders, FIFOs, devices. The file gets the mode of
-- the file it replaces, else 0600; with `private`, 0600 always.
-- @tparam string path the file
-- @tparam string data its new content
-- @tparam[opt] boolean private mode 0600
-- @treturn true|nil
-- @treturn string why it failed
function M.write_atomic(path, data, private)
  local allowed, mode = replaceable(path)
  if not allowed then return nil, mode end
  local made, merr = core.mkdirs(path)
  if not made then return nil, merr end
  local f, tmp = core.create_temp(path .. ".tmp-", not private and mode and mode & 511 or nil)
  if not f then return nil, tmp end
  -- a raise (SIGINT arrives as one) removes the temporary file too, then goes on
  local done, ok, err = pcall(function()
    local written, werr = f:write(data)
    local closed, cerr = f:close() -- flushes and syncs: a full disk shows here at the latest
    if not written or not closed then return nil, tostring(werr or cerr) end
    return os.rename(tmp, path)
  end)
  if done and ok then return true end
  if io.type(f) == "file" then f:close() end
  os.remove(tmp)
  if not done then error(ok, 0) end
  return nil, err
end

--- The config file of `linky auth`.
-- @treturn string its path
function M.config_path()
  local base = os.getenv("XDG_CONFIG_HOME")
  if not base or base == "" then base = (os.getenv("HOME") or ".") .. "/.config" end
  return base .. "/linky/config"
end

-- Arguments

--- Parses the command line: `--name value`, `--name=value`, switches, positional words.
-- @tparam {string,...} argv the arguments
-- @treturn table|nil `{ command =, words = {...}, flags = {...} }`
-- @treturn string a usage message
function M.parse(argv)
  local out = { words = {}, flags = {} }
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a == "-h" then a = "--help" end
    if a == "--" then
      for j = i + 1, #argv do out.words[#out.words + 1] = argv[j] end
      break
    elseif a:sub(1, 2) == "--" then
      local name, value = a:match("^%-%-([^=]+)=(.*)$")
      name = name or a:sub(3)
      if VALUE_FLAGS[name] then
        if value == nil then
          i = i + 1
          value = argv[i]
          if value == nil then return nil, "--" .. name .. " needs a value" end
        end
        if out.flags[name] ~= nil then return nil, "--" .. name .. " given twice" end
        out.flags[name] = value
      elseif SWITCHES[name] then
        if value ~= nil then return nil, "--" .. name .. " takes no value" end
        out.flags[name] = true
      else
        return nil, "unknown option --" .. shown(name)
      end
    elseif a:sub(1, 1) == "-" and #a > 1 then
      return nil, "unknown option " .. shown(a)
    else
      out.words[#out.words + 1] = a
    end
    i = i + 1
  end
  out.command = table.remove(out.words, 1)
  return out
end

local function resolve_kind(name)
  name = ALIASES[name] or name
  if linky.kinds[name] then return name end
  return nil
end

-- Today's Paris day (LINKY_TODAY overrides) and a clock consistent with it.
local function today_and_clock()
  local forced = os.getenv("LINKY_TODAY")
  if not forced or forced == "" then
    return dates.paris_day(core.now()), core.now
  end
  local day = dates.day(forced)
  if not day then return nil, "LINKY_TODAY must be a date YYYY-MM-DD" end
  local shift = core.to_epoch(forced .. " 12:00:00") - core.now()
  return day, function() return core.now() + shift end
end

-- The day n months before `day` (the same day of the month, or the month's last): nil before
-- the calendar's first year.
local function months_before(day, n)
  local y, m, d = dates.format(day):match("^(%d+)-(%d+)-(%d+)$")
  if not y then return nil end
  y, m, d = tonumber(y), tonumber(m) - n, tonumber(d)
  y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
  if y < 1 then return nil end
  local first = dates.day(("%04d-%02d-01"):format(y, m))
  local next_month = m == 12 and ("%04d-01-01"):format(y + 1) or ("%04d-%02d-01"):format(y, m + 1)
  local length = dates.day(next_month) - first
  return first + math.min(d, length) - 1
end

--- The range of a data command: `--start/--end`, `--last N{d,w,m}`, or yesterday.
-- @tparam table flags parsed flags
-- @tparam integer today today's day number
-- @treturn string|nil start
-- @treturn string end, or the usage message
function M.range(flags, today)
  if flags.last then
    if flags.start or flags["end"] then return nil, "--last cannot be used with --start or --end" end
    local n, unit = flags.last:match("^(%d+)([dwm])$")
    n = tonumber(n)
    if not n or n < 1 or n > 120000 then
      return nil, "--last takes N{d,w,m} with N >= 1, like 14d, 2w or 1m"
    end
    local first = unit == "d" and today - n or unit == "w" and today - 7 * n or months_before(today, n)
    if not first or first < 0 then return nil, "--last cannot reach back before 1970-01-01" end
    return dates.format(first), dates.format(today)
  end
  local first, stop = flags.start, flags["end"]
  if stop == nil then
    stop = first and dates.day(first) and dates.format(dates.day(first) + 1) or dates.format(today)
  end
  first = first or dates.format(dates.day(stop) and dates.day(stop) - 1 or today - 1)
  return first, stop
end

-- Token and client

local function read_config(path)
  local data, err = read_file(path)
  if not data then
    -- a missing config file means no token; one that is there but unreadable is an error
    local kind, why = core.file_type(path)
    if kind or why then return nil, err end
    return false
  end
  return ("\n" .. data):match("\ntoken%s*=%s*(%S+)") or false
end

-- The token: --token, --token-file, LINKY_TOKEN, then the config file.
function Ctx:token()
  local f = self.flags
  if f.token then return f.token end
  if f["token-file"] then
    local data, err = read_file(f["token-file"])
    if not data then return nil, self:fail(FILE, "cannot read the token file: " .. tostring(err)) end
    local tok = data:match("^%s*(%S+)%s*$")
    if not tok then
      return nil, self:fail(TOKEN, "the token file " .. f["token-file"] .. " holds no token")
    end
    return tok
  end
  local env = os.getenv("LINKY_TOKEN")
  if env and env:match("%S") then return (env:match("^%s*(.-)%s*$")) end
  local path = M.config_path()
  local tok, err = read_config(path)
  if tok == nil then return nil, self:fail(FILE, "cannot read the config file: " .. tostring(err)) end
  if not tok then
    return nil, self:fail(TOKEN, "no token: run `linky auth`, or use --token-file or LINKY_TOKEN")
  end
  return tok
end

-- Warns on stderr within 30 days of the token's expiry.
function Ctx:warn_expiry(info)
  if not info.exp then return end
  local left = info.exp - self.clock()
  if left > 0 and left <= 30 * 86400 then
    io.stderr:write(("linky: warning: the token expires on %s (in %d days): "
      .. "get a new one from the Conso API site\n")
      :format(os.date("!%Y-%m-%d", math.floor(info.exp)), math.ceil(left / 86400)))
  end
end

-- A client from the flags, or nil and an exit code.
function Ctx:client()
  local tok, code = self:token()
  if not tok then return nil, code end
  local info, err = linky.decode_token(tok)
  if not info then return nil, self:error(err) end
  self:warn_expiry(info)
  local f = self.flags
  local timeout
  if f.timeout then
    timeout = tonumber(f.timeout)
    if not timeout or timeout <= 0 then return nil, self:usage("--timeout takes a number of seconds > 0") end
  end
  local opts = {
    token = tok, prm = f.prm, api = f.api, base_url = f["base-url"], from = f.from, timeout = timeout,
    cainfo = f.cainfo, proxy = f.proxy, today = self.forced_today,
    user_agent = f["user-agent"] or ("linky-cli/" .. linky._VERSION),
  }
  opts.state = f.state -- without --state the library picks its default state file
  if f["no-cache"] then opts.cache = false end
  local client
  client, err = linky.new(opts)
  if not client then return nil, self:error(err) end
  return client, info
end


-- Output

-- Writes to standard output, flushed: true, or nil and exit code 8 after one line on stderr.
function Ctx:out(text)
  local ok, err = io.stdout:write(text)
  if ok then ok, err = io.stdout:flush() end
  if not ok then return nil, self:fail(FILE, "cannot write to standard output: " .. tostring(err)) end
  return true
end

-- Writes the output of a command (standard output, or --output): true, or nil and exit code 8.
function Ctx:write(text)
  local path = self.flags.output
  if not path then return self:out(text) end
  local ok, err = M.write_atomic(path, text)
  if not ok then return nil, self:fail(FILE, "cannot write " .. path .. ": " .. tostring(err)) end
  return true
end

local function parse_offpeak(value)
  local ranges = {}
  for r in value:gmatch("[^,]+") do ranges[#ranges + 1] = r end
  local ok, err = analysis.parse_ranges(ranges)
  if not ok then return nil, err.message end
  return ranges
end

-- Fetches through the library's one fetch loop; on a terminal (stderr, without --quiet) its
-- progress callback shows "request i of n" when a call needs several requests, and a wait
-- before a retry; the line is cleared at the end (and by main on a raise or SIGINT).
function Ctx:fetch(client, kind, first, stop)
  local progress
  if not self.flags.quiet and core.isatty(2) then
    progress = function(i, n, retry)
      if n < 2 and not retry then return end
      local note = ""
      if retry then
        local why = type(retry.error) == "table" and retry.error.kind
        note = (", %sretry in %d s"):format(why and (tostring(why) .. ", ") or "",
          math.tointeger(math.ceil(tonumber(retry.wait) or 0)) or 0)
      end
      io.stderr:write(("\rlinky: request %d of %d%s \27[K"):format(i, n, note))
      self.progress_shown = true
    end
  end
  local res, err = client:fetch(kind, first, stop, { progress = progress, refresh = self.flags.refresh })
  self:restore_terminal()
  return res, err
end

local function render(res, flags, color)
  local v, err = format.view(res, { by = flags.by, energy = flags.energy })
  if not v then return nil, err end
  local fmt = flags.format or "table"
  if fmt == "csv" then return format.csv(v) end
  if fmt == "json" then return format.json(v) end
  local opts = { color = color, offpeak = flags.offpeak_ranges }
  if fmt == "chart" then return format.chart(v, opts) end
  return format.table(v, opts)
end

-- Commands

local commands = {}

function Ctx:data_command(kind)
  local f = self.flags
  if #self.words > 0 then return self:usage("unexpected argument " .. shown(self.words[1])) end
  if f.format and not FORMATS[f.format] then return self:usage("--format is table, csv, json or chart") end
  if f.by and not PERIODS[f.by] then return self:usage("--by is hour, day, week or month") end
  local curve = linky.kinds[kind].load_curve
  if (f.energy or f.offpeak) and not curve then
    return self:usage((f.energy and "--energy" or "--offpeak") .. " applies to load curves only")
  end
  if f.energy and f.by then
    return self:usage("--energy and --by cannot be combined (--by already gives energy)")
  end
  if f.offpeak then
    local ranges, why = parse_offpeak(f.offpeak)
    if not ranges then return self:usage(why) end
    f.offpeak_ranges = ranges
  end
  local first, stop = M.range(f, self.today)
  if not first then return self:usage(stop) end
  local client, code = self:client()
  if not client then return code end
  local res, err = self:fetch(client, kind, first, stop)
  client:close()
  local data = res or err.partial
  local written = true
  if data then
    local text, rerr = render(data, f, self.color)
    -- the analysis helpers refuse stored points they cannot read (a load-curve point without
    -- a step has no energy): the data are unexpected, the arguments were fine
    if not text then return self:fail(UNEXPECTED, "cannot show these data: " .. tostring(rerr.message)) end
    written = self:write(text)
  end
  local status = res and 0 or self:error(err)
  return written and status or FILE
end

function commands.prms(self)
  local f = self.flags
  local fmt = f.format or "table"
  if fmt == "chart" or not FORMATS[fmt] then
    return self:usage("prms supports --format table, csv or json")
  end
  local tok, code = self:token()
  if not tok then return code end
  local info, err = linky.decode_token(tok)
  if not info then return self:error(err) end
  self:warn_expiry(info)
  local expires = info.exp and os.date("!%Y-%m-%d", math.floor(info.exp))
  local out = {}
  if fmt == "json" then
    local list = {}
    for i, p in ipairs(info.prms) do list[i] = '"' .. p .. '"' end
    out[1] = ('{"prms": [%s], "expires": %s}'):format(table.concat(list, ", "),
      expires and ('"' .. expires .. '"') or "null")
  elseif fmt == "csv" then
    out[1] = "prm,expires"
    for _, p in ipairs(info.prms) do out[#out + 1] = p .. "," .. (expires or "") end
  else
    for _, p in ipairs(info.prms) do out[#out + 1] = p end
    if expires then
      local days = (info.exp - self.clock()) // 86400
      out[#out + 1] = ("token expires %s (%s)"):format(expires,
        days >= 0 and ("in %d days"):format(days) or "expired")
    else
      out[#out + 1] = "token has no expiry date"
    end
  end
  local ok, wcode = self:write(table.concat(out, "\n") .. "\n")
  if not ok then return wcode end
  return 0
end

function commands.auth(self)
  if #self.words > 0 then
    return self:usage("auth reads the token from standard input, not from the command line")
  end
  local tok
  if core.isatty(0) then
    -- echo off before the prompt, so nothing typed after it is echoed; main puts it back on
    -- every path, a raise or SIGINT included
    self.echo_was = core.set_echo(0, false)
    io.stderr:write("Paste your Conso API token (it will not be shown), then Enter: ")
    io.stderr:flush()
    local ok, line = pcall(io.stdin.read, io.stdin, "l")
    self:restore_terminal()
    io.stderr:write("\n")
    if not ok then error(line, 0) end -- SIGINT while reading: main says so
    tok = line
  else
    tok = io.stdin:read("a")
  end
  tok = tok and tok:match("^%s*(%S+)%s*$")
  if not tok then return self:fail(TOKEN, "no token on standard input") end
  local info, err = linky.decode_token(tok)
  if not info then return self:error(err) end
  if info.exp and info.exp <= self.clock() then
    return self:fail(TOKEN, "this token expired on " .. os.date("!%Y-%m-%d", math.floor(info.exp)))
  end
  self:warn_expiry(info)
  local path = M.config_path()
  local config = "# linky configuration, written by `linky auth`\ntoken=" .. tok .. "\n"
  local ok, werr = M.write_atomic(path, config, true)
  if not ok then return self:fail(FILE, "cannot write " .. path .. ": " .. tostring(werr)) end
  io.stderr:write(("linky: token saved to %s (PRM %s%s)\n"):format(path, table.concat(info.prms, ", "),
    info.exp and (", expires " .. os.date("!%Y-%m-%d", math.floor(info.exp))) or ""))
  return 0
end

local function stamp(epoch)
  if not epoch then return "-" end
  return os.date("!%Y-%m-%d %H:%M:%S UTC", math.floor(epoch))
end

function commands.update(self)
  local kinds = {}
  for i, w in ipairs(self.words) do
    kinds[i] = resolve_kind(w)
    if not kinds[i] then return self:usage("unknown kind " .. shown(w)) end
  end
  if #kinds == 0 then kinds[1] = "daily_consumption" end
  local client, code = self:client()
  if not client then return code end
  local lines = {}
  for _, kind in ipairs(kinds) do
    local res, err = client:update(kind, { prm = self.flags.prm })
    if not res then
      client:close()
      local written = #lines == 0 or self:write(table.concat(lines, "\n") .. "\n")
      local status = self:error(err)
      return written and status or FILE
    end
    local added = res.added or (res.points and #res.points) or 0
    local requests = res.requests or 0
    lines[#lines + 1] = ("%-24s %d point%s added, %d request%s%s"):format(kind, added,
      added == 1 and "" or "s", requests, requests == 1 and "" or "s",
      res["end"] and (" (up to " .. tostring(res["end"]) .. ")") or "")
  end
  client:close()
  if self.flags.quiet then return 0 end
  local ok, wcode = self:write(table.concat(lines, "\n") .. "\n")
  if not ok then return wcode end
  return 0
end

-- A window in seconds as people say it: "12 h", "90 min", "45 s".
local function duration(seconds)
  if seconds % 3600 == 0 then return ("%d h"):format(seconds // 3600) end
  if seconds % 60 == 0 then return ("%d min"):format(seconds // 60) end
  return ("%s s"):format(tostring(seconds))
end

function commands.status(self)
  local client, info = self:client()
  if not client then return info end
  local b, err = client:budget()
  client:close()
  if not b then return self:error(err) end
  local lines = {
    ("requests   %s of %s in the last %s")
      :format(tostring(b.used), b.limit and tostring(b.limit) or "unlimited", duration(b.window)),
    ("retry at   %s"):format(stamp(b.retry_at)),
    ("banned     %s"):format(b.banned_since and ("since " .. stamp(b.banned_since) .. ", until cleared")
      or "no"),
    ("cool-down  %s"):format(b.cooldown_until and ("until " .. stamp(b.cooldown_until)) or "no"),
    ("token      expires %s"):format(info.exp and os.date("!%Y-%m-%d", math.floor(info.exp)) or "never"),
  }
  local ok, wcode = self:write(table.concat(lines, "\n") .. "\n")
  if not ok then return wcode end
  return 0
end

function commands.cron(self)
  local extra = {}
  for _, w in ipairs(self.words) do
    local kind = resolve_kind(w)
    if not kind then return self:usage("unknown kind " .. shown(w)) end
    extra[#extra + 1] = SHORT[kind] or kind
  end
  for _, name in ipairs { "prm", "api", "state" } do
    if self.flags[name] then extra[#extra + 1] = "--" .. name .. " " .. quote(self.flags[name]) end
  end
  local program = self.program
  if program:find("/", 1, true) and program:sub(1, 1) ~= "/" then
    program = (os.getenv("PWD") or ".") .. "/" .. program:gsub("^%./", "")
  end
  local minute = math.random(0, 4 * 60 - 1) -- from 6:00 to 9:59
  local words = { program, "update", "--quiet" }
  for _, w in ipairs(extra) do words[#words + 1] = w end
  local line = ("%d %d * * * %s\n"):format(minute % 60, 6 + minute // 60, table.concat(words, " "))
  local ok, code = self:write(line)
  return ok and 0 or code
end


local function help_of(name)
  local kind = resolve_kind(name)
  if kind then return data_help(kind) end
  return OTHER_HELP[name]
end

-- The command, unprotected: its exit code.
local function run(self, argv)
  local parsed, why = M.parse(argv)
  if not parsed then return self:usage(why) end
  self.flags, self.words = parsed.flags, parsed.words
  local name = parsed.command
  if self.flags.version then
    return self:out("linky " .. linky._VERSION .. "\n") and 0 or FILE
  end
  if name == "help" or (name == nil and self.flags.help) then
    local topic = self.words[1]
    local text = topic and help_of(topic) or (not topic and PROGRAM_HELP)
    if not text then return self:usage("no help for " .. shown(topic)) end
    return self:out(text) and 0 or FILE
  end
  if name == nil then
    io.stderr:write(PROGRAM_HELP)
    return USAGE
  end
  if self.flags.help then
    local text = help_of(name)
    if not text then return self:usage("unknown command " .. shown(name)) end
    return self:out(text) and 0 or FILE
  end
  if self.flags.output == "" then return self:usage("--output needs a file name") end
  local today, clock = today_and_clock()
  if not today then return self:usage(clock) end
  -- LINKY_TODAY moves the dates only: the library's ledger, bans and cool-downs keep real time
  self.today, self.clock = today, clock
  local forced = os.getenv("LINKY_TODAY")
  self.forced_today = forced ~= "" and forced or nil
  local no_color = os.getenv("NO_COLOR")
  self.color = not self.flags.output and (no_color == nil or no_color == "") and core.isatty(1)
  local kind = resolve_kind(name)
  if kind then return self:data_command(kind) end
  if commands[name] then return commands[name](self) end
  return self:usage("unknown command " .. shown(name))
end

-- Puts the terminal back as the command found it: echo, and no progress line left.
function Ctx:restore_terminal()
  if self.echo_was ~= nil then
    core.set_echo(0, self.echo_was)
    self.echo_was = nil
  end
  if self.progress_shown then
    io.stderr:write("\r\27[K")
    self.progress_shown = nil
  end
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
-- @treturn integer the exit code
function M.main(argv, program)
  local self = setmetatable({ program = program or "linky" }, Ctx)
  local ok, outcome = xpcall(run, raise_message, self, argv)
  self:restore_terminal()
  if ok then return outcome end
  if is_interrupt(outcome) then return self:interrupted() end
  -- anything that looks like a token (three base64url segments) is hidden, the line is capped
  local message = one_line(outcome):gsub("[%w_-]+%.[%w_-]+%.[%w_-]+", function(word)
    if #word >= 40 then return "(hidden)" end
  end)
  if #message > 400 then message = message:sub(1, 400) .. "..." end
  io.stderr:write("linky: internal error: ", message, "\n")
  return INTERNAL
end

M.KINDS = KIND_ORDER

return M
