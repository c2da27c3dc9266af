--- Publishing from the store to export targets: `linky.publish(state_or_client, target [, opts])`
-- writes what the state file holds to a target named by a URL-like string, without a Conso API
-- request (nothing admitted by the ledger, nothing counted in the budget).
--
--     local linky = require "linky"
--     assert(linky.publish("/var/lib/linky/state.sqlite3", "jsonl:/srv/linky/points.jsonl"))
--     assert(linky.publish(client, "prometheus:/var/lib/prometheus/node-exporter/linky.prom"))
--
-- Targets are found by their scheme in a registry (`targets`): `prometheus:/abs/path.prom`
-- (the state file's status as Prometheus text, for node_exporter's textfile collector) and
-- `jsonl:/abs/path` (the points as JSON lines, appended); other schemes plug in with
-- `register`. A target that reads points gets those of the days new or changed since its
-- last successful publish: per target (its URL without credentials), PRM and kind, a watermark
-- in the state file, the newest `fetched` time of the days it was sent, advanced only when the
-- writer succeeds. A day is new or changed when its `fetched` is after the watermark: a day
-- is written again when an answer changes it (a new status, a correction, a new or changed
-- reading; a complete day answered again unchanged keeps its `fetched`), and a day that is not
-- complete is written again after each time it is asked (at most hourly, until complete or
-- settled). `all` sends every stored day again.
-- @module linky.publish
local core = require "linky.core"
local dates = require "linky.dates"
local db_ = require "linky.db"
local errors = require "linky.errors"
local kinds = require "linky.kinds"
local status = require "linky.status"
local store = require "linky.store"
local jsonl = require "linky.format.jsonl"
local format_status = require "linky.format.status"
local output = require "linky.cli.output"

local M = {}

--- The target writers, by scheme: `targets[scheme] = { reads =, parse =, write = }` (see
-- `register`).
M.targets = {}

local function invalid(message)
  return nil, errors.new("invalid_argument", message)
end

--- A target URL without its credentials: the user and password of `scheme://user:pass@host/...`
-- left out. The key of a target's watermark, and how messages name it.
-- @tparam string url
-- @treturn string
function M.key(url)
  return (url:gsub("^([%a][%w+.-]*://)[^/?#]*@", "%1"))
end

