--- What a state file holds, read without a client or a token (`linky.status`): the budget
-- report of the ledger and, per PRM and kind, the days the store holds. The file is opened
-- read-only (`linky.db.open_readonly`): nothing is written to it.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.status
local analysis = require "linky.analysis"
local core = require "linky.core"
local dates = require "linky.dates"
local db_ = require "linky.db"
local errors = require "linky.errors"
local kinds = require "linky.kinds"
local ledger = require "linky.ledger"
local options = require "linky.options"
local store = require "linky.store"

local M = {}

-- Sets `m.last_value` and `m.unit`: the value of the newest complete day of a meter's kind as
-- `linky.aggregate` gives it per day (energy in Wh, also of a load curve; the peak in VA; an
-- index's last reading). True, or nil and a `state_unavailable` error.
local function last_day_value(db, m)
  local day = m.last_complete
  if not day then return true end
  local points, err = store.load(db, m.prm, m.kind, { [day] = true }, day, day + 1)
  if not points then return nil, err end
  local spec = kinds[m.kind] or {}
  local days = analysis.aggregate({ kind = m.kind, unit = spec.unit, points = points }, "day")
  -- a stored point that cannot be summed (no step) leaves the value unknown, not the report
  m.last_value = days and days[1] and days[1].value
  m.unit = spec.load_curve and "Wh" or spec.unit
  return true
end

--- The report of `linky.status` (see there), its argument types checked.
-- @tparam string|nil path the state file (nil: the default one)
-- @tparam table opts `clock`, `budget`
-- @treturn table|nil the report
-- @treturn table a `state_unavailable` or `invalid_argument` error
function M.read(path, opts)
  local budget = options.defaults.budget
  if opts.budget ~= nil then
    local err
    budget, err = options.budget(opts.budget)
    if budget == nil then return nil, err end
  end
  path = path or db_.default_path()
  if not path then
    return nil, errors.new("invalid_argument", "no state path: neither XDG_STATE_HOME nor HOME is set")
  end
  -- lstat: opening it would wait on a FIFO; open_readonly refuses what is not a regular file
  local kind, why = core.file_type(path)
  if not (kind or why) then return { path = path, exists = false } end
  local db, unlocked = db_.open_readonly(path)
  if not db then return nil, unlocked end
  local report, err =  ledger.report(db, (opts.clock or core.now)(), budget, options.defaults.budget.window,
    ledger.witness())
  local meters
  if report then meters, err = store.summary(db) end
  for i = 1, meters and #meters or 0 do
    local ok
    ok, err = last_day_value(db, meters[i])
    if not ok then meters = nil; break end
  end
  db:close()
  if not meters then return nil, err end
  for _, m in ipairs(meters) do
    m.first, m.last = dates.format(m.first), dates.format(m.last)
    m.last_complete = m.last_complete and dates.format(m.last_complete)
  end
  return { path = path, exists = true, unlocked = unlocked, budget = report, meters = meters }
end

return M
