-- `linky tempo`: the colours of the last days fetched into the state file from the configured
-- source and printed; `linky config` masks the RTE credentials. Against the emulator.
local cjson = require "cjson"
local emu = require "spec.support.emulator_spec_helper"
local runner = require "spec.support.cli_runner"

describe("linky tempo", function()
  local server, r

  setup(function() server = emu.start() end)
  teardown(function() server:stop() end)
  before_each(function()
    server:reset()
    server:tempo { today = "2026-04-04" } -- the runner's LINKY_TODAY
    r = runner.new()
    assert(os.execute("mkdir -p " .. emu.quote(r.dir .. "/config/linky")))
  end)
  after_each(function() r:remove() end)

  local function configure(lines)
    r:write("config/linky/config", "tempo_base_url=" .. server.base .. "\n" .. (lines or ""))
  end

  it("prints the last 7 days and tomorrow with their colour, fetched once", function()
    configure()
    local out = r:run { "tempo" }
    assert.equal(0, out.code, out.err)
    local lines = {}
    for line in out.out:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.equal(9, #lines)
    assert.truthy(lines[1]:match("^2026%-03%-28  %a+"), lines[1])
    assert.truthy(lines[9]:match("^2026%-04%-05  %a+"), lines[9])
    assert.equal(1, #server:requests_to("tempo"))
    out = r:run { "tempo", "--format", "json" }
    assert.equal(0, out.code, out.err)
    local doc = cjson.decode(out.out)
    assert.equal("api-couleur-tempo", doc.source)
    assert.equal(0, doc.requests)
    assert.equal(9, #doc.days)
    assert.equal(1, #server:requests_to("tempo"))
  end)

  it("writes with --format csv a colours file that linky cost reads", function()
    configure()
    local out = r:run { "tempo", "--since", "2026-03-20", "--format", "csv", "--output", "colours.csv" }
    assert.equal(0, out.code, out.err)
    local cost = r:run { "cost", "--base-url", server.url, "--token-file", r.token_file, "--tariff",
      runner.ROOT .. "/examples/tariffs/tempo.json", "--colours", r.dir .. "/colours.csv", "--start", "2026-03-28",
      "--end", "2026-04-02" }
    assert.equal(0, cost.code, cost.err)
    assert.equal("", cost.err)
  end)

  it("asks RTE with the configured credentials, never printed nor stored", function()
    configure(("tempo_source=rte\nrte_client_id=%s\nrte_client_secret=%s\n"):format(emu.RTE_CLIENT_ID,
      emu.RTE_CLIENT_SECRET))
    local out = r:run { "tempo", "--format", "jsonl" }
    assert.equal(0, out.code, out.err)
    assert.equal(9, select(2, out.out:gsub("\n", "")))
    assert.equal(2, #server:requests_to("rte"))
    out = r:run { "config" }
    assert.equal(0, out.code, out.err)
    assert.is_nil(out.out:find(emu.RTE_CLIENT_SECRET, 1, true), out.out)
    assert.is_nil(out.out:find(emu.RTE_CLIENT_ID, 1, true), out.out)
    assert.truthy(out.out:find("rte_client_secret = (redacted)", 1, true), out.out)
    local f = assert(io.open(r.dir .. "/state/linky/state.sqlite3", "rb"))
    local bytes = f:read("*a")
    f:close()
    assert.is_nil(bytes:find(emu.RTE_CLIENT_SECRET, 1, true))
  end)

  it("exits 2 for rte without credentials, and 5 when the source's budget is spent", function()
    configure("tempo_source=rte\n")
    assert.equal(2, r:run({ "tempo" }).code)
    configure("tempo_budget=1\n")
    assert.equal(0, r:run({ "tempo", "--since", "2025-09-01" }).code)
    local out = r:run { "tempo", "--since", "2024-01-01" }
    assert.equal(5, out.code, out.err)
    assert.truthy(out.err:find("budget_exhausted", 1, true), out.err)
    assert.equal(1, #server:requests_to("tempo"))
  end)
end)
