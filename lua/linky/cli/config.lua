--- Where the `linky` command's settings come from: the command line first, then the config
-- file (`${XDG_CONFIG_HOME:-~/.config}/linky/config`, lines `key=value`, written by `linky auth`
-- and `linky config`), then the library's defaults; the token from --token, --token-file,
-- LINKY_TOKEN or the config file; and the client made of them.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.cli.config
local linky = require "linky"
local core = require "linky.core"
local db = require "linky.db"
local output = require "linky.cli.output"
local i18n = require "linky.cli.i18n"

local M = {}

--- The keys of the config file, in the order `linky config` lists them.
M.KEYS = { "token", "prm", "api", "base_url", "user_agent", "from", "state",
  "influx_password", "influx_token", "influx_cafile",
  "mqtt_password", "mqtt_discovery_prefix", "mqtt_cafile",
  "tempo_source", "tempo_base_url", "tempo_budget", "rte_client_id", "rte_client_secret" }

--- The keys that hold a secret: masked by `linky config`, never set from the command line (its
-- words show in `ps` and the shell history).
M.SECRETS = { token = true, influx_password = true, influx_token = true, mqtt_password = true,
              rte_client_id = true, rte_client_secret = true }

-- A secret of another service: one line of printable text.
local function secret(v)
  return v ~= "" and not v:find("[%c\127]") and v or nil, "a secret is one line of printable text"
end

-- An absolute path, `~/` for the home folder.
local function absolute(v)
  if v:sub(1, 2) == "~/" and os.getenv("HOME") then v = os.getenv("HOME") .. v:sub(2) end
  return v:sub(1, 1) == "/" and not v:find("%c") and v or nil
end

-- Checks of the values a key may take: the value (normalised) or nil and why not.
local CHECKS = {
  token = function(v)
    local info, err = linky.decode_token(v)
    if not info then return nil, err.message end
    return v
  end,
  prm = function(v) return v:match("^%d+$") and #v == 14 and v or nil, "a PRM is 14 digits" end,
  api = function(v) return (v == "2026" or v == "legacy") and v or nil, "the api is 2026 or legacy" end,
  base_url = function(v)
    return v:match("^https?://[^%s%c]+$") and v or nil, "a base URL is http(s)://host[:port]/path, no spaces"
  end,
  user_agent = function(v)
    return not v:find("%c") and #v <= 200 and v ~= "" and v or nil,
      "a user agent is 1 to 200 printable characters"
  end,
  from = function(v)
    return v:match("^[^%s%c@]+@[^%s%c@]+$") and v or nil, "from is an e-mail address"
  end,
  state = function(v) return absolute(v), "the state is an absolute path" end,
  influx_password = secret,
  influx_token = secret,
  influx_cafile = function(v) return absolute(v), "influx_cafile is an absolute path" end,
  tempo_source = function(v)
    return (v == "api-couleur-tempo" or v == "rte") and v or nil,
      "the Tempo source is api-couleur-tempo or rte"
  end,
  tempo_budget = function(v)
    local n = v:match("^%d+$") and tonumber(v)
    return n and n >= 1 and n <= 1000 and v or nil, "the Tempo budget is 1 to 1000 requests in 24 hours"
  end,
  rte_client_id = function(v)
    return v:match("^[%w._~+/=-]+$") and v or nil, "an RTE client id has no spaces"
  end,
  rte_client_secret = function(v)
    return v:match("^[%w._~+/=-]+$") and v or nil, "an RTE client secret has no spaces"
  end,
  mqtt_password = secret,
  mqtt_discovery_prefix = function(v)
    return v:match("^[%w_%-/]+$") and v or nil, "the discovery prefix is topic levels: letters, digits, _ - /"
  end,
  mqtt_cafile = function(v) return absolute(v), "mqtt_cafile is an absolute path" end,
}

CHECKS.tempo_base_url = CHECKS.base_url

