--- What a state file holds, read without a client or a token (`linky.status`): the budget
-- report of the ledger and, per PRM and kind, the days the store holds.
-- @module linky.status
local core = require "linky.core"
local dates = require "linky.dates"
local db_ = require "linky.db"
local ledger = require "linky.ledger"
local store = require "linky.store"

local M = {}

--- The report of `linky.status` (see there), its arguments checked.
-- @tparam string path the state file
-- @tparam table budget the budget to report against
-- @tparam number window the window when `budget` is false
-- @tparam function clock the clock
-- @treturn table|nil the report
-- @treturn table a `state_unavailable` error
function M.read(path, budget, window, clock)
  local f = io.open(path, "rb")
  if not f then return { path = path, exists = false } end
  f:close()
  local db, err = db_.open(path)
  if not db then return nil, err end
  local report, meters
  report, err = ledger.report(db, (clock or core.now)(), budget, window, ledger.witness())
  if report then meters, err = store.summary(db) end
  db:close()
  if not meters then return nil, err end
  for _, m in ipairs(meters) do m.first, m.last = dates.format(m.first), dates.format(m.last) end
  return { path = path, exists = true, budget = report, meters = meters }
end

return M