--- Adds (or replaces) the writer of a scheme. A writer is a table:
--
-- - `reads`: `"points"` (the points of the days new or changed since the target's watermark),
--   `"status"` (the state file's report, `linky.status`, every time) or `"store"` (the open
--   state database itself, `{ db =, now =, prms =, token_expires = }`: a writer that reads what
--   it needs and keeps its own tables, as Home Assistant's does);
-- - `parse(rest, url)`: checks the target (`rest` is what follows `scheme:`) and returns a table
--   the writer keeps (`key`: the URL without credentials, default `key(url)`), or nil and an
--   `invalid_argument` error; it sends and writes nothing;
-- - `write(target, batch, opts)`: writes `batch` and returns true, or nil and an error object
--   (its kind gives the command's exit code: `file_error` 8, `network` 6...). For `"points"`,
--   `batch.results` holds one result per PRM and kind with points, as `client:fetch` returns
--   them (`prm`, `kind`, `unit`, `start`, `end`, `gaps`: the days that are not complete,
--   `points`), `batch.all` says the target is to be rewritten whole; for `"status"`,
--   `batch.status` is the report and `batch.token_expires` the token's expiry. `opts` are the
--   caller's options (`mode`, and any a writer documents).
-- @tparam string scheme lower-case letters, digits, `+`, `-` or `.`, a letter first
-- @tparam table writer
function M.register(scheme, writer)
  if type(scheme) ~= "string" or not scheme:match("^%l[%l%d+.-]*$") then
    error("bad argument #1 to 'register' (a scheme in lower case expected)", 2)
  end
  if type(writer) ~= "table" or type(writer.parse) ~= "function" or type(writer.write) ~= "function"
      or (writer.reads ~= "points" and writer.reads ~= "status" and writer.reads ~= "store") then
    error("bad argument #2 to 'register' (a writer { reads =, parse =, write = } expected)", 2)
  end
  M.targets[scheme] = writer
end

--- Splits and checks a target: its writer and what its `parse` returned.
-- @tparam string url the target, `scheme:...`
-- @treturn table|nil the writer
-- @treturn table the parsed target (with `key`), or an `invalid_argument` error
function M.parse(url)
  if type(url) ~= "string" or url:find("%c") then
    return invalid("a target is a string without control characters")
  end
  local scheme, rest = url:match("^([%a][%w+.-]*):(.*)$")
  local writer = scheme and M.targets[scheme:lower()]
  if not writer then
    local names = {}
    for name in pairs(M.targets) do names[#names + 1] = name .. ":" end
    table.sort(names)
    return invalid(("unknown target %q: targets start with %s"):format(M.key(url):sub(1, 60),
      table.concat(names, ", ")))
  end
  local target, err = writer.parse(rest, url)
  if not target then return nil, err end
  target.key = target.key or M.key(url)
  return writer, target
end

-- The absolute file path of a file target, or nil and an error.
local function file_path(scheme, rest, suffix)
  if rest:sub(1, 1) ~= "/" or rest:sub(-1) == "/" then
    return invalid(("%s: needs an absolute file path, like %s:/srv/linky/linky%s"):format(scheme, scheme,
      suffix or ".jsonl"))
  end
  if suffix and rest:sub(-#suffix) ~= suffix then
    return invalid(("%s: the file name must end in %s (node_exporter reads only those)")
      :format(scheme, suffix))
  end
  return { path = rest }
end

-- A file written atomically (`linky.cli.output.write_atomic`), or a `file_error`.
local function write_file(path, text, mode)
  local ok, why = output.write_atomic(path, text, nil, mode)
  if ok then return true end
  return nil, errors.new("file_error", ("cannot write %s: %s"):format(path, tostring(why)), { path = path })
end

M.register("prometheus", {
  reads = "status",
  parse = function(rest) return file_path("prometheus", rest, ".prom") end,
  write = function(target, batch, opts)
    local text = format_status.prometheus(batch.status, { token_expires = batch.token_expires })
    return write_file(target.path, text, opts.mode or 420) -- 0644: the collector runs as another user
  end,
})

-- The largest JSON-lines file read back to append to (bytes): a decade of load curve is about
-- 30 MiB; past this, the target is a file_error (rotate the file, or publish with all).
local MAX_JSONL = 256 * 1024 * 1024

M.register("jsonl", {
  reads = "points",
  parse = function(rest) return file_path("jsonl", rest) end,
  -- The old lines and the new ones into a new file, renamed over the old one: a reader never
  -- sees half a line, and a failure leaves the file as it was (nothing written twice later).
  write = function(target, batch, opts)
    local parts = {}
    for _, res in ipairs(batch.results) do parts[#parts + 1] = jsonl.jsonl(res) end
    local text = table.concat(parts)
    if not batch.all then
      if text == "" then return true end
      local old, why, too_large = output.read_file(target.path, MAX_JSONL)
      -- a missing file starts empty; any other failure to read it is the target's
      local there, failed = core.file_type(target.path)
      if not old and (too_large or there or failed) then
        return nil, errors.new("file_error", ("cannot read %s: %s"):format(target.path, tostring(why)),
          { path = target.path })
      end
      if old and old ~= "" and old:sub(-1) ~= "\n" then old = old .. "\n" end
      text = (old or "") .. text
    end
    return write_file(target.path, text, opts.mode)
  end,
})

-- InfluxDB 1.x and 2.x (`linky.influx`, loaded on first use): the points written in batches;
-- `opts.influx` carries the secrets and CA file the caller read from its config (the
-- environment's LINKY_INFLUX_PASSWORD / LINKY_INFLUX_TOKEN win).
for _, scheme in ipairs(require("linky.influx").schemes) do
  M.register(scheme, {
    reads = "points",
    parse = function(_, url)
      local t, err = require("linky.influx").parse(url)
      if not t then return nil, err end
      t.key = t.name
      return t
    end,
    write = function(target, batch, opts)
      local done, err = require("linky.influx").write(target, batch.results, opts.influx or {})
      if not done then return nil, err end
      return true
    end,
  })
end

-- Home Assistant over MQTT (`linky.homeassistant`, loaded on first use, on the C module
-- `linky.mqtt`): it reads the store itself (the last days, totals from a baseline, the budget)
-- and keeps in the state file what each broker was given; `opts.mqtt` carries the config
-- file's values (`mqtt_password`, `mqtt_discovery_prefix`, `mqtt_cafile`) and a tariff.
for _, scheme in ipairs { "mqtt", "mqtts" } do
  M.register(scheme, {
    reads = "store",
    parse = function(_, url)
      local t, err = require("linky.homeassistant").parse(url)
      if not t then return nil, err end
      t.url = url
      return t
    end,
    write = function(target, view, opts)
      return require("linky.homeassistant").publish(target.url, view, opts.mqtt or {})
    end,
  })
end

-- The state's database and what to read: from a client's session or a state path.
-- `source`: `{ db = function() -> db | nil, err end, close = bool, path =, clock =, budget =,
-- prms = { prm, ... } | nil }`

-- The results of the days new or changed since each (prm, kind)'s watermark, and the new
-- watermarks: `{ results = {...}, marks = { {prm, kind, fetched}, ... }, days =, points = }`.
local function collect(db, key, prms, wanted, all)
  local pairs_ = {}
  for _, prm in ipairs(prms or { false }) do
    local rows, err = store.stored(db, prm or nil)
    if not rows then return nil, err end
    for _, r in ipairs(rows) do
      if not wanted or wanted[r.kind] then pairs_[#pairs_ + 1] = r end
    end
  end
  local batch = { results = {}, marks = {}, days = 0, points = 0 }
  for _, pk in ipairs(pairs_) do
    local after
    if not all then
      local rows, _, msg = db:rows("SELECT watermark FROM published" ..
        " WHERE target = ? AND prm = ? AND kind = ?", key, pk.prm, pk.kind)
      if not rows then return db_.failed(db, msg) end
      after = rows[1] and rows[1].watermark
    end
    local days, err = store.changed(db, pk.prm, pk.kind, after)
    if not days then return nil, err end
    if #days > 0 then
      local covered, newest, gaps = {}, days[1].fetched, {}
      for _, d in ipairs(days) do
        covered[d.day] = true
        newest = math.max(newest, d.fetched)
        if d.status ~= "complete" then
          gaps[#gaps + 1] = { start = dates.format(d.day), ["end"] = dates.format(d.day + 1),
            reason = d.status == "incomplete" and "incomplete" or "missing" }
        end
      end
      local first, stop = days[1].day, days[#days].day + 1
      local points, qualities = store.load(db, pk.prm, pk.kind, covered, first, stop)
      if not points then return nil, qualities end
      local spec = kinds[pk.kind] or {}
      batch.marks[#batch.marks + 1] = { pk.prm, pk.kind, newest }
      batch.days, batch.points = batch.days + #days, batch.points + #points
      if #points > 0 then
        batch.results[#batch.results + 1] = { prm = pk.prm, kind = pk.kind, unit = spec.unit,
          start = dates.format(first), ["end"] = dates.format(stop), gaps = gaps, points = points }
      end
    end
  end
  return batch
end

-- Records the new watermarks of a target that received `batch`: true | nil, err.
local function advance(db, key, marks, now)
  if #marks == 0 then return true end
  return db_.transaction(db, function()
    for _, m in ipairs(marks) do
      local ok, _, msg = db:rows("INSERT INTO published (target, prm, kind, watermark, time)" ..
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (target, prm, kind) DO UPDATE SET" ..
        " watermark = excluded.watermark, time = excluded.time", key, m[1], m[2], m[3], now)
      if not ok then return nil, msg end
    end
    return true
  end)
end

-- Reads what a points target gets inside one read transaction (one snapshot of the store).
local function read_batch(db, key, opts)
  local ok, _, msg = db:exec("BEGIN")
  if not ok then return db_.failed(db, msg) end
  local done, batch, err = pcall(collect, db, key, opts.prms, opts.kinds, opts.all)
  db:exec("COMMIT")
  if not done then error(batch, 0) end
  return batch, err
end

--- Publishes to one target (see the module's description): `linky.publish` once the state is
-- open.
-- @tparam table source `db()` (the open state database, or nil and an error), `path` (the
-- state file, for a status target), `clock`, `budget` (for the status report)
-- @tparam string url the target
-- @tparam table opts `prms` (a list, nil: every PRM stored), `kinds` (a set, nil: every kind
-- stored), `all`, `mode`, `token_expires`, and the writer's own
-- @treturn table|nil `{ target =, days =, points = }` (the target's key, the days and points
-- written; nil counts for a status target)
-- @treturn table the error: `invalid_argument` (the target), `state_unavailable`, or the
-- writer's (`file_error`...)
function M.run(source, url, opts)
  local writer, target = M.parse(url)
  if not writer then return nil, target end
  if writer.reads == "status" then
    if source.path == false then
      return invalid("a status target reads the state file: this client has none (state = false)")
    end
    local report, err = status.read(source.path, { clock = source.clock, budget = source.budget })
    if not report then return nil, err end
    local ok, why = writer.write(target, { status = report, token_expires = opts.token_expires }, opts)
    if not ok then return nil, why end
    return { target = target.key }
  end
  local db, err = source.db()
  if not db then return nil, err end
  if writer.reads == "store" then -- the writer reads the store itself, and keeps its own tables
    local r, why = writer.write(target, { db = db, now = source.clock(), prms = opts.prms,
      token_expires = opts.token_expires }, opts)
    if not r then return nil, why end
    return { target = target.key, published = r.published, cleared = r.cleared }
  end
  local batch
  batch, err = read_batch(db, target.key, opts)
  if not batch then return nil, err end
  batch.all = opts.all and true or false
  local ok, why = writer.write(target, batch, opts)
  if not ok then return nil, why end
  ok, why = advance(db, target.key, batch.marks, source.clock())
  if not ok then return nil, why end
  return { target = target.key, days = batch.days, points = batch.points }
end

return M
