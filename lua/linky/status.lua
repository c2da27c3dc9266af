--- What a state file holds, read without a client or a token (`linky.status`): the budget
-- report of the ledger and, per PRM and kind, the days the store holds. The file is opened
-- read-only (`linky.db.open_readonly`): nothing is written to it.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.status
local core = require "linky.core"
local dates = require "linky.dates"
local db_ = require "linky.db"
local errors = require "linky.errors"
local ledger = require "linky.ledger"
local options = require "linky.options"
local store = require "linky.store"

local M = {}

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
  db:close()
  if not meters then return nil, err end
  for _, m in ipairs(meters) do m.first, m.last = dates.format(m.first), dates.format(m.last) end
  return { path = path, exists = true, unlocked = unlocked, budget = report, meters = meters }
end

return M
