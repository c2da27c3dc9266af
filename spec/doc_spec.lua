-- The API reference (make doc): public modules only, every <kind> and <close> escaped, and
-- methods named Client:... as users call them.
local emu = require "spec.support.emulator_spec_helper"

local quote, read = emu.quote, emu.read_file

describe("linky reference", function()
  local dir

  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    -- as make doc runs it: under Lua 5.1, where Debian's lua-markdown lives
    local ldoc = os.getenv("LDOC") or "lua5.1 /usr/bin/ldoc"
    assert(os.execute(ldoc .. " --fatalwarnings --dir " .. quote(dir) .. " . >/dev/null 2>&1"), "ldoc failed")
  end)
  teardown(function() os.execute("rm -rf " .. quote(dir)) end)

  it("documents the public modules only", function()
    local p = assert(io.popen("ls " .. quote(dir .. "/modules")))
    local files = {}
    for name in p:lines() do files[#files + 1] = name end
    p:close()
    assert.same({ "linky.analysis.html", "linky.compare.html", "linky.cost.html", "linky.cqueues.html",
                  "linky.errors.html",
                  "linky.format.influx.html", "linky.format.jsonl.html", "linky.format.status.html", "linky.html",
                  "linky.kinds.html", "linky.luv.html", "linky.publish.html", "linky.tempo.html" }, files)
  end)

  it("publishes the README and the pages of docs/ beside the reference", function()
    local p = assert(io.popen("ls " .. quote(dir .. "/topics")))
    local pages = {}
    for name in p:lines() do pages[#pages + 1] = name end
    p:close()
    assert.same({ "README.md.html", "ban-safety.md.html", "command.md.html", "contributing.md.html", "costs.md.html",
                  "exports.md.html", "install.md.html", "library.md.html", "performance.md.html",
                  "reliability.md.html" }, pages)
  end)

  it("escapes <kind> and <close>, and names methods Client:...", function()
    local html = assert(read(dir .. "/modules/linky.html"))
    local text = html:gsub("<code>.-</code>", function(code) return code:gsub("<", "[") end)
    assert.is_nil(text:find("<kind>", 1, true))
    assert.is_nil(text:find("<close>", 1, true))
    assert.truthy(html:find("client:&lt;kind&gt;", 1, true))
    assert.truthy(html:find("&lt;close&gt;", 1, true))
    assert.is_nil(html:find("methods:", 1, true))
    for _, name in ipairs { "fetch", "plan", "update", "budget", "clear_ban", "close", "daily_consumption" } do
      assert.truthy(html:find('name = "Client:' .. name .. '"', 1, true), name)
    end
  end)
end)
