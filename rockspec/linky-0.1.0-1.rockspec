rockspec_format = "3.0"
package = "linky"
version = "0.1.0-1"
-- The release archive (`make dist`): the Makefile writes RELEASE_URL, set by whoever publishes,
-- in place of the placeholder below (build/dist/linky-0.1.0-1.rockspec). Keep the build table
-- the scm rockspec's (spec/release_spec.lua checks it).
source = {
  url = "@RELEASE_URL@",
}
description = {
  summary = "Linky smart-meter data from Conso API, for Lua, with a C core",
  detailed = [[
linky gives Lua programs their Linky smart-meter data through Conso API:
daily consumption and production, load curves, max power and the 2026 index
types, in both API generations, with one error object per failure.
The C core makes the HTTPS calls with libcurl, decodes with lua-cjson and
keeps the request budget and the store of readings in SQLite.
]],
  license = "MIT",
  labels = { "energy", "linky", "enedis", "http" },
}
-- Offline on Debian, rockspec/luarocks-config.lua declares the system lua-cjson,
-- lua-argparse and lua-dkjson as provided (see README, "LuaRocks").
dependencies = {
  "lua >= 5.1, < 5.5",
  "lua-cjson >= 2.1.0",
  "argparse >= 0.7.1",
  "dkjson >= 2.6",
}
external_dependencies = {
  CURL = { header = "curl/curl.h", library = "curl" },
  SQLITE = { header = "sqlite3.h", library = "sqlite3" },
}
build = {
  type = "builtin",
  modules = {
    ["linky.core"] = {
      sources = {
        "csrc/core.c", "csrc/connection.c", "csrc/transfer.c", "csrc/redact.c",
        "csrc/normalise.c", "csrc/points.c", "csrc/points_reader.c", "csrc/calendar.c",
        "csrc/base64url.c", "csrc/buffer.c",
        "csrc/transport_errors.c", "csrc/sqlite.c", "csrc/userdata.c", "csrc/files.c",
        "csrc/terminal.c", "csrc/json_bounds.c", "csrc/random.c", "csrc/easy.c",
        "csrc/http_client.c",
      },
      -- The C core's version is the rock's: lua/linky/version.lua is the Makefile's.
      defines = { "_POSIX_C_SOURCE=200809L", 'LINKY_VERSION="' .. version:gsub("%-%d+$", "") .. '"' },
      libraries = { "curl", "sqlite3" },
      incdirs = { "$(CURL_INCDIR)", "$(SQLITE_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)", "$(SQLITE_LIBDIR)" },
    },
    linky = "lua/linky/init.lua",
    ["linky.analysis"] = "lua/linky/analysis.lua",
    ["linky.async"] = "lua/linky/async.lua",
    ["linky.call"] = "lua/linky/call.lua",
    ["linky.cli"] = "lua/linky/cli/init.lua",
    ["linky.cli.args"] = "lua/linky/cli/args.lua",
    ["linky.cli.compare"] = "lua/linky/cli/compare.lua",
    ["linky.cli.config"] = "lua/linky/cli/config.lua",
    ["linky.cli.cost"] = "lua/linky/cli/cost.lua",
    ["linky.cli.data"] = "lua/linky/cli/data.lua",
    ["linky.cli.fr"] = "lua/linky/cli/fr.lua",
    ["linky.cli.i18n"] = "lua/linky/cli/i18n.lua",
    ["linky.cli.output"] = "lua/linky/cli/output.lua",
    ["linky.cli.publish"] = "lua/linky/cli/publish.lua",
    ["linky.cli.setup"] = "lua/linky/cli/setup.lua",
    ["linky.cli.state"] = "lua/linky/cli/state.lua",
    ["linky.cli.tariff"] = "lua/linky/cli/tariff.lua",
    ["linky.cli.tempo"] = "lua/linky/cli/tempo.lua",
    ["linky.cli.update"] = "lua/linky/cli/update.lua",
    ["linky.compare"] = "lua/linky/compare.lua",
    ["linky.compat"] = "lua/linky/compat.lua",
    ["linky.cqueues"] = "lua/linky/cqueues.lua",
    ["linky.cost"] = "lua/linky/cost.lua",
    ["linky.cre"] = "lua/linky/cre.lua",
    ["linky.dates"] = "lua/linky/dates.lua",
    ["linky.db"] = "lua/linky/db.lua",
    ["linky.errors"] = "lua/linky/errors.lua",
    ["linky.fetch"] = "lua/linky/fetch.lua",
    ["linky.format"] = "lua/linky/format/init.lua",
    ["linky.format.chart"] = "lua/linky/format/chart.lua",
    ["linky.format.common"] = "lua/linky/format/common.lua",
    ["linky.format.csv"] = "lua/linky/format/csv.lua",
    ["linky.format.influx"] = "lua/linky/format/influx.lua",
    ["linky.format.json"] = "lua/linky/format/json.lua",
    ["linky.format.jsonl"] = "lua/linky/format/jsonl.lua",
    ["linky.format.status"] = "lua/linky/format/status.lua",
    ["linky.format.table"] = "lua/linky/format/table.lua",
    ["linky.holidays"] = "lua/linky/holidays.lua",
    ["linky.homeassistant"] = "lua/linky/homeassistant.lua",
    ["linky.http"] = "lua/linky/http.lua",
    ["linky.influx"] = "lua/linky/influx.lua",
    ["linky.kinds"] = "lua/linky/kinds.lua",
    ["linky.ledger"] = "lua/linky/ledger.lua",
    ["linky.lazy"] = "lua/linky/lazy.lua",
    ["linky.luv"] = "lua/linky/luv.lua",
    ["linky.options"] = "lua/linky/options.lua",
    ["linky.plan"] = "lua/linky/plan.lua",
    ["linky.publish"] = "lua/linky/publish.lua",
    ["linky.request"] = "lua/linky/request.lua",
    ["linky.result"] = "lua/linky/result.lua",
    ["linky.session"] = "lua/linky/session.lua",
    ["linky.store"] = "lua/linky/store.lua",
    ["linky.status"] = "lua/linky/status.lua",
    ["linky.tempo"] = "lua/linky/tempo.lua",
    ["linky.tempo_rules"] = "lua/linky/tempo_rules.lua",
    ["linky.token"] = "lua/linky/token.lua",
    ["linky.update"] = "lua/linky/update.lua",
    ["linky.version"] = "lua/linky/version.lua",
  },
  install = {
    bin = { linky = "bin/linky" },
  },
}
test = {
  type = "command",
  command = "make test",
}
