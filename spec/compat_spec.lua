-- linky.compat, the shim for what Lua 5.1, 5.2 and LuaJIT lack: its own functions are checked
-- on every interpreter, by loading it where the standard ones are hidden.
local compat = require "linky.compat"
local versions = require "spec.support.versions"

local HERE = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."

-- linky.compat loaded in a copy of the globals without math.tointeger, math.type, table.move,
-- table.pack, table.unpack and utf8: the module as Lua 5.1 sees it.
local function bare()
  local env = {}
  for k, v in pairs(_G) do env[k] = v end
  env.math, env.table = {}, {}
  for k, v in pairs(math) do env.math[k] = v end
  for k, v in pairs(table) do env.table[k] = v end
  env.math.tointeger, env.math.type = nil, nil
  env.table.move, env.table.pack, env.table.unpack = nil, nil, nil
  env.unpack = table.unpack or unpack
  env.utf8 = nil
  env._G = env
  local f = assert(io.open(HERE .. "/../lua/linky/compat.lua", "rb"))
  local code = f:read("*a")
  f:close()
  return assert(versions.load(code, "=compat.lua", env))()
end

local own = bare()

describe("linky.compat", function()
  it("is the standard library where the interpreter has it", function()
    if math.type then
      assert.equal(math.tointeger, compat.tointeger)
      assert.equal(math.type, compat.type)
      assert.is_true(compat.INTEGERS)
    else
      assert.is_false(compat.INTEGERS)
    end
    assert.equal(table.unpack or unpack, compat.unpack)
    if rawget(_G, "utf8") then assert.equal(utf8.len, compat.utf8_len) end
    assert.is_false(own.INTEGERS)
  end)

  it("tointeger and type: an integer is a number with an integral value below 2^53 in magnitude", function()
    for _, v in ipairs { 0, 1, -1, 42, 2 ^ 53 - 1, -(2 ^ 53 - 1), 1e15 } do
      assert.equal(v, own.tointeger(v), tostring(v))
      assert.equal("integer", own.type(v), tostring(v))
    end
    for _, v in ipairs { 0.5, -1.25, 2 ^ 53, -(2 ^ 53), 2 ^ 63, 1e300, math.huge, -math.huge, 0 / 0 } do
      assert.is_nil(own.tointeger(v), tostring(v))
      assert.equal("float", own.type(v), tostring(v))
    end
    for _, v in ipairs { "3", true, {}, print } do
      assert.is_nil(own.tointeger(v), tostring(v))
      assert.is_nil(own.type(v), tostring(v))
    end
    assert.is_nil(own.tointeger(nil))
    assert.is_nil(own.type(nil))
  end)

  it("divmod divides integers below 2^53 exactly, flooring", function()
    local big = 2 ^ 53 - 1 -- 9007199254740991 = 7200 × 1250999896491 + 5791
    for _, c in ipairs { { 7, 2, 3, 1 }, { -7, 2, -4, 1 }, { 0, 5, 0, 0 }, { -6, 3, -2, 0 },
                         { big, 7200, 1250999896491, 5791 }, { -big, 7200, -1250999896492, 1409 },
                         { big, 3, 3002399751580330, 1 }, { big - 1, big, 0, big - 1 } } do
      local q, r = compat.divmod(c[1], c[2])
      assert.same({ c[3], c[4] }, { q, r }, c[1] .. " / " .. c[2])
      q, r = own.divmod(c[1], c[2])
      assert.same({ c[3], c[4] }, { q, r }, c[1] .. " / " .. c[2])
    end
  end)

  it("move copies a range forwards, backwards over itself, and into another table", function()
    for _, m in ipairs { own.move, compat.move } do
      assert.same({ 1, 2, 3, 1, 2 }, m({ 1, 2, 3, 4, 5 }, 1, 2, 4))
      assert.same({ 1, 1, 2, 3, 5 }, m({ 1, 2, 3, 4, 5 }, 1, 3, 2))
      assert.same({ 2, 3, 4, 4, 5 }, m({ 1, 2, 3, 4, 5 }, 2, 4, 1))
      assert.same({ "x", 2, 3 }, m({ 1, 2, 3 }, 2, 3, 2, { "x" }))
      assert.same({ 1, 2 }, m({ 1, 2 }, 3, 2, 1))
    end
  end)

  it("pack counts trailing nils and unpack gives them back", function()
    for _, c in ipairs { own, compat } do
      local t = c.pack(1, nil, 3, nil)
      assert.equal(4, t.n)
      assert.same({ 1, nil, 3, nil }, { c.unpack(t, 1, t.n) })
      assert.equal(0, c.pack().n)
    end
  end)

  it("utf8_len counts characters and names the first byte of an invalid sequence, as Lua 5.4", function()
    local cases = {
      { "", 0 }, { "abc", 3 }, { "caf\195\169", 4 }, { "\226\130\172 \240\159\152\128", 3 },
      { "\244\143\191\191", 1 }, { "\237\159\191", 1 },
      { "\128", nil, 1 }, { "ab\255", nil, 3 }, { "\192\175", nil, 1 }, { "\224\128\175", nil, 1 },
      { "\240\128\128\175", nil, 1 }, { "\237\160\128", nil, 1 }, { "\244\144\128\128", nil, 1 },
      { "\245\128\128\128", nil, 1 }, { "x\195", nil, 2 }, { "x\226\130", nil, 2 }, { "caf\233", nil, 4 },
    }
    local lens = { own.utf8_len }
    if versions.VERSION == "5.4" then lens[2] = utf8.len end -- 5.3's accepts surrogates
    for _, len in ipairs(lens) do
      for _, case in ipairs(cases) do
        local n, bad = len(case[1])
        assert.equal(case[2], n, case[1])
        if not case[2] then assert.equal(case[3], bad, case[1]) end
      end
      assert.equal(2, len("ab\255cd", 4))
      assert.same({ nil, 3 }, { len("ab\255cd", 2) })
      assert.equal(1, len("\195\169x", 1, 1))
    end
  end)

  it("utf8_char writes every length of UTF-8 sequence", function()
    for _, c in ipairs { own, compat } do
      assert.equal("", c.utf8_char())
      assert.equal("A\195\169\226\130\172\240\159\152\128\244\143\191\191",
        c.utf8_char(65, 0xE9, 0x20AC, 0x1F600, 0x10FFFF))
      assert.equal("\127\194\128\223\191\224\160\128\239\191\191\240\144\128\128",
        c.utf8_char(0x7F, 0x80, 0x7FF, 0x800, 0xFFFF, 0x10000))
    end
  end)
end)
