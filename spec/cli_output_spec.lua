-- The linky command never loses output silently: a write to standard output or to --output that
-- fails is exit 8 with one line, and --output replaces regular files only, atomically, through a
-- new temporary file.
local emu = require "spec.support.emulator_spec_helper"
local cli_runner = require "spec.support.cli_runner"
local compat = require "linky.compat"

local quote, read = emu.quote, emu.read_file

local DAILY_CSV = "date,value,unit,time\n2026-04-01,9271,Wh,1774994400\n2026-04-02,12724,Wh,1775080800\n2026-04-03,14054,Wh,1775167200\n"

-- What a path is, as stat(1) says ("regular file", "fifo", ...), and its permission bits.
local function stat(path)
  local p = assert(io.popen("stat -c '%F %a' " .. quote(path) .. " 2>/dev/null"))
  local out = p:read("*l")
  p:close()
  return out
end

local function listing(folder)
  local p = assert(io.popen("ls -A " .. quote(folder)))
  local out = p:read("*a")
  p:close()
  return out
end

describe("linky command output", function()
  local h = cli_runner.harness()
  setup(h.start) teardown(h.stop) before_each(h.fresh) after_each(h.clean)
  local data = h.data

  local DAILY = { "daily", "--start", "2026-04-01", "--end", "2026-04-04" }
  local function daily(...)
    local args = { compat.unpack(DAILY) }
    for _, a in ipairs { ... } do args[#args + 1] = a end
    return args
  end

  describe("to standard output", function()
    it("is exit 8 with one line when the disk is full, for data, help and every other command", function()
      for _, args in ipairs {
        daily("--format", "csv"), daily(), daily("--format", "json"), daily("--format", "chart"),
        { "--help" }, { "help", "daily" }, { "daily", "--help" }, { "--version" }, { "prms" }, { "cron" },
      } do
        local r = data(args, { stdout = ">/dev/full" })
        local what = table.concat(args, " ")
        assert.equal(8, r.code, what .. "\n" .. r.err)
        assert.truthy(r.err:match("^linky: cannot write to standard output: [^\n]+\n$"), what .. "\n" .. r.err)
      end
    end)

    it("is exit 8 when standard output is closed", function()
      local r = data(daily("--format", "csv"), { stdout = ">&-" })
      assert.equal(8, r.code, r.err)
      assert.truthy(r.err:match("^linky: cannot write to standard output: [^\n]+\n$"), r.err)
    end)

    it("is exit 8 when the command could write only part of the output, after the fetch error", function()
      h.server:script { { type = "courbe_de_charge_consommation" },
        { type = "courbe_de_charge_consommation", error = "unknown_500" } }
      local r = data({ "loadcurve", "--start", "2026-03-01", "--end", "2026-03-11", "--format", "csv" },
        { stdout = ">/dev/full" })
      assert.equal(8, r.code, r.err)
      assert.truthy(r.err:find("^linky: cannot write to standard output: [^\n]+\n"), r.err)
      assert.truthy(r.err:find("\nlinky: server_error", 1, true), r.err)
    end)
  end)

  describe("--output", function()
    it("is exit 8 when the file cannot take the bytes, leaving the old file and no temporary one", function()
      assert(os.execute("mkdir -p " .. quote(h.dir .. "/out")))
      local target = h.runner:write("out/curve.json", "old")
      -- the points go to the store first; then a file size limit (SIGXFSZ ignored) makes the
      -- system refuse the 60 kB of JSON (EFBIG), while the store is only read
      local args = { "loadcurve", "--start", "2026-03-01", "--end", "2026-03-15", "--format", "json",
        "--state", h.dir .. "/state.sqlite3" }
      assert.equal(0, data(args).code)
      compat.move({ "--output", target }, 1, 2, #args + 1, args)
      local r = data(args, { before = "trap '' XFSZ; ulimit -f 100;" })
      assert.equal(8, r.code, r.err)
      assert.truthy(r.err:match("^linky: cannot write [^\n]+\n$"), r.err)
      assert.equal("old", read(target))
      assert.equal("curve.json\n", listing(h.dir .. "/out"))
      assert.equal(2, #h.server:api_requests()) -- the first run's: the second sent nothing
    end)

    it("refuses what is not a regular file (folder, FIFO, device, link to one) and leaves it as it was", function()
      assert(os.execute(("mkdir %s && mkfifo %s && ln -s fifo %s"):format(quote(h.dir .. "/folder"),
        quote(h.dir .. "/fifo"), quote(h.dir .. "/link-to-fifo"))))
      -- a device of our own when we may make one (root), else the system's: out of our reach
      local device = h.dir .. "/null"
      if not os.execute("mknod " .. quote(device) .. " c 1 3 2>/dev/null") then device = "/dev/null" end
      assert(os.execute("ln -s " .. quote(device) .. " " .. quote(h.dir .. "/link-to-device")))
      local before = {}
      local targets = { h.dir .. "/folder", h.dir .. "/fifo", device, h.dir .. "/link-to-fifo", h.dir .. "/link-to-device" }
      for i, t in ipairs(targets) do before[i] = stat(t) end
      for i, t in ipairs(targets) do
        local r = data(daily("--format", "csv", "--output", t))
        assert.equal(8, r.code, t .. "\n" .. r.err)
        assert.truthy(r.err:match("^linky: cannot write [^\n]+: [^\n]+\n$"), r.err)
        assert.equal(before[i], stat(t), t)
      end
      assert.equal("", listing(h.dir .. "/folder"))
      assert.equal("config\nfifo\nfolder\nlink-to-device\nlink-to-fifo\n" .. (device == "/dev/null" and "" or "null\n")
        .. "state\nstderr\nstdout\ntoken\n", listing(h.dir))
    end)

    it("creates a new file with mode 0600 and keeps the mode of a file it replaces", function()
      local fresh = h.dir .. "/fresh.csv"
      assert.equal(0, data(daily("--format", "csv", "--output", fresh)).code)
      assert.equal("regular file 600", stat(fresh))
      local kept = h.runner:write("kept.csv", "old")
      assert(os.execute("chmod 0644 " .. quote(kept)))
      local r = data(daily("--format", "csv", "--output", kept), { before = "umask 077;" })
      assert.equal(0, r.code, r.err)
      assert.equal("regular file 644", stat(kept))
      assert.equal(DAILY_CSV, read(kept))
    end)

    it("replaces a link to a regular file by a file of its mode, leaving what it pointed to untouched", function()
      h.runner:write("target.csv", "old")
      assert(os.execute("chmod 0640 " .. quote(h.dir .. "/target.csv") .. " && ln -s target.csv " .. quote(h.dir .. "/link.csv")))
      local r = data(daily("--format", "csv", "--output", h.dir .. "/link.csv"))
      assert.equal(0, r.code, r.err)
      assert.equal("regular file 640", stat(h.dir .. "/link.csv"))
      assert.equal(DAILY_CSV, read(h.dir .. "/link.csv"))
      assert.equal("old", read(h.dir .. "/target.csv"))
    end)

    it("leaves no temporary file when a raise (or SIGINT) interrupts the write", function()
      local cli = require "linky.cli"
      local target = h.runner:write("kept.csv", "old")
      assert.has_error(function() cli.write_atomic(target, setmetatable({}, { __name = "not text" })) end)
      assert.equal("config\nkept.csv\ntoken\n", listing(h.dir))
      assert.equal("old", read(target))
    end)

    it("is a usage error when empty", function()
      local r = data(daily("--output", ""))
      assert.equal(2, r.code)
      assert.truthy(r.err:find("^linky: usage: "))
    end)
  end)
end)