--- The config file's path.
-- @treturn string
function M.path()
  local base = os.getenv("XDG_CONFIG_HOME")
  if not base or base == "" then base = (os.getenv("HOME") or ".") .. "/.config" end
  return base .. "/linky/config"
end

--- The default state file, as the library picks it (docs/ban-safety.md, "The state file").
-- @treturn string|nil
M.default_state = db.default_path

-- The lines of a config file's text, and its values (the first line of a key wins).
local function parse(text)
  local lines, values = {}, {}
  for line in text:gmatch("[^\n]*") do lines[#lines + 1] = line end
  if lines[#lines] == "" then lines[#lines] = nil end
  for _, line in ipairs(lines) do
    local key, value = line:match("^%s*([%w_]+)%s*=%s*(.-)%s*$")
    if key and values[key] == nil then values[key] = value end
  end
  return lines, values
end

--- Reads the config file.
-- @treturn table|nil `{ lines = {...}, values = { key = value } }` (empty when there is no file)
-- @treturn string why it cannot be read
function M.read()
  local path = M.path()
  local data, err = output.read_file(path)
  if not data then
    -- a missing config file means no settings; one that is there but unreadable is an error
    local kind, why = core.file_type(path)
    if kind or why then return nil, err end
    return { lines = {}, values = {}, missing = true }
  end
  local lines, values = parse(data)
  return { lines = lines, values = values }
end

--- Checks a value for a key.
-- @treturn string|nil the value
-- @treturn string why not, in the command's language (a token's: the library's English)
function M.check(key, value)
  local check = CHECKS[key]
  if not check then
    return nil, i18n.t("unknown key %s (keys: %s)", output.shown(key), table.concat(M.KEYS, ", "))
  end
  local ok, why = check(value)
  if ok then return ok end
  return nil, key == "token" and why or i18n.t(why)
end

--- A token as `linky config` shows it: its first characters, never a whole segment (the other
-- secrets are not shown at all: see `shown`).
-- @tparam string token
-- @treturn string
function M.mask(token)
  local first = token:match("^[^.]*")
  return first:sub(1, math.min(4, #first - 1)) .. "…" .. i18n.t("(redacted)")
end

--- A value of the config file as `linky config` shows it: a secret masked (the token's first
-- characters, which name its format; nothing of another secret).
-- @tparam string key
-- @tparam string value
-- @treturn string
function M.shown(key, value)
  if key == "token" then return M.mask(value) end
  if M.SECRETS[key] then return i18n.t("(redacted)") end
  return value
end

--- Sets a key of the config file: written atomically (mode 0600, folders 0700), its other lines
-- kept; the key's first line replaced, later ones dropped, or a line added.
-- @treturn true|nil
-- @treturn string why not
function M.set(key, value)
  local cfg, err = M.read()
  if not cfg then return nil, err end
  local out, done = {}, false
  if cfg.missing then out[1] = "# linky configuration: `linky config` and `linky auth` write it" end
  for _, line in ipairs(cfg.lines) do
    if line:match("^%s*([%w_]+)%s*=") == key then
      if not done then out[#out + 1] = key .. "=" .. value end
      done = true
    else
      out[#out + 1] = line
    end
  end
  if not done then out[#out + 1] = key .. "=" .. value end
  return output.write_atomic(M.path(), table.concat(out, "\n") .. "\n", true)
end

--- The context's settings (loaded once): the config file's values, or nil and exit code 8.
function M.settings(self)
  if self.settings then return self.settings end
  local cfg, err = M.read()
  if not cfg then return nil, self:fail(output.FILE, "cannot read the config file: %s", tostring(err)) end
  self.settings = cfg.values
  return self.settings
end

--- A setting: the option when given, else the config file's (checked), else nil; or nil, false
-- and the exit code when the config file's value is bad or the file unreadable.
function M.get(self, key, option)
  if option ~= nil then return option end
  local values, code = M.settings(self)
  if not values then return nil, false, code end
  local value = values[key]
  if value == nil then return nil end
  local ok, why = M.check(key, value)
  if not ok then
    return nil, false, self:fail(output.USAGE, "the config file %s: %s: %s", M.path(), key, why)
  end
  return ok
end

--- The state file the command uses: --state, the config's `state`, else the library's default.
-- @treturn string|nil the path (nil: the library's default could not be found)
-- @treturn boolean|nil false when failed, with the exit code
function M.state_path(self)
  local path, ok, code = M.get(self, "state", self.args.state)
  if ok == false then return nil, false, code end
  return path or M.default_state()
end

local function read_token_file(self, path)
  local data, err = output.read_file(path)
  if not data then return nil, self:fail(output.FILE, "cannot read the token file: %s", tostring(err)) end
  local tok = data:match("^%s*(%S+)%s*$")
  if not tok then return nil, self:fail(output.TOKEN, "the token file %s holds no token", path) end
  return tok
end

--- The token: --token, --token-file, LINKY_TOKEN, then the config file; or nil and an exit
-- code (with `optional`, nil and nil when there is none).
function M.token(self, optional)
  local a = self.args
  if a.token then return a.token end
  if a.token_file then return read_token_file(self, a.token_file) end
  local env = os.getenv("LINKY_TOKEN")
  if env and env:match("%S") then return (env:match("^%s*(.-)%s*$")) end
  local values, code = M.settings(self)
  if not values then return nil, code end
  local tok = values.token and values.token:match("^(%S+)")
  if tok then return tok end
  if optional then return nil end
  return nil, self:fail(output.TOKEN, "no token: run `linky auth`, or use --token-file or LINKY_TOKEN")
end

--- Warns on stderr within 30 days of the token's expiry.
function M.warn_expiry(self, info)
  if not info.exp then return end
  local left = info.exp - self.clock()
  if left > 0 and left <= 30 * 86400 then
    local days = math.ceil(left / 86400)
    self:warn("the token expires on %s (%s): get a new one from the Conso API site",
      os.date("!%Y-%m-%d", math.floor(info.exp)), i18n.n(days, "in %d days", "in %d days"))
  end
end

--- A client from the options and the config file: the client and the token's information, or
-- nil and an exit code.
-- @tparam table self the command context
-- @tparam[opt] string prm the client's PRM (default: --prm, the config's, the token's first)
function M.client(self, prm)
  local tok, code = M.token(self)
  if not tok then return nil, code end
  local info, err = linky.decode_token(tok)
  if not info then return nil, self:error(err) end
  M.warn_expiry(self, info)
  local a = self.args
  local timeout
  if a.timeout then
    timeout = tonumber(a.timeout)
    if not timeout or timeout <= 0 or timeout ~= timeout then
      return nil, self:usage("--timeout takes a number of seconds > 0")
    end
  end
  local opts = { token = tok, timeout = timeout, cainfo = a.cainfo, proxy = a.proxy,
    today = self.forced_today,
    clock = self.injected.clock, monotonic = self.injected.monotonic, sleep = self.injected.sleep }
  local given = { prm = prm or (type(a.prm) == "string" and a.prm or nil), api = a.api,
    base_url = a.base_url, from = a.from, user_agent = a.user_agent }
  local ok
  for _, key in ipairs { "prm", "api", "base_url", "from", "user_agent" } do
    opts[key], ok, code = M.get(self, key, given[key])
    if ok == false then return nil, code end
  end
  opts.user_agent = opts.user_agent or ("linky-cli/" .. linky._VERSION)
  opts.state, ok, code = M.get(self, "state", a.state) -- nil: the library's default state file
  if ok == false then return nil, code end
  if a.no_cache then opts.cache = false end
  local client
  client, err = linky.new(opts)
  if not client then return nil, self:error(err) end
  return client, info
end

return M
