-- Conso API emulator for the specs: a loopback HTTP(S) server that answers like conso.boris.sh
-- (both API generations, exact error bodies) and can be scripted to misbehave.
--
-- Usage: lua5.4 spec/support/emulator/main.lua [--host 127.0.0.1] [--port 0] [--port-file FILE]
--          [--tls-cert CERT --tls-key KEY] [--fixtures DIR] [--quiet]
--
-- Once listening it writes the port to --port-file (via a temporary name and os.rename) and
-- prints "listening on http[s]://HOST:PORT". --fixtures defaults to spec/fixtures/recorded
-- in the repository. SIGTERM (default action) or POST /_emulator/shutdown stops it.
-- One coroutine per connection on a socket.select loop, so a hung or delayed connection never
-- blocks the others; delays are loop timers. HTTP/1.1 keep-alive, Content-Length request bodies.
--
-- API: GET /api/<type>?... as conso-api.md describes (validation order, exact error bodies);
-- PRM 11111111111111 with a recorded type and exactly the recorded range gets the fixture's
-- bytes, anything else deterministic synthetic data.
--
-- Tempo colours (tempo.lua), on the same port, from one deterministic calendar that keeps RTE's
-- rules: api-couleur-tempo.fr's GET /api/joursTempo?periode=YYYY-YYYY (the season's days up to
-- tomorrow, oldest first) and GET /api/jourTempo/today|tomorrow|YYYY-MM-DD ({dateJour, codeJour,
-- periode, libCouleur}, codeJour 0 when unknown); RTE's POST /token/oauth/ (basic auth with
-- rte_account.lua's client id and secret -> {access_token, token_type, expires_in}) and GET
-- /open_api/tempo_like_supply_contract/v1/tempo_like_calendars?start_date=&end_date= (bearer
-- token, else 401; dates YYYY-MM-DDT00:00:00+hh:mm with "+" sent as %2B; at most 366 days, ending
-- at most two days ahead -> {"tempo_like_calendars": {"values": [...]}} newest first, or an array
-- of blocks with rte_shape "array").
--
-- Control routes (same port; every request but GET /_emulator/log is logged):
--   GET  /_emulator/log       JSON array of {n, conn, service, method, path, query, params, headers,
--                             body, time}
--   GET  /_emulator/stats     {"connections": accepted so far, "requests": service requests so far,
--                             "services": {"conso": N, "tempo": N, "rte": N}}
--   POST /_emulator/reset     clears the log (n restarts at 1), the script queue and the Tempo
--                             settings, not stats nor RTE tokens
--   GET  /_emulator/tempo     the Tempo settings in force (and "tokens": live RTE tokens)
--   POST /_emulator/tempo     body: settings, kept until changed or reset: "today" (YYYY-MM-DD, the
--                             emulated Paris day; null: the real one), "tomorrow" ("known" or
--                             "unknown": code 0, absent from RTE), "unknown_seasons" (["2025-2026"]:
--                             every day code 0), "broken_seasons" ({"2025-2026": RULE}, RULE one of
--                             tempo.BREAKS), "rte_shape" ("object" or "array"), "rte_expires_in"
--                             (seconds, for tokens issued next), "revoke_tokens" (true)
--   POST /_emulator/script    body: an answer object or an array of them, queued FIFO; replies
--                             {"queued": pending in the queue, "added": added by this call}
--   POST /_emulator/shutdown  answers {"shutdown":true}, then exits
-- Every request is logged with its "service": "conso", "tempo", "rte" or "control".
-- Each service request takes the first queued answer whose optional "service" and "type" (the
-- API type, or "joursTempo", "jourTempo", "rte_token", "rte_calendars") are absent or match it
-- (other requests get normal behaviour). An answer is one of
--   {"error": NAME}  (see catalogue.lua, rte_server_error included; "status" may override it)
--   {"status": N, "body": "bytes", "headers": {...}}  (status 200, JSON content type by default)
--   {"body_file": PATH}  (bytes of a file, status 200 or "status"; relative paths: cwd, then root)
--   {"redirect": URL}  (302, or "status", with Location)
--   none of these: the normal answer, with the modifiers below
-- plus modifiers: "delay": s before answering; "drop": close without answering; "hang": never
-- answer, keep the socket open; "truncate": n body bytes after a full Content-Length, then close;
-- "drip": s between bytes sent; "reset": headers and half the body, then RST (SO_LINGER 0);
-- "gzip": gzip the body with Content-Encoding: gzip. A "Content-Length" or "Content-Type" in
-- "headers" replaces the computed one.
--
-- The package: main.lua (the command line), server.lua (log, scripts, faults, control routes,
-- listening), http.lua (event loop, connections, HTTP/1.1, gzip), routes.lua (/api checks in
-- order), tempo.lua (the Tempo colour sources, rte_account.lua their account), bodies.lua (recorded and synthetic success bodies), catalogue.lua (error bodies),
-- data.lua (synthetic measurements), calendar.lua (days, Paris time), json.lua (ordered JSON
-- through lua-dkjson), token.lua (HS256 tokens through luaossl).
-- Required as a module (this file) it exposes the data helpers only; nothing listens.
local M = {}

