--- The `linky` command line, parsed by lua-argparse: commands, their options and their help.
-- `parse` never exits nor prints: help and version are flags the command handles itself (so a
-- full standard output is exit 8), and a usage error is a message (exit 2).
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.cli.args
local argparse = require "argparse"
local linky = require "linky"
local i18n = require "linky.cli.i18n"
local output = require "linky.cli.output"

local M = {}

--- The reference client's short names of the kinds.
M.ALIASES = {
  daily = "daily_consumption", loadcurve = "consumption_load_curve", maxpower = "consumption_max_power",
  dailyprod = "daily_production", loadcurveprod = "production_load_curve",
}
--- The kinds in the order of the help.
M.KINDS = {
  "daily_consumption", "consumption_load_curve", "consumption_max_power", "daily_production",
  "production_load_curve", "consumption_index", "production_index" }
M.SHORT = {}
for short, kind in pairs(M.ALIASES) do M.SHORT[kind] = short end
-- The words a KIND may be (argparse's :choices): the kinds, then their short names.
local KIND_WORDS = {}
for _, kind in ipairs(M.KINDS) do KIND_WORDS[#KIND_WORDS + 1] = kind end
for _, kind in ipairs(M.KINDS) do KIND_WORDS[#KIND_WORDS + 1] = M.SHORT[kind] end

--- A kind from its name or alias, or nil.
function M.kind(name)
  name = M.ALIASES[name] or name
  if linky.kinds[name] then return name end
  return nil
end

local DESCRIPTIONS = {
  daily_consumption = "energy consumed per day, in Wh",
  consumption_load_curve = "mean power consumed per interval (usually 30 min), in W",
  consumption_max_power = "peak apparent power of each day, in VA",
  daily_production = "energy produced per day, in Wh",
  production_load_curve = "mean power produced per interval (usually 30 min), in W",
  consumption_index = "meter index readings (total and per time class), in Wh (2026 API only)",
  production_index = "meter index readings, in Wh (2026 API only)",
}

local PROGRAM_EPILOG = [[
Dates are Paris days (YYYY-MM-DD), the end excluded; the default range is yesterday.
Before sending, a data command plans its requests: when it needs more than the request budget
leaves past the reserve (--reserve, default 5, kept for `linky update`), it sends nothing and
exits 5 (use `linky backfill`, or --max-requests N). Missing or incomplete days are named in a
warning on stderr, whatever the format.

Token (never printed), first found: --token TOKEN (lands in your shell history and in `ps`:
prefer the others); --token-file FILE; LINKY_TOKEN; the config file
(${XDG_CONFIG_HOME:-~/.config}/linky/config, written by `linky auth`). The config file also holds defaults for
prm, api, base_url, user_agent, from and state, and the Tempo colour source (`linky config`);
options win over it.

Files: ${XDG_CONFIG_HOME:-~/.config}/linky/config, the token and the defaults (mode 0600;
`linky auth`, `linky config`); ${XDG_STATE_HOME:-~/.local/state}/linky/state.sqlite3, the state
file: request budget, bans, stored readings (--state).

Environment: LINKY_TOKEN (the token), XDG_CONFIG_HOME and XDG_STATE_HOME (where the files are),
NO_COLOR (no colours), LINKY_TODAY=YYYY-MM-DD (a testing aid: pretends today is that Paris date),
LANG, LC_MESSAGES, LC_ALL (fr...: the command in French). Colours and the progress line only
appear on a terminal.

Exit codes: 0 success; 2 usage error, invalid argument; 3 token refused, expired or missing;
4 no data (not_found); 5 rate limited, budget exhausted, banned, state unusable; 6 server error,
timeout, network, TLS; 7 unexpected answer (bad_request, http_error, invalid_response...) or
stored data that cannot be shown; 8 local file error (--output, standard output, config, token
file, a publish target); 130 interrupted (Ctrl-C); 1 internal error (a bug: please report it).

Examples:
  linky auth < token.txt
  linky daily --last 14d
  linky loadcurve --start 2026-04-01 --end 2026-04-02 --format chart --offpeak 22:00-06:00
  linky daily --last 12m --by month --format csv --output ~/linky/2026.csv
  linky backfill loadcurve --since 2025-06-01
  (crontab -l; linky cron daily loadcurve) | crontab -

`linky help COMMAND` shows a command's options and examples.]]

--- The last paragraph of every command's help (the man page has it once).
M.SEE_ALSO = "Connection and token options, the config file and exit codes: `linky --help`."
local SEE_ALSO = M.SEE_ALSO

-- An option that may be given once (argparse would let a second one win silently).
local function option(cmd, names, description, argname)
  return cmd:option(names, description):argname(argname):overwrite(false)
end

local function new_command(parser, names, summary, description, epilog)
  local cmd = parser:command(names):summary(summary):description(description)
    :epilog(epilog .. "\n\n" .. SEE_ALSO):add_help(false)
  cmd:flag("-h --help", "This help."):target("want_help")
  return cmd
end

-- The options every command that fetches shares: its range, output and plan.
local function range_options(cmd)
  option(cmd, "--start", "First day (default: yesterday).", "DATE")
  option(cmd, "--end", "Day after the last one (excluded).", "DATE")
  option(cmd, "--last", "The last N days, weeks or months before today.", "N{d,w,m}")
end

-- --mode, for the commands that write --output.
local function mode_option(cmd)
  option(cmd, "--mode", "The --output file's exact mode, like 0644 (default: 0600 for a new file).", "OCTAL")
end

local function fetch_options(cmd)
  option(cmd, "--output", "Write to FILE, atomically, folders created (- : standard output).", "FILE")
  mode_option(cmd)
  option(cmd, "--prm", "The meter (default: the config's, else the token's first).", "PRM")
  cmd:flag("--no-cache", "Bypass the store of readings.")
  cmd:flag("--refresh", "Ask again for settled days (missing or incomplete, 7 days old).")
  cmd:flag("--offline", "Answer from the store alone: send nothing; days not stored are gaps.")
  option(cmd, "--max-requests",
    "Send at most N requests, retries included; use what they and the store give.", "N")
  option(cmd, "--reserve", "Requests of the budget left for `linky update` (default 5).", "N")
  cmd:flag("--dry-run", "Print the plan (requests, ranges, days stored and missing, budget); send nothing.")
end

-- --cre, --kva and --hc: a tariff read from the regulator's file.
local function cre_options(cmd, many)
  local cre = option(cmd, "--cre", "A CRE file of the regulated tariffs (Option_Base.csv, _HPHC, _Tempo).",
    "FILE")
  local kva = option(cmd, "--kva", "The subscribed power, in kVA, of the --cre file's rows.", "N")
  if many then
    cre:count("*"):overwrite(true)
    kva:count("*"):overwrite(true)
  end
  option(cmd, "--hc", "Off-peak hours: required for HP/HC, 22:00-06:00 by default for Tempo.",
    "HH:MM-HH:MM[,...]")
end

local function data_command(parser, kind)
  local short = M.SHORT[kind]
  local spec = linky.kinds[kind]
  local curve = spec.load_curve
  local name = short or kind
  local cmd = new_command(parser, kind .. (short and (" " .. short) or ""), DESCRIPTIONS[kind],
    ("%s%s: %s.\nLong ranges are split into requests of %d days at most."):format(kind,
      short and (" (alias " .. short .. ")") or "", DESCRIPTIONS[kind], spec.max_days),
    ("Examples:\n  linky %s --last 7d\n  linky %s --start 2026-04-01 --end %s --format csv%s\n"
      .. "  linky %s --last 1m --by week --format chart\n  linky %s --last 2w --dry-run"):format(name, name,
      curve and "2026-04-02" or "2026-05-01", curve and " --energy" or "", name, name))
  range_options(cmd)
  option(cmd, "--format", "table (default), csv, json, chart, jsonl or influx.", "FORMAT")
    :choices { "table", "csv", "json", "chart", "jsonl", "influx" }
  option(cmd, "--by", "Totals per hour, day, week or month (load curves become energy).", "PERIOD")
    :choices { "hour", "day", "week", "month" }
  cmd:flag("--energy", "Load curves: energy per interval (Wh) as well.")
  option(cmd, "--offpeak", "Load curves: peak/off-peak split (table, chart).", "HH:MM-HH:MM[,...]")
  fetch_options(cmd)
  return cmd
end

-- --publish, --all and --mode of `update`.
local function publish_options(cmd, description)
  option(cmd, "--publish", description, "TARGET"):count("*"):overwrite(true)
  cmd:flag("--all", "With --publish: send every stored day again (a jsonl file is rewritten).")
  option(cmd, "--mode", "With --publish: a file target's exact mode, like 0644.", "OCTAL")
end

local function kinds_argument(cmd, count, description)
  cmd:argument("kinds", description):args(count):argname("KIND"):choices(KIND_WORDS)
end

local function build()
  local parser = argparse("linky"):add_help(false)
    :description("linky: your Linky smart-meter data from Conso API, in the terminal.")
    :epilog(PROGRAM_EPILOG):command_target("command"):require_command(false)
    :help_usage_margin(2):help_description_margin(28)
  parser:flag("-h --help", "This help."):target("want_help")
  parser:flag("--version", "The version.")
  parser:flag("--quiet", "No progress line; update and backfill print only errors.")
  option(parser, "--api", "2026 (default) or legacy.", "API"):choices { "2026", "legacy" }
  option(parser, "--base-url", "The Conso API's base URL.", "URL")
  option(parser, "--user-agent", "Your program, before linky's own User-Agent.", "TEXT")
  option(parser, "--from", "A contact address sent as From.", "EMAIL")
  option(parser, "--timeout", "Seconds a request may take.", "SECONDS")
  option(parser, "--cainfo", "CA certificates to trust.", "FILE")
  option(parser, "--proxy", "A proxy URL.", "URL")
  option(parser, "--state", "The state file: budget, bans, stored readings.", "PATH")
  option(parser, "--token-file", "A file holding the token.", "FILE")
  option(parser, "--token", "The token itself (prefer the others).", "TOKEN")

  for _, kind in ipairs(M.KINDS) do data_command(parser, kind) end

  local cmd = new_command(parser, "cost", "what it cost: the load curve priced with a tariff",
    "cost: prices the consumption load curve (--daily: the daily consumption, for tariffs whose\n"
      .. "classes depend on neither hours nor colours) with a tariff file (JSON: periods of prices and\n"
      .. "subscription, classes by hours, weekdays and Tempo colours; see examples/tariffs/), per day\n"
      .. "or month, with the totals. Tempo colours come from the state file, the missing ones fetched\n"
      .. "as `linky tempo` does (not with --offline), or from --colours FILE. A tariff day without a\n"
      .. "colour leaves its energy unpriced: the cost is partial, a warning names the days, exit 0.\n"
      .. "Like every data command it plans first and is served from the store. --cre FILE.csv --kva N\n"
      .. "prices with the regulator's file of the regulated tariffs instead (see `linky help tariff`).",
    "Examples:\n  linky cost --tariff examples/tariffs/hphc.json --last 1m --by month\n"
      .. "  linky cost --tariff tempo.json --colours tempo-colours.csv --last 7d --format csv\n"
      .. "  linky cost --cre examples/tariffs/Option_Base.csv --kva 9 --last 1m --by month")
  option(cmd, "--tariff", "The tariff (JSON).", "FILE")
  cre_options(cmd)
  option(cmd, "--colours", "Tempo colours from a CSV file with a header date,colour (no request).", "FILE")
  cmd:flag("--daily", "Price the daily consumption instead of the load curve.")
  range_options(cmd)
  option(cmd, "--by", "day (default) or month.", "PERIOD"):choices { "day", "month" }
  option(cmd, "--format", "table (default), csv, json or influx.", "FORMAT")
    :choices { "table", "csv", "json", "influx" }
  fetch_options(cmd)

  cmd = new_command(parser, "tempo", "the Tempo colour of each day, fetched into the state file",
    "tempo: the Tempo colour of each tariff day (06:00 to 06:00) from --since (default: 7 days ago)\n"
      .. "to tomorrow, fetched into the state file from the config's tempo_source (api-couleur-tempo,\n"
      .. "the default, no account; or rte, with rte_client_id and rte_client_secret), within its own\n"
      .. "budget (tempo_budget, default 12 requests in 24 hours). A known colour of a past day is never\n"
      .. "asked again; an unknown one at most once an hour. --format csv writes a --colours file for\n"
      .. "`linky cost`.",
    "Examples:\n  linky tempo\n  linky tempo --since 2025-09-01 --format csv --output colours.csv")
  option(cmd, "--since", "The first day (default: 7 days ago).", "DATE")
  option(cmd, "--format", "table (default), csv, json or jsonl.", "FORMAT")
  option(cmd, "--output", "Write to FILE instead of standard output.", "FILE")
  mode_option(cmd)
  cmd:flag("--offline", "Answer from the state file alone: send nothing.")

  cmd = new_command(parser, "tariff", "a linky tariff from the regulator's file (no request)",
    "tariff: turns a CRE open-data file of the regulated tariffs (Option_Base.csv, Option_HPHC.csv,\n"
      .. "Option_Tempo.csv: data.gouv.fr) into a linky tariff (JSON) holding every dated period of one\n"
      .. "subscribed power, TTC. The option comes from the file's header. --hc is required for HP/HC\n"
      .. "(the hours are in your contract, not in the file), 22:00-06:00 by default for Tempo, refused\n"
      .. "for Base. Sends nothing.",
    "Examples:\n  linky tariff --cre examples/tariffs/Option_Base.csv --kva 9\n"
      .. "  linky tariff --cre Option_HPHC.csv --kva 6 --hc 22:30-06:30 --output hphc.json")
  cre_options(cmd)
  option(cmd, "--output", "Write to FILE, atomically, folders created (- : standard output).", "FILE")
  mode_option(cmd)

  cmd = new_command(parser, "compare", "which offer would have been cheapest on your load curve",
    "compare: prices the same consumption load curve with each offer (--tariff FILE.json, and\n"
      .. "--cre FILE.csv --kva N, in that order: the first is the reference of `difference`) and gives\n"
      .. "per offer its energy, subscription, total and difference, the kWh priced and not priced, and\n"
      .. "the days it does not cover (missing data, no Tempo colour, no price): those are never priced\n"
      .. "as blue nor guessed. Tempo colours come from --colours FILE.csv (header date,colour). Like\n"
      .. "every data command it plans first and is served from the store.",
    "Examples:\n  linky compare --cre Option_Base.csv --kva 9 --tariff examples/tariffs/tempo.json"
      .. " --colours tempo.csv --last 12m\n"
      .. "  linky compare --tariff a.json --tariff b.json --start 2025-01-01 --end 2026-01-01 --format csv")
  option(cmd, "--tariff", "An offer: a tariff (JSON) (several allowed).", "FILE"):count("*"):overwrite(true)
  cre_options(cmd, true)
  option(cmd, "--colours", "Tempo colours: a CSV file with a header date,colour.", "FILE")
  range_options(cmd)
  option(cmd, "--format", "table (default), csv or json.", "FORMAT")
  fetch_options(cmd)

  cmd = new_command(parser, "update", "fetches what is new into the store (for cron)",
    "update: per kind and PRM, fetches what is new into the store (the days not complete of the\n"
      .. "last 7, and once a day the corrections) and says how many days are new or corrected;\n"
      .. "\"up to date\" when it had nothing to ask. It also heals older holes: from the day after the\n"
      .. "newest complete day stored (a machine that was off for days), or --since, newest first,\n"
      .. "within what the budget leaves past a reserve of 5 (and --max-requests); what is left is\n"
      .. "said, and the next update (or `linky backfill`) continues. A failing kind or PRM does not\n"
      .. "stop the others: the exit code is the highest of the failures. KIND defaults to\n"
      .. "daily_consumption. With --publish, what is stored is then published (as `linky publish`\n"
      .. "does), also when a kind failed, and the exit code is the highest of all.",
    "Examples:\n  linky update\n  linky update daily loadcurve --prm 11111111111111 --prm 22222222222222\n"
      .. "  linky update daily loadcurve --publish prometheus:/var/lib/prometheus/node-exporter/linky.prom")
  kinds_argument(cmd, "*", "Kinds to update.")
  option(cmd, "--since", "Start there instead of the default (the last 7 days, or the oldest hole).", "DATE")
  option(cmd, "--max-requests", "Send at most N requests per kind and PRM, retries included.", "N")
  option(cmd, "--prm", "A meter (several allowed).", "PRM"):count("*"):overwrite(true)
  publish_options(cmd, "Then publish to TARGET what is stored (several allowed; see `linky help publish`).")

  cmd = new_command(parser, "backfill", "fills the store from a date, a budget window at a time",
    "backfill: fills the store from --since to yesterday, spending at most what the budget leaves\n"
      .. "past the reserve (or --max-requests), and says how far it is. Run it again (`linky cron\n"
      .. "--backfill`) until it is done. Exit 0 when it progressed or is done, 5 when the budget\n"
      .. "leaves nothing past the reserve.",
    "Examples:\n  linky backfill loadcurve --since 2025-06-01\n"
      .. "  linky backfill daily loadcurve --since 2024-01-01 --max-requests 10")
  kinds_argument(cmd, "+", "Kinds to fill.")
  option(cmd, "--since", "The first day to fill (required).", "DATE")
  option(cmd, "--max-requests", "Send at most N requests per kind and PRM, retries included.", "N")
  option(cmd, "--reserve", "Requests of the budget left for `linky update` (default 5).", "N")
  option(cmd, "--prm", "A meter (several allowed).", "PRM"):count("*"):overwrite(true)

  cmd = new_command(parser, "status", "budget, ban, cool-down, stored days, token expiry",
    "status: the request budget, ban and cool-down of the state file, and per PRM and kind the\n"
      .. "first and last day stored, the last complete one and how many days between them are not\n"
      .. "complete; the token's expiry when a token is configured. Needs no token, sends nothing,\n"
      .. "creates nothing. --format json or prometheus (node_exporter's textfile collector) for\n"
      .. "programs.",
    "Examples:\n  linky status --state ~/.local/state/linky/state.sqlite3\n"
      .. "  linky status --format prometheus --output /var/lib/node-exporter/linky.prom --mode 0644")
  option(cmd, "--format", "table (default), json or prometheus.", "FORMAT")
    :choices { "table", "json", "prometheus" }
  option(cmd, "--output", "Write to FILE instead of standard output.", "FILE")
  mode_option(cmd)

  cmd = new_command(parser, "publish", "writes what is stored to export targets (no request)",
    "publish: writes what the store holds to each TARGET, sending no Conso API request (nothing\n"
      .. "counted in the budget). A word holding :// or starting with prometheus: or jsonl: is a\n"
      .. "target, any other a kind (default: every kind stored for the PRM). Targets:\n"
      .. "  prometheus:/abs/path.prom  the status metrics (`linky status --format prometheus`), for\n"
      .. "                             node_exporter's textfile collector; mode 0644 unless --mode\n"
      .. "  jsonl:/abs/path            appends, as JSON lines, the points of the days new or changed\n"
      .. "                             since the last successful publish to it; a new file is 0600\n"
      .. "                             unless --mode\n"
      .. "Files are written atomically. A target that fails keeps its place: the next publish\n"
      .. "catches up; the exit code is the highest of the failures (8 for a file).",
    "Examples:\n  linky publish prometheus:/var/lib/prometheus/node-exporter/linky.prom\n"
      .. "  linky publish jsonl:/srv/linky/points.jsonl daily loadcurve --mode 0640\n"
      .. "  linky publish jsonl:/srv/linky/points.jsonl --all")
  cmd:argument("words", "Targets, then kinds, in any order."):args("+"):argname("TARGET|KIND")
  option(cmd, "--prm", "A meter (several allowed; default: the config's, else the token's first).", "PRM")
    :count("*"):overwrite(true)
  cmd:flag("--all", "Send every stored day again (a jsonl file is rewritten).")
  option(cmd, "--mode", "A file target's exact mode, like 0640.", "OCTAL")

  cmd = new_command(parser, "clear-ban", "forgets a remembered ban",
    "clear-ban: forgets the ban remembered in the state file, so that requests are sent again.\n"
      .. "A ban is Cloudflare's and permanent unless the maintainer lifts it: clear it once you know\n"
      .. "it was lifted. On a terminal it asks (y or yes); elsewhere it needs --yes. Not confirmed:\n"
      .. "nothing is cleared, exit 2.",
    "Examples:\n  linky clear-ban\n  linky clear-ban --yes --state /srv/linky/state.sqlite3")
  cmd:flag("--yes", "Do not ask.")

  cmd = new_command(parser, "cron", "prints crontab lines for update (and backfill)",
    "cron: prints a crontab line running `linky update` once a day at a random minute between\n"
      .. "6:00 and 10:00, as the Conso API maintainer asks, with absolute paths (the program, the\n"
      .. "state file). With --backfill KIND and --since DATE, a second line runs `linky backfill`\n"
      .. "twice a day, 12 hours apart, at a random minute. With --publish TARGET, the update line also\n"
      .. "publishes (see `linky help publish`). Each value is quoted for the shell and its\n"
      .. "% escaped for cron; a line break in any value is refused (exit 2).",
    "Examples:\n  (crontab -l; linky cron daily loadcurve) | crontab -\n"
      .. "  linky cron daily --backfill loadcurve --since 2025-06-01\n"
      .. "  linky cron daily loadcurve --publish prometheus:/var/lib/prometheus/node-exporter/linky.prom")
  kinds_argument(cmd, "*", "Kinds to update (default daily_consumption).")
  option(cmd, "--prm", "A meter (several allowed).", "PRM"):count("*"):overwrite(true)
  option(cmd, "--backfill", "A kind to backfill (several allowed).", "KIND"):count("*"):overwrite(true)
    :choices(KIND_WORDS)
  option(cmd, "--since", "The first day of the backfill.", "DATE")
  option(cmd, "--publish", "The update line also publishes to TARGET (several allowed).", "TARGET")
    :count("*"):overwrite(true)
  option(cmd, "--output", "Write to FILE instead of standard output.", "FILE")
  mode_option(cmd)

  cmd = new_command(parser, "prms", "the token's PRMs and its expiry (no request)",
    "prms: the token's PRMs (meters) and its expiry date. Reads the token only: no request.",
    "Example:\n  linky prms --token-file ~/.conso-token --format json")
  option(cmd, "--format", "table (default), csv or json.", "FORMAT"):choices { "table", "csv", "json" }
  option(cmd, "--output", "Write to FILE instead of standard output.", "FILE")
  mode_option(cmd)

  new_command(parser, "auth", "stores the token, read from standard input",
    "auth: stores the Conso API token in ${XDG_CONFIG_HOME:-~/.config}/linky/config (mode 0600),\n"
      .. "keeping the file's other settings. The token is read from standard input (without echo on\n"
      .. "a terminal), so it never lands in the shell history; it is checked locally (PRM list,\n"
      .. "expiry) and never printed.",
    "Examples:\n  linky auth               (paste the token, then Enter)\n  linky auth < token.txt")

  cmd = new_command(parser, "config", "lists, shows or sets the config file's defaults",
    "config: the defaults of ${XDG_CONFIG_HOME:-~/.config}/linky/config. Without arguments it lists\n"
      .. "them (the token masked); with KEY it shows one; with KEY VALUE it sets one (checked first),\n"
      .. "keeping the other lines. Keys: prm, api, base_url, user_agent, from, state (an absolute\n"
      .. "path), influx_cafile, mqtt_cafile (absolute paths), mqtt_discovery_prefix, tempo_source\n"
      .. "(api-couleur-tempo or rte), tempo_base_url, tempo_budget (requests in 24 hours), and token,\n"
      .. "influx_password, influx_token, mqtt_password, rte_client_id, rte_client_secret (masked; the\n"
      .. "token set with `linky auth`, the others written in the file: never on the command line).\n"
      .. "Options win over the file.",
    "Examples:\n  linky config\n  linky config prm 11111111111111\n"
      .. "  linky config state /srv/linky/state.sqlite3")
  cmd:argument("key", "The setting."):args("?")
  cmd:argument("value", "Its new value."):args("?")

  cmd = new_command(parser, "help", "a command's help", "help: the help of the program or of a command.",
    "Examples:\n  linky help\n  linky help update")
  cmd:argument("topic", "A command."):args("?"):argname("COMMAND")
  return parser
end

--- A new parser of the command line: the man page and the shell completions are made from it
-- (tools/man.lua, tools/completions.lua).
-- @treturn argparse.Parser
M.parser = build

-- The parser in the command's language: every help text through i18n.t (the man page and the
-- completions keep `M.parser`'s English).
local function localized(p)
  if not i18n.french() then return p end
  -- a paragraph at a time; in examples, the heading and a line's note (the commands stay)
  local function paragraph(text)
    local heading, lines = text:match("^(Examples?:)\n(.*)$")
    if not heading then return i18n.t(text) end
    lines = lines:gsub("([^\n]*)", function(line)
      local command, note = line:match("^(  .-%S)(%s+%(.*%))$")
      if note then return command .. note:gsub("%((.*)%)", function(n) return "(" .. i18n.t(n) .. ")" end) end
    end)
    return i18n.t(heading) .. "\n" .. lines
  end
  local function walk(element)
    for _, field in ipairs { "_description", "_summary", "_epilog" } do
      local text = element[field]
      if text then
        local out = {}
        for part in (text .. "\n\n"):gmatch("(.-)\n\n") do out[#out + 1] = paragraph(part) end
        element[field] = table.concat(out, "\n\n")
      end
    end
    for _, list in ipairs { "_options", "_arguments", "_commands" } do
      for _, child in ipairs(element[list] or {}) do walk(child) end
    end
  end
  walk(p)
  return p
end

local function utf8_len(s)
  return #s:gsub("[\128-\191]", "")
end

-- argparse's own words in a help text: its usage line and group headings.
local function help_words(text)
  if not i18n.french() then return text end
  local usage, rest = text:match("^Usage: (.-)(\n\n.*)$")
  if not usage then usage, rest = text:match("^Usage: (.*)$"), "" end
  local welcome = i18n.t("Usage: ")
  -- the usage's next lines stay aligned under its first word
  usage = welcome .. usage:gsub("\n" .. (" "):rep(#"Usage: "), "\n" .. (" "):rep(utf8_len(welcome)))
  return usage .. rest:gsub("\n(%u%l+):\n", function(heading)
    return "\n" .. i18n.t(heading .. ":") .. "\n"
  end)
end

local parser

--- Parses the command line.
-- @tparam {string,...} argv the arguments
-- @treturn table|nil the arguments (`command`, options by name with `_` for `-`, `kinds`...)
-- @treturn string the usage message
function M.parse(argv)
  parser = parser or localized(build())
  local ok, result = parser:pparse(argv)
  if ok then return result end
  -- argparse quotes the words it refuses: never show one that looks like a token
  result = i18n.line(tostring(result):gsub("\nDid you mean.*$", "")):gsub("'([^']*)'", function(w)
    return "'" .. output.shown(w) .. "'"
  end)
  return nil, result
end

--- The help of the program (no name) or of a command, or nil for an unknown name.
-- @tparam[opt] string name a command or alias
-- @treturn string|nil
function M.help(name)
  parser = parser or localized(build())
  if name == nil then return help_words(parser:get_help()) .. "\n" end
  for _, cmd in ipairs(parser._commands) do
    for _, alias in ipairs(cmd._aliases) do
      if alias == name then return help_words(cmd:get_help()) .. "\n" end
    end
  end
  return nil
end

return M
