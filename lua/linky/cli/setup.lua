--- The commands that set the `linky` command up: `auth` (the token), `config` (the defaults of
-- the config file), `cron` (crontab lines with absolute paths) and `prms` (the token's meters).
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.cli.setup
local dkjson = require "dkjson"
local linky = require "linky"
local compat = require "linky.compat"
local core = require "linky.core"
local dates = require "linky.dates"
local linky_publish = require "linky.publish"
local args = require "linky.cli.args"
local config = require "linky.cli.config"
local output = require "linky.cli.output"
local i18n = require "linky.cli.i18n"

local M = {}

-- A value as one /bin/sh word of a crontab line, or nil when it holds a line break (which would
-- end the entry and start another). Single-quoted; each `%` (cron ends the command at an
-- unescaped one) goes outside the quotes as "\%": cron turns `\%` into `%`, and no backslash of
-- the value can sit just before it and escape cron's escape.
local function cron_word(s)
  if s:find("[\r\n]") then return nil end
  return "'" .. s:gsub("'", "'\\''"):gsub("%%", "'\"\\%%\"'") .. "'"
end

-- A whole number in [0, n), from linky's own generator: every install its own minute, whatever
-- the Lua version, and the host's math.random untouched.
local function below(n)
  return math.floor(core.random() * n)
end

-- A path made absolute against the working folder (cron has its own).
local function absolute(path)
  if path:sub(1, 1) == "/" then return path end
  return (os.getenv("PWD") or ".") .. "/" .. path:gsub("^%./", "")
end

--- `linky prms [--format table|csv|json]`
function M.prms(self)
  local fmt = self.args.format or "table"
  if fmt ~= "table" and fmt ~= "csv" and fmt ~= "json" then
    return self:usage("prms supports --format table, csv or json")
  end
  local tok, code = config.token(self)
  if not tok then return code end
  local info, err = linky.decode_token(tok)
  if not info then return self:error(err) end
  config.warn_expiry(self, info)
  local expires = info.exp and os.date("!%Y-%m-%d", math.floor(info.exp))
  local out = {}
  if fmt == "json" then
    out[1] = dkjson.encode({ prms = info.prms, expires = expires or dkjson.null },
      { keyorder = { "prms", "expires" } })
  elseif fmt == "csv" then
    out[1] = "prm,expires"
    for _, p in ipairs(info.prms) do out[#out + 1] = p .. "," .. (expires or "") end
  else
    for _, p in ipairs(info.prms) do out[#out + 1] = p end
    if expires then
      local days = math.floor((info.exp - self.clock()) / 86400)
      out[#out + 1] = i18n.t("token expires %s (%s)", expires,
        days >= 0 and i18n.n(days, "in %d days", "in %d days") or i18n.t("expired"))
    else
      out[#out + 1] = i18n.t("token has no expiry date")
    end
  end
  return self:write(table.concat(out, "\n") .. "\n") and 0 or output.FILE
end

--- `linky auth`: the token from standard input into the config file.
function M.auth(self)
  local tok
  if self.stdin == io.stdin and core.isatty(0) then
    -- echo off before the prompt, so nothing typed after it is echoed; main puts it back on
    -- every path, a raise or SIGINT included
    self.echo_was = core.set_echo(0, false)
    self:say("Paste your Conso API token (it will not be shown), then Enter: ")
    self.stderr:flush()
    -- the prompt's line is ended by restore_terminal, here or in main: LuaJIT raises SIGINT's
    -- error at the first Lua call after the read, which may be outside this pcall
    self.prompt_open = true
    local ok, line = pcall(io.stdin.read, io.stdin, "*l")
    self:restore_terminal()
    if not ok then error(line, 0) end -- SIGINT while reading: main says so
    tok = line
  else
    tok = self.stdin:read("*a")
  end
  tok = tok and tok:match("^%s*(%S+)%s*$")
  if not tok then return self:fail(output.TOKEN, "no token on standard input") end
  local info, err = linky.decode_token(tok)
  if not info then return self:error(err) end
  if info.exp and info.exp <= self.clock() then
    return self:fail(output.TOKEN, "this token expired on %s", os.date("!%Y-%m-%d", math.floor(info.exp)))
  end
  config.warn_expiry(self, info)
  local path = config.path()
  local ok, werr = config.set("token", tok)
  if not ok then return self:fail(output.FILE, "cannot write %s: %s", path, tostring(werr)) end
  self:note("token saved to %s (PRM %s%s)", path, table.concat(info.prms, ", "),
    info.exp and i18n.t(", expires %s", os.date("!%Y-%m-%d", math.floor(info.exp))) or "")
  return 0
end

--- `linky config [KEY [VALUE]]`
function M.config(self)
  local key, value = self.args.key, self.args.value
  if key then
    local known = false
    for _, k in ipairs(config.KEYS) do known = known or k == key end
    if not known then
      return self:usage("unknown key %s (keys: %s)", output.shown(key),
        table.concat(config.KEYS, ", "))
    end
  end
  if value == nil then
    local cfg, err = config.read()
    if not cfg then return self:fail(output.FILE, "cannot read the config file: %s", tostring(err)) end
    local lines = {}
    for _, k in ipairs(key and { key } or config.KEYS) do
      local v = cfg.values[k]
      if v then v = config.shown(k, v) end
      if v then lines[#lines + 1] = key and v or ("%-10s = %s"):format(k, v) end
    end
    if key and #lines == 0 then
      self:note("%s is not set in %s", key, config.path())
      return 0
    end
    if #lines == 0 then
      self:note("nothing set in %s", config.path())
      return 0
    end
    return self:out(table.concat(lines, "\n") .. "\n") and 0 or output.FILE
  end
  if key == "token" then
    return self:usage("set the token with `linky auth` (it reads standard input: not in your shell history)")
  end
  if config.SECRETS[key] then
    return self:usage("write %s in %s (mode 0600) or set it in the environment: a value on the command "
      .. "line shows in ps and the shell history", key, config.path())
  end
  local ok, why = config.check(key, value)
  if not ok then return self:usage("%s: %s", key, why) end
  local written, err = config.set(key, ok)
  if not written then
    return self:fail(output.FILE, "cannot write %s: %s", config.path(), tostring(err))
  end
  return 0
end

--- `linky cron [KIND...] [--prm PRM]... [--backfill KIND]... [--since DATE] [--publish TARGET]...`
function M.cron(self)
  local a = self.args
  local kinds = {}
  for _, w in ipairs(a.kinds or {}) do
    local kind = args.kind(w)
    if not kind then return self:usage("unknown kind %s", output.shown(w)) end
    kinds[#kinds + 1] = args.SHORT[kind] or kind
  end
  local backfill = {}
  for _, w in ipairs(a.backfill or {}) do
    local kind = args.kind(w)
    if not kind then return self:usage("unknown kind %s", output.shown(w)) end
    backfill[#backfill + 1] = args.SHORT[kind] or kind
  end
  if #backfill > 0 and not (a.since and dates.day(a.since)) then
    return self:usage("--backfill needs --since DATE, the first day to fill")
  end
  if a.since and #backfill == 0 then return self:usage("--since goes with --backfill KIND") end
  local publish = {}
  for _, target in ipairs(a.publish or {}) do
    local writer, err = linky_publish.parse(target)
    if not writer then return self:usage("%s", err.message) end
    compat.move({ "--publish", cron_word(target) }, 1, 2, #publish + 1, publish)
  end
  local state, ok, code = config.state_path(self)
  if ok == false then return code end
  if not state then
    return self:usage("no state path: give --state PATH (neither XDG_STATE_HOME nor HOME is set)")
  end
  -- every value checked as the commands that run it will check it, then quoted for cron
  for _, c in ipairs { { "prm", a.prm or {} }, { "api", { a.api } } } do
    for _, value in ipairs(c[2]) do
      local valid, why = config.check(c[1], value)
      if not valid then return self:usage("--%s %s: %s", c[1], output.shown(value), why) end
    end
  end
  local program, state_word = cron_word(absolute(self.program)), cron_word(absolute(state))
  if not (program and state_word) then
    return self:usage(program and "the state path holds a line break, which would end the crontab line"
      or "the program's path holds a line break, which would end the crontab line")
  end
  local options = { "--state", state_word }
  if a.api then compat.move({ "--api", cron_word(a.api) }, 1, 2, #options + 1, options) end
  for _, prm in ipairs(a.prm or {}) do
    compat.move({ "--prm", cron_word(prm) }, 1, 2, #options + 1, options)
  end
  local function line(minute, hours, command, extra, words)
    local parts = { tostring(minute), hours, "*", "*", "*", program, command, "--quiet" }
    compat.move(options, 1, #options, #parts + 1, parts)
    compat.move(extra, 1, #extra, #parts + 1, parts)
    compat.move(words, 1, #words, #parts + 1, parts)
    return table.concat(parts, " ") .. "\n"
  end
  local minute = below(4 * 60) -- from 6:00 to 9:59
  local text = line(minute % 60, tostring(6 + math.floor(minute / 60)), "update", publish, kinds)
  if #backfill > 0 then -- twice a day, 12 hours apart, away from the update's hours
    local hour = below(6)
    text = text .. line(below(60), ("%d,%d"):format(hour, hour + 12), "backfill",
      { "--since", cron_word(a.since) }, backfill)
  end
  return self:write(text) and 0 or output.FILE
end

return M
