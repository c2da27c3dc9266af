--- InfluxDB line protocol: a result's points (`linky,kind=K,prm=P value=Ni T`) and a priced
-- result's days (`linky_cost,class=C,prm=P eur=X,kwh=Y T`), timestamps in seconds (write with
-- `precision=s`), tags sorted by key as InfluxDB stores them.
-- @module linky.format.influx
local compat = require "linky.compat"
local core = require "linky.core"
local tariffs = require "linky.cost"

local M = {}

--- A tag value (or key, or measurement) escaped for line protocol: a backslash, comma, equals
-- sign and space get a backslash; a control character, which no line may hold, becomes `?`.
-- @tparam string s
-- @treturn string
function M.escape(s)
  return (tostring(s):gsub("%c", "?"):gsub("[\\, =]", "\\%0"))
end

-- The tags of a line, sorted by key; a nil value is left out.
local function tags(t)
  local keys, out = {}, {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do out[#out + 1] = "," .. M.escape(k) .. "=" .. M.escape(t[k]) end
  return table.concat(out)
end

-- An integer as line protocol writes it: `%d` (a value of Enedis is whole; another one is
-- rounded half up).
local function integer(x)
  return ("%d"):format(compat.tointeger(x) or math.floor(x + 0.5))
end

--- Line protocol of a result: one line per point with a value,
-- `linky,kind=K,prm=P value=Ni T` (an integer field; `T` the point's `time` in seconds: for
-- load curves the end of the interval, as Enedis dates it). A point without a value has no
-- line (line protocol has no null); an empty result gives the empty string.
-- @tparam table res a result
-- @treturn string the lines, each ending in `\n`
function M.influx(res)
  local lines = {}
  local head = "linky" .. tags { kind = res.kind, prm = res.prm } .. " value="
  for _, p in ipairs(res.points) do
    if p.value ~= nil then lines[#lines + 1] = head .. integer(p.value) .. "i " .. integer(p.time) end
  end
  return #lines > 0 and table.concat(lines, "\n") .. "\n" or ""
end

--- Line protocol of a priced result (`linky.cost.price`): per Paris day and time class,
-- `linky_cost,class=C,prm=P eur=X,kwh=Y T` (float fields: the cost in euros rounded once to the
-- cent, the energy in kWh rounded once to the Wh, as `linky.cost.format_money` and
-- `format_kwh` show them; `T` the start of the Paris day, in seconds), classes in the tariff's
-- order; a class without energy that day has no line.
-- @tparam table priced what `linky.cost.price` returned
-- @tparam table tariff the tariff (its `classes` give the order)
-- @tparam[opt] string prm the meter (the `prm` tag; none when nil)
-- @treturn string the lines, each ending in `\n`
function M.cost(priced, tariff, prm)
  local lines = {}
  for _, d in ipairs(priced.days) do
    local t = integer(core.to_epoch(d.date))
    for _, class in ipairs(tariff.classes) do
      local c = d.classes[class.name]
      if c then
        lines[#lines + 1] = ("linky_cost%s eur=%s,kwh=%s %s"):format(tags { class = class.name, prm = prm },
          tariffs.format_money(c.cost), tariffs.format_kwh(c.ws), t)
      end
    end
  end
  return #lines > 0 and table.concat(lines, "\n") .. "\n" or ""
end

return M
