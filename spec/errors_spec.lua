-- What an error says: one line for people, the raw body kept for programs.
local linky = require "linky"
local clients = require "spec.support.client"
local emu = require "spec.support.emulator_spec_helper"
local versions = require "spec.support.versions"

describe("linky errors", function()
  local server

  setup(function() server = emu.start() end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)

  it("sums up an upstream HTML page wrapped as a JSON string by its title, keeping the page in body", function()
    server:script { { error = "html_502_wrapped" } }
    local c = assert(clients.new { token = emu.TOKEN1, base_url = server.url })
    local _, err = c:daily_consumption("2026-04-01", "2026-04-02")
    assert.equal("server_error", err.kind)
    assert.equal(502, err.status)
    assert.equal("502 Bad Gateway", err.upstream_description)
    assert.is_nil(err.message:find("[\r\n]"))
    assert.is_nil(err.message:find("<", 1, true))
    assert.truthy(err.message:find("502 Bad Gateway", 1, true))
    assert.truthy(err.body:find("<center><h1>502 Bad Gateway</h1></center>", 1, true))
  end)

  it("keeps every message on one line", function()
    local body = '{"status":500,"message":"Erreur\\ninconnue.\\r\\n  Réessayez plus tard"}'
    server:script { { status = 500, body = body } }
    local _, err = assert(clients.new { token = emu.TOKEN1, base_url = server.url })
      :daily_consumption("2026-04-01", "2026-04-02")
    assert.equal("Erreur inconnue. Réessayez plus tard", err.message)
    assert.is_true(linky.is_error(err))
  end)
end)

describe("linky errors of hostile bodies", function()
  local server

  setup(function() server = emu.start() end)
  teardown(function() server:stop() end)

  it("never decode an error body too dense in arrays, and read it as JSON without fields", function()
    local body = "[" .. ("[],"):rep(400000) .. "[]]"
    server:script { { status = 500, body = body }, { status = 403, body = body } }
    local c = assert(clients.new { token = emu.TOKEN1, base_url = server.url })
    local _, err = c:daily_consumption("2026-04-01", "2026-04-02")
    assert.equal("server_error", err.kind)
    assert.is_true(#err.body <= 4096)
    c = assert(clients.new { token = emu.TOKEN1, base_url = server.url }) -- no cool-down of the 500
    _, err = c:daily_consumption("2026-04-01", "2026-04-02")
    assert.equal("forbidden", err.kind)
  end)
end)

describe("linky errors of non-UTF-8 bodies", function()
  local server

  setup(function() server = emu.start() end)
  teardown(function() server:stop() end)

  it("reach the user as valid UTF-8, the bad bytes as ?", function()
    server:script { { status = 500, body = '{"status":500,"message":"Erreur \233 inconnue"}' },
                    { status = 200, body = '{"grandeur":"caf\233 \255"}' } }
    local _, err = assert(clients.new { token = emu.TOKEN1, base_url = server.url })
      :daily_consumption("2026-04-01", "2026-04-02")
    assert.equal("Erreur ? inconnue", err.message)
    assert.truthy(versions.utf8_len(err.body))
    _, err = assert(clients.new { token = emu.TOKEN1, base_url = server.url })
      :daily_consumption("2026-04-01", "2026-04-02")
    assert.equal("invalid_response", err.kind)
    assert.truthy(versions.utf8_len(err.body))
    assert.truthy(versions.utf8_len(err.message))
  end)
end)

describe("linky error kinds", function()
  local errors = require "linky.errors"

  -- The rows of a markdown table of kinds: kind -> its last column ("yes" or "no").
  local function table_rows(path)
    local rows = {}
    for line in io.lines(path) do
      local kind, retryable = line:match("^| `([%w_]+)` |.*| (%a+) |$")
      if kind then rows[kind] = retryable end
    end
    return rows
  end

  it("include callback_error: not retryable, exit 1 in the command", function()
    local listed = {}
    for _, kind in ipairs(errors.kinds) do listed[kind] = true end
    assert.is_true(listed.callback_error)
    assert.is_false(errors.new("callback_error", "boom").retryable)
    assert.equal(1, require("linky.cli.output").EXIT.callback_error)
  end)

  it("are each a row of docs/library.md's error table, the one home of it, with whether it is retryable",
    function()
    local expected = {}
    for _, kind in ipairs(errors.kinds) do expected[kind] = errors.retryable[kind] and "yes" or "no" end
    assert.same(expected, table_rows("docs/library.md"))
    assert.same({}, table_rows("README.md")) -- the README links to it
    assert.truthy(emu.read_file("README.md"):find("(docs/library.md#errors)", 1, true))
  end)
end)
