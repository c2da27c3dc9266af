--- A state file's report (`linky.status`) for programs: JSON, and Prometheus text for
-- node_exporter's textfile collector (a budget sensor, an alert on a stale meter).
-- @module linky.format.status
local compat = require "linky.compat"
local core = require "linky.core"
local dkjson = require "dkjson"
local common = require "linky.format.common"

local M = {}

local KEYS = { "path", "exists", "budget", "token_expires", "meters", "used", "limit", "window",
  "retry_at", "banned_since", "cooldown_until", "prm", "kind", "first", "last", "complete", "not_complete",
  "last_complete", "last_value", "unit" }

--- JSON of a report: the fields of `linky.status` (`meters` with `last_complete`, `last_value`
-- and `unit`; `last_complete` `null` when no day is complete) plus `token_expires` (Unix
-- seconds; `null` when no token is given), keys in a stable order, one line per meter.
-- @tparam table report what `linky.status` returned
-- @tparam[opt] table opts `token_expires`: the token's expiry (`exp` of `linky.decode_token`)
-- @treturn string
function M.json(report, opts)
  local out = {}
  for k, v in pairs(report) do out[k] = v end
  out.token_expires = opts and opts.token_expires or dkjson.null
  local meters = {}
  for i, m in ipairs(report.meters or {}) do
    local copy = {}
    for k, v in pairs(m) do copy[k] = v end
    if copy.last_complete == nil then copy.last_complete = dkjson.null end
    meters[i] = dkjson.encode(copy, { keyorder = KEYS, exception = dkjson.encodeexception })
  end
  if report.meters then
    local text = #meters == 0 and "[]" or ("[\n    " .. table.concat(meters, ",\n    ") .. "\n  ]")
    out.meters = setmetatable({}, { __tojson = function() return text end })
  end
  return dkjson.encode(out, { indent = true, keyorder = KEYS, exception = dkjson.encodeexception }) .. "\n"
end

-- A label value of the exposition format: backslash, double quote and line feed escaped, any
-- other control character and any byte that is not UTF-8 (the format wants UTF-8) as `?`.
local function label(s)
  s = tostring(s):gsub("[\\\"\n]", { ["\\"] = "\\\\", ['"'] = '\\"', ["\n"] = "\\n" }):gsub("%c", "?")
  local out, i = {}, 1
  while true do
    local _, bad = compat.utf8_len(s, i)
    if not bad then break end
    out[#out + 1] = s:sub(i, bad - 1) .. "?"
    i = bad + 1
  end
  out[#out + 1] = s:sub(i)
  return table.concat(out)
end

-- A sample value: integers as integers, other numbers with up to 6 decimals.
local function value(x)
  if x == true then return "1" elseif x == false then return "0" end
  return common.num(x)
end

--- Prometheus text exposition of a report, for node_exporter's textfile collector: each metric
-- with `# HELP` and `# TYPE` (gauges), no sample timestamps (the collector refuses a file that
-- has any), label values escaped. Metrics: `linky_budget_used_requests`,
-- `linky_budget_limit_requests` (absent when the budget is unlimited or the state file does not
-- exist), `linky_budget_window_seconds`, `linky_banned` (1 or 0),
-- `linky_cooldown_until_timestamp_seconds` (0: none), `linky_token_expiry_timestamp_seconds`
-- (with `opts.token_expires`), and per PRM and kind `linky_last_complete_day_timestamp_seconds`
-- (the start of the Paris day), `linky_days_not_complete`, `linky_last_day_value` (with a
-- `unit` label: that day's energy in Wh, peak in VA or last index reading; absent when unknown).
-- @tparam table report what `linky.status` returned
-- @tparam[opt] table opts `token_expires`: the token's expiry in Unix seconds
-- @treturn string
function M.prometheus(report, opts)
  local token_expires = opts and opts.token_expires
  local b = report.budget or { used = 0 }
  local lines = {}
  -- samples: { {labels, value}, ... }; a family without samples is left out
  local function metric(name, help, samples)
    if #samples == 0 then return end
    lines[#lines + 1] = ("# HELP %s %s"):format(name, help)
    lines[#lines + 1] = ("# TYPE %s gauge"):format(name)
    for _, s in ipairs(samples) do
      local labels = {}
      for _, pair in ipairs(s[1]) do labels[#labels + 1] = ('%s="%s"'):format(pair[1], label(pair[2])) end
      lines[#lines + 1] = name .. (#labels > 0 and ("{" .. table.concat(labels, ",") .. "}") or "") .. " "
        .. value(s[2])
    end
  end
  local function one(x) return x ~= nil and { { {}, x } } or {} end
  metric("linky_budget_used_requests", "Conso API requests counted in the budget's window.", one(b.used))
  metric("linky_budget_limit_requests", "Conso API requests the budget allows per window.", one(b.limit))
  metric("linky_budget_window_seconds", "The budget's window, in seconds.", one(b.window))
  metric("linky_banned", "1 while a ban is remembered (until linky clear-ban), else 0.",
    one(b.banned_since ~= nil))
  metric("linky_cooldown_until_timestamp_seconds", "End of the cool-down the server asked for, 0 when none.",
    one(b.cooldown_until or 0))
  metric("linky_token_expiry_timestamp_seconds", "When the Conso API token expires.", one(token_expires))
  local days, not_complete, values = {}, {}, {}
  for _, m in ipairs(report.meters or {}) do
    local id = { { "prm", m.prm }, { "kind", m.kind } }
    if m.last_complete then days[#days + 1] = { id, core.to_epoch(m.last_complete) } end
    not_complete[#not_complete + 1] = { id, m.not_complete }
    if m.last_value ~= nil then
      values[#values + 1] = { { id[1], id[2], { "unit", m.unit or "" } }, m.last_value }
    end
  end
  metric("linky_last_complete_day_timestamp_seconds",
    "Start (Paris midnight) of the newest complete day stored.", days)
  metric("linky_days_not_complete", "Days between the first and last stored that are not complete.",
    not_complete)
  metric("linky_last_day_value",
    "Value of the newest complete day stored: energy (Wh), peak (VA) or index (Wh).", values)
  return table.concat(lines, "\n") .. "\n"
end

return M
