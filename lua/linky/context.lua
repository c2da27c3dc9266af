--- A client's private state as the calls see it: its day today, and its state database,
-- opened on the first call so that a broken state fails calls, never `linky.new`.
-- @module linky.context
local dates = require "linky.dates"
local db = require "linky.db"
local ledger = require "linky.ledger"
local options = require "linky.options"

local M = {}

--- The client's Paris day today: its `today` option, else its clock's.
-- @tparam table st the client's private state
-- @treturn integer
function M.today(st)
  return st.today or dates.paris_day(st.clock())
end

--- The state database, opened on first use.
-- @tparam table st the client's private state
-- @treturn userdata|nil the `linky.SQLite`
-- @treturn table a `state_unavailable` error
function M.db(st)
  if not st.db then
    local handle, err = db.open(st.state_path)
    if not handle then return nil, err end
    st.db = handle
  end
  return st.db
end

--- The budget report of the client's state (see `Client:budget`).
-- @tparam table st the client's private state
-- @treturn table|nil the report
-- @treturn table a `state_unavailable` error
function M.budget(st)
  local handle, err = M.db(st)
  if not handle then return nil, err end
  return ledger.report(handle, st.clock(), st.budget, options.defaults.budget.window, st.witness())
end

--- The room the budget leaves past `reserve` (see `linky.ledger.room`).
-- @tparam table st the client's private state
-- @tparam integer reserve slots to leave free
-- @treturn table|nil `{ left =, at = }`
-- @treturn table a `state_unavailable` error
function M.room(st, reserve)
  local handle, err = M.db(st)
  if not handle then return nil, err end
  return ledger.room(handle, st.clock(), st.budget, st.witness(), reserve)
end

return M
