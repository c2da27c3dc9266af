-- The linky command in French (LANG=fr_FR.UTF-8): every command, its help, usage errors,
-- library errors, warnings and tables run with LINKY_I18N_MISSING, which records each string the
-- catalogue lacks; the record must stay empty, and what is printed must hold none of the
-- English words below (a string printed without passing through the catalogue). A few French
-- outputs are asserted literally.
local emu = require "spec.support.emulator_spec_helper"
local cli_runner = require "spec.support.cli_runner"

local read = emu.read_file

-- English words that no French line of linky holds (kinds, options and file names aside; not
-- the words French shares, like budget, total, date, options, or the values of --by).
local ENGLISH = {}
for w in ([[the of and to is not with for cannot this that needs takes must days request
    requests warning error usage commands nothing left after before run give yet known
    stored store sends sent send what when which without would there their none only
    values missing unit up saved expires expired forgotten cleared shows lists fetched into new
    corrected fills done complete kinds kind fill retry waiting see examples example unknown]]):gmatch("%a+") do
  ENGLISH[w] = true
end

-- The English words of a French output: the library's English message after an error's French
-- label, quoted words, options, paths, identifiers and commands in backquotes left out.
local function english_words(text)
  local found = {}
  for line in text:gmatch("[^\n]+") do
    line = line:gsub("^(linky: [^:]- : )%l[%l_]*[ :].*$", "%1") -- a library error: label, then English
      :gsub("`[^`]*`", " "):gsub("'[^']*'", " "):gsub("%-%-[%w-]+", " "):gsub("[%w_.-]*/[%w_./-]*", " ")
      :gsub("[%w]+_[%w_]+", " "):gsub("[%w_-]+%.%a+", " ")
    -- words, accented letters included (the bytes of UTF-8 sequences: "unité" is not "unit");
    -- lowercase only: not the metavariables (FILE, DATE)
    for w in line:gmatch("[%a\128-\255]+") do
      if ENGLISH[w] then found[#found + 1] = w .. " in: " .. line end
    end
  end
  return found
end

describe("linky command in French #french", function()
  local h = cli_runner.harness()
  setup(h.start) teardown(h.stop) before_each(h.fresh) after_each(h.clean)

  local record
  local outputs

  before_each(function()
    record = h.dir .. "/missing.txt"
    outputs = {}
  end)

  local function env(more)
    local e = { LANG = "fr_FR.UTF-8", LC_ALL = false, LC_MESSAGES = false, LINKY_I18N_MISSING = record }
    for k, v in pairs(more or {}) do e[k] = v end
    return e
  end

  -- linky in French, what it printed kept for the checks; `human` false: standard output is
  -- data (CSV, JSON), not checked for English.
  local function fr(args, opts, human)
    opts = opts or {}
    opts.env = env(opts.env)
    local r = h.runner:run(args, opts)
    outputs[#outputs + 1] = r.err
    if human ~= false then outputs[#outputs + 1] = r.out end
    return r
  end

  local function frdata(args, opts, human)
    local full = { "--base-url", h.server.url, "--token-file", h.runner.token_file }
    for _, a in ipairs(args) do full[#full + 1] = a end
    return fr(full, opts, human)
  end

  -- Nothing untranslated: the record is empty and no English word was printed.
  local function all_french()
    assert.equal("", read(record) or "", "strings the catalogue lacks")
    local found = {}
    for _, text in ipairs(outputs) do
      for _, f in ipairs(english_words(text)) do found[#found + 1] = f end
    end
    assert.same({}, found)
  end

  it("speaks French from LC_ALL, else LC_MESSAGES, else LANG", function()
    local r = h.runner:run({ "--help" }, { env = { LANG = "fr_FR.UTF-8", LC_ALL = false, LC_MESSAGES = false } })
    assert.truthy(r.out:find("^Utilisation : linky "), r.out)
    r = h.runner:run({ "--help" }, { env = { LANG = "fr_FR.UTF-8", LC_ALL = "C", LC_MESSAGES = false } })
    assert.truthy(r.out:find("^Usage: linky "), r.out)
    r = h.runner:run({ "--help" }, { env = { LANG = "C", LC_ALL = false, LC_MESSAGES = "fr_CA.UTF-8" } })
    assert.truthy(r.out:find("^Utilisation : linky "), r.out)
    r = h.runner:run({ "--help" }, { env = { LANG = false, LC_ALL = "fr_BE", LC_MESSAGES = "C" } })
    assert.truthy(r.out:find("^Utilisation : linky "), r.out)
  end)

  it("translates the help of the program and of every command", function()
    local r = fr { "--help" }
    assert.equal(0, r.code)
    assert.truthy(r.out:find("\nOptions :\n  %-h, %-%-help                Cette aide%.\n"), r.out)
    assert.truthy(r.out:find("\nCommandes :\n"), r.out)
    assert.truthy(r.out:find("linky : les données de votre compteur Linky, de Conso API au terminal.", 1, true))
    for _, cmd in ipairs { "daily", "loadcurve", "maxpower", "dailyprod", "loadcurveprod", "consumption_index",
        "production_index", "cost", "tempo", "tariff", "compare", "update", "backfill", "status", "publish",
        "clear-ban", "cron", "prms", "auth", "config", "help" } do
      r = fr { "help", cmd }
      assert.equal(0, r.code, cmd)
      assert.truthy(r.out:find("^Utilisation : linky "), r.out)
      assert.truthy(r.out:find("\nExemples? :\n"), r.out)
    end
    r = fr {}
    assert.equal(2, r.code)
    all_french()
  end)

  it("translates usage errors, argparse's and linky's, with the same exit code", function()
    local r = fr { "daily", "--frob" }
    assert.equal(2, r.code)
    assert.equal("linky: utilisation : option inconnue '--frob' (voir linky --help)\n", r.err)
    assert.equal(2, fr({ "daily", "--format", "xml" }).code)
    assert.equal(2, fr({ "nothing" }).code)
    assert.equal(2, fr({ "daily", "--start", "a", "--start", "b" }).code)
    assert.equal(2, fr({ "help", "nothing" }).code)
    assert.equal(2, fr({ "daily", "--energy" }).code)
    assert.equal(2, fr({ "daily", "--mode", "0644" }).code)
    assert.equal(2, fr({ "update", "--since", "1999-01-01" }).code)
    assert.equal(2, fr({ "backfill", "daily" }).code)
    assert.equal(2, fr({ "publish", "daily" }).code)
    assert.equal(2, fr({ "cost" }).code)
    assert.equal(2, fr({ "tariff" }).code)
    assert.equal(2, fr({ "compare" }).code)
    assert.equal(2, fr({ "cron", "--since", "2026-01-01" }).code)
    assert.equal(2, fr({ "cron", "--backfill", "daily" }).code)
    assert.equal(2, fr({ "config", "frob" }).code)
    assert.equal(2, fr({ "tempo", "--since", "x" }).code)
    all_french()
  end)

  it("labels a library error in French, its kind and English message kept, the exit code unchanged", function()
    local r = frdata { "loadcurve", "--start", "2025-06-01", "--end", "2026-04-01", "--format", "csv" }
    assert.equal(5, r.code)
    assert.truthy(r.err:find("^linky: budget épuisé : budget_exhausted: "), r.err)
    r = fr({ "daily" }, { env = { LINKY_TOKEN = "not-a-token" } })
    assert.equal(3, r.code)
    assert.truthy(r.err:find("^linky: argument invalide : invalid_argument: "), r.err)
    r = fr { "daily" }
    assert.equal(3, r.code)
    all_french()
  end)

  it("translates the daily table: its headers, totals and weekday names", function()
    local r = frdata { "daily", "--start", "2026-03-30", "--end", "2026-04-04" }
    assert.equal(0, r.code, r.err)
    assert.truthy(r.out:find("\n2026%-03%-30 lun +[%d ]+ Wh"), r.out)
    assert.truthy(r.out:find("\njour ", 1, true) or r.out:find("\ndate ", 1, true), r.out)
    all_french()
  end)

  -- The charts, the --dry-run plan, the warnings and the reports of update, backfill, status,
  -- publish, cron, prms, auth, config, tempo, clear-ban, tariff, cost and compare.
  it("translates the charts, the plan, warnings and every command's report", function()
    assert.equal(0, frdata({ "loadcurve", "--start", "2026-04-01", "--end", "2026-04-02", "--format", "chart",
      "--offpeak", "22:00-06:00" }).code)
    assert.equal(0, frdata({ "daily", "--last", "2m", "--by", "month" }).code)
    assert.equal(0, frdata({ "daily", "--last", "14d", "--dry-run" }).code)
    assert.equal(0, frdata({ "loadcurve", "--start", "2026-03-01", "--end", "2026-03-22", "--max-requests", "1",
      "--format", "csv" }, nil, false).code)
    assert.equal(0, frdata({ "update", "daily" }).code)
    assert.equal(0, frdata({ "update", "daily" }).code)
    assert.equal(0, frdata({ "backfill", "daily", "--since", "2026-01-01" }).code)
    assert.equal(0, fr({ "status" }).code)
    assert.equal(0, fr({ "publish", "jsonl:" .. h.dir .. "/points.jsonl" }).code)
    assert.equal(0, fr({ "cron", "daily" }, nil, false).code)
    assert.equal(0, fr({ "prms", "--token-file", h.runner.token_file }).code)
    assert.equal(0, fr({ "auth" }, { stdin = emu.TOKEN1 .. "\n" }).code)
    assert.equal(0, fr({ "config", "prm", emu.PRM1 }).code)
    assert.equal(0, fr({ "config" }).code)
    h.server:tempo { today = "2026-04-04" } -- the runner's LINKY_TODAY
    assert.equal(0, fr({ "config", "tempo_base_url", h.server.base }).code)
    assert.equal(0, fr({ "tempo" }).code)
    assert.equal(0, fr({ "clear-ban", "--yes" }).code)
    assert.equal(0, fr({ "tariff", "--cre", cli_runner.ROOT .. "/examples/tariffs/Option_Base.csv", "--kva", "9" },
      nil, false).code)
    assert.equal(0, frdata({ "cost", "--tariff", cli_runner.ROOT .. "/examples/tariffs/base.json", "--daily",
      "--start", "2026-03-30", "--end", "2026-04-04" }).code)
    local offers = { cli_runner.ROOT .. "/examples/tariffs/base.json",
      cli_runner.ROOT .. "/examples/tariffs/weekend.json" }
    local r = frdata({ "compare", "--tariff", offers[1], "--tariff", offers[2], "--start", "2026-03-30", "--end",
      "2026-04-04" }, nil, false)
    assert.equal(0, r.code)
    -- the offers' names are the tariff files' data (English here), as the table shows them
    local shown = r.out
    for _, path in ipairs(offers) do
      local name = require("dkjson").decode(read(path)).name:sub(1, 48)
      shown = shown:gsub(name:gsub("%p", "%%%0"), "")
    end
    outputs[#outputs + 1] = shown
    all_french()
  end)

  it("leaves data formats, exit codes and English alone", function()
    local r = frdata { "daily", "--start", "2026-03-30", "--end", "2026-04-04", "--format", "csv" }
    assert.equal(0, r.code)
    assert.truthy(r.out:find("^date,value\n") or r.out:find("^date,"), r.out)
    r = h.runner:run({ "daily", "--frob" }, { env = { LANG = "C", LC_ALL = false, LC_MESSAGES = false } })
    assert.equal("linky: usage: unknown option '--frob' (see linky --help)\n", r.err)
  end)
end)
