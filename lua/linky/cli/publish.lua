--- `linky publish TARGET... [KIND...]` and `linky update ... --publish TARGET`: what the store
-- holds, written to export targets by `linky.publish`, without a Conso API request.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.cli.publish
local linky = require "linky"
local publish = require "linky.publish"
local plural = require("linky.format.common").plural
local args = require "linky.cli.args"
local config = require "linky.cli.config"
local output = require "linky.cli.output"
local i18n = require "linky.cli.i18n"

local M = {}

--- Whether a word of `linky publish` names a target (else a kind): it holds `://` or starts
-- with `prometheus:` or `jsonl:`.
-- @tparam string word
-- @treturn boolean
function M.is_target(word)
  return word:find("://", 1, true) ~= nil or word:match("^prometheus:") ~= nil or word:match("^jsonl:") ~= nil
end

--- Checks targets before anything runs: nil, or the usage exit code.
-- @tparam table self the command context
-- @tparam {string,...} targets
function M.check(self, targets)
  for _, t in ipairs(targets) do
    local writer, err = publish.parse(t)
    if not writer then return self:usage("%s", err.message) end
  end
end

-- The configured token's expiry (Unix seconds) and its first PRM, when a token is configured.
local function token_info(self)
  local tok = config.token(self, true)
  local info = tok and linky.decode_token(tok)
  if not info then return nil, nil end
  return info.exp, info.prms[1]
end

-- What a target received, for the line on standard output.
local function received(r, all)
  if r.published then return i18n.t("%s published, %s cleared", plural(r.published, "topic"),
    plural(r.cleared or 0, "topic")) end
  if r.days == nil then return i18n.t("status written") end
  if r.days == 0 then return i18n.t(all and "rewritten: nothing stored" or "nothing new") end
  return (all and i18n.t("rewritten: %s, %s") or "%s, %s"):format(plural(r.days, "day"),
    plural(r.points, "point"))
end

--- Publishes to each target from `source` (a client, or the state path): one line per target
-- on standard output (unless --quiet), errors on stderr. The exit code is the highest of the
-- failures (a file target's: 8).
-- @tparam table self the command context
-- @param source a `linky.Client` or the state path
-- @tparam {string,...} targets
-- @tparam table opts `prm` (a list, nil: every PRM stored), `kinds` (nil: every kind stored)
-- @treturn integer the exit code
function M.publish_all(self, source, targets, opts)
  local expires = token_info(self)
  -- the InfluxDB targets' secrets and CA file, from the config file (never from the command line)
  local influx = {}
  for key, name in pairs { influx_password = "password", influx_token = "token", influx_cafile = "cafile" } do
    local v, ok, code = config.get(self, key)
    if ok == false then return code end
    influx[name] = v
  end
  -- the MQTT targets' password, discovery prefix and CA file, from the config file
  local mqtt = { config = {} }
  for _, key in ipairs { "mqtt_password", "mqtt_discovery_prefix", "mqtt_cafile" } do
    local v, ok, code = config.get(self, key)
    if ok == false then return code end
    mqtt.config[key] = v
  end
  local worst = 0
  for _, t in ipairs(targets) do
    local r, err = linky.publish(source, t, { prm = opts.prm, kinds = opts.kinds, all = self.args.all,
      mode = self.mode, token_expires = expires, clock = self.injected.clock, influx = influx, mqtt = mqtt })
    if not r then
      worst = math.max(worst, self:error(err))
    elseif not self.args.quiet then
      if not self:out(("%s  %s\n"):format(output.one_line(r.target), received(r, self.args.all))) then
        return output.FILE
      end
    end
  end
  return worst
end

--- `linky publish TARGET... [KIND...] [--prm PRM]... [--all] [--mode OCTAL]`
function M.run(self)
  local a = self.args
  local targets, kinds = {}, {}
  for _, w in ipairs(a.words or {}) do
    if M.is_target(w) then
      targets[#targets + 1] = w
    else
      local kind = args.kind(w)
      if not kind then return self:usage("unknown kind or target %s", output.shown(w)) end
      kinds[#kinds + 1] = kind
    end
  end
  if #targets == 0 then
    return self:usage("publish needs a target: prometheus:/path/linky.prom or jsonl:/path/linky.jsonl")
  end
  local code = M.check(self, targets)
  if code then return code end
  local state, ok
  state, ok, code = config.state_path(self)
  if ok == false then return code end
  if not state then
    return self:usage("no state path: give --state PATH (neither XDG_STATE_HOME nor HOME is set)")
  end
  -- the PRMs: each --prm, else the config's, else the token's first, else every PRM stored
  local prms = a.prm or {}
  if #prms == 0 then
    local prm
    prm, ok, code = config.get(self, "prm")
    if ok == false then return code end
    prm = prm or select(2, token_info(self))
    prms = prm and { prm } or nil
  end
  return M.publish_all(self, state, targets, { prm = prms, kinds = #kinds > 0 and kinds or nil })
end

return M