M._VERSION = "0.2"

-- This package's folder: its modules load from here whatever the working directory and
-- package.path (a spec may dofile this file; the program may run from anywhere).
local HERE = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local MODULES = { "bodies", "calendar", "catalogue", "data", "http", "json", "routes", "server", "tempo", "token" }
for _, name in ipairs(MODULES) do
  local key = "spec.support.emulator." .. name
  if package.loaded[key] == nil and package.preload[key] == nil then
    package.preload[key] = function() return dofile(HERE .. "/" .. name .. ".lua") end
  end
end

local bodies = require "spec.support.emulator.bodies"
local calendar = require "spec.support.emulator.calendar"
local catalogue = require "spec.support.emulator.catalogue"
local data = require "spec.support.emulator.data"
local http = require "spec.support.emulator.http"
local json = require "spec.support.emulator.json"
local routes = require "spec.support.emulator.routes"

M.DEFAULT_FIXTURES = HERE .. "/../../../spec/fixtures/recorded"
M.SECRET = routes.SECRET

--- HS256 tokens: `sign(payload, secret)`, `verify(token, secret[, now])`, base64url.
M.token = require "spec.support.emulator.token"

-- Ordered JSON: M.json(v) encodes, M.obj("k", v, ...) and M.arr{...} build, M.NULL is null.
M.json, M.obj, M.arr, M.NULL = json.encode, json.obj, json.arr, json.null

M.days_from_civil, M.civil_from_days = calendar.days_from_civil, calendar.civil_from_days
M.paris_label, M.half_hours = calendar.paris_label, calendar.half_hours
M.daily_consumption, M.daily_production = data.daily_consumption, data.daily_production
M.consumption_curve, M.production_curve = data.consumption_curve, data.production_curve

M.TYPES, M.CATALOGUE = bodies.TYPES, catalogue.CATALOGUE
M.catalogue_names = catalogue.names

--- Synthetic success body for a validated query.
-- @function synthetic
-- @tparam string type_name API type
-- @tparam table q {prm, start, end, step, physical}
-- @treturn string JSON body
M.synthetic = bodies.synthetic

--- Answer a GET /api/<type> request like the real service: status, body[, content type].
-- @function api
-- @tparam table req {method, type, params, headers}
-- @tparam string fixtures fixtures directory
-- @tparam[opt] number now current time for token expiry (default os.time())
M.api = routes.api

M.read_file, M.gzip = bodies.read_file, http.gzip

--- The Tempo sources: `tempo.season(year[, rule])` (day number -> code), `tempo.code(day)`,
-- `tempo.BREAKS`, `tempo.ACCOUNT` (RTE client id and secret).
M.tempo = require "spec.support.emulator.tempo"

return M
