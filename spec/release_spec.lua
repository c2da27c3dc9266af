-- The release (issue 28): one version, written in lua/linky/version.lua alone and read by the C
-- core, the module, the command and the versioned rockspec; the man page and the shell
-- completions made from the argument parser (tools/man.lua, tools/completions.lua) name every
-- command and option `--help` names, man reads the page without a warning, bash, zsh and fish
-- complete commands and values; make install puts them where man and the shells look.
local emu = require "spec.support.emulator_spec_helper"
local cli_runner = require "spec.support.cli_runner"
local tools = require "spec.support.tools"
local versions = require "spec.support.versions"

local quote, read = emu.quote, emu.read_file
local LUA, NAME = versions.LUA, versions.NAME

local VERSION = require "linky.version"

-- Output of a shell command (standard error apart), and whether it succeeded.
local function sh(command)
  local p = assert(io.popen(command))
  local out = p:read("*a")
  local ok, _, code = p:close()
  return out, ok == true or code == 0
end

-- package.searchpath, which Lua 5.1 lacks: the first file of `path` that opens.
local function searchpath(name, path)
  for template in path:gmatch("[^;]+") do
    local file = template:gsub("%?", (name:gsub("%.", "/")))
    if read(file) then return file end
  end
end

local function lines(text)
  local list = {}
  for l in text:gmatch("[^\n]+") do list[#list + 1] = l end
  return list
end

local function rockspec(path)
  local env = {}
  assert(versions.load(read(path), path, env))()
  return env
end

-- The generated files, made as the Makefile makes them, with the module under test.
local function generate(dir)
  assert(os.execute(("mkdir -p %s"):format(quote(dir))))
  for _, c in ipairs { "tools/man.lua " .. quote(dir .. "/linky.1"),
                       "tools/completions.lua bash " .. quote(dir .. "/linky"),
                       "tools/completions.lua zsh " .. quote(dir .. "/_linky"),
                       "tools/completions.lua fish " .. quote(dir .. "/linky.fish") } do
    local out, ok = sh(LUA .. " " .. c .. " 2>&1")
    assert(ok, out)
  end
end

-- The long options (and -h) a help text names, in the Options block of a `--help`.
local function help_options(help)
  local found, inside = {}, false
  for l in (help .. "\n"):gmatch("(.-)\n") do
    if l:match("^Options:") then inside = true
    elseif l:match("^%S") then inside = false
    elseif inside then
      for o in l:gmatch("^%s+(%-[%w%-]*)") do found[#found + 1] = o end
      for o in l:gmatch(",%s+(%-%-[%w%-]+)") do found[#found + 1] = o end
    end
  end
  return found
end

-- The commands `linky --help` lists (their first names).
local function help_commands(help)
  local found, inside = {}, false
  for l in (help .. "\n"):gmatch("(.-)\n") do
    if l:match("^Commands:") then inside = true
    elseif l:match("^%S") or l == "" then inside = false
    elseif inside then
      local name = l:match("^  ([%w_%-]+)")
      if name then found[#found + 1] = name end
    end
  end
  return found
end

-- The man page's source: the option names of each `.TP` label per section, by the section's
-- title (`.SH` or `.SS`, the first of its names).
local function man_options(page)
  local sections, current = {}, nil
  local label_next = false
  for l in (page .. "\n"):gmatch("(.-)\n") do
    local title = l:match('^%.S[HS] "?([^",]+)')
    if title then
      current = title:gsub("\\%-", "-")
      sections[current] = sections[current] or {}
    elseif l == ".TP" then
      label_next = true
    elseif label_next then
      label_next = false
      for o in l:gsub("\\%-", "-"):gmatch("\\fB(%-[%w%-]*)\\fR") do sections[current][o] = true end
    end
  end
  return sections
end

describe("linky release", function()
  local runner, dir
  before_each(function()
    runner = cli_runner.new()
    dir = runner.dir
  end)
  after_each(function() runner:remove() end)

  describe("version", function()
    it("is written in lua/linky/version.lua alone", function()
      local pattern = VERSION:gsub("%.", "\\.")
      local out = sh(("grep -rlE %s lua csrc bin tools Makefile | sort"):format(quote('"' .. pattern .. '"')))
      assert.same({ "lua/linky/version.lua" }, lines(out))
      out = sh("grep -rnE '\\._VERSION[[:space:]]*=[[:space:]]*\"|#define LINKY_[A-Z_]*VERSION' lua csrc bin")
      assert.same({}, lines(out))
    end)

    it("is the module's, its C core's and the command's", function()
      local linky = require "linky"
      assert.equal(VERSION, linky._VERSION)
      -- a rock built from the scm rockspec says scm (make rock runs this suite on its tree)
      assert.equal(os.getenv("LINKY_EXPECT_TREE") and "scm" or VERSION, require("linky.core")._VERSION)
      assert.equal(VERSION, require("linky.compat")._VERSION)
      assert.equal("linky " .. VERSION .. "\n", runner:run({ "--version" }).out)
    end)

    it("has a rockspec of its own that builds what the scm rockspec builds", function()
      local path = "rockspec/linky-" .. VERSION .. "-1.rockspec"
      local release = rockspec(path)
      assert.equal(VERSION .. "-1", release.version)
      assert.equal("@RELEASE_URL@", release.source.url)
      -- the same text from the description on (the C core's define is the rock's own version)
      local function rest(text) return text:match("\ndescription = {.*$") end
      assert.equal(rest(read("rockspec/linky-scm-1.rockspec")), rest(read(path)))
    end)

    it("has its section in CHANGELOG.md, under the Unreleased one", function()
      local headings = {}
      for h in read("CHANGELOG.md"):gmatch("\n## ([^\n]*)") do headings[#headings + 1] = h end
      assert.equal("[Unreleased]", headings[1])
      assert.truthy(headings[2] and headings[2]:find("[" .. VERSION .. "]", 1, true), headings[2])
    end)
  end)

  describe("man page", function()
    it("names every option of linky --help and of each command's help, in its section", function()
      generate(dir)
      local sections = man_options(read(dir .. "/linky.1"))
      local help = runner:run({ "--help" }).out
      local commands = help_commands(help)
      assert.is_true(#commands >= 17, help)
      for _, o in ipairs(help_options(help)) do
        assert.is_true(sections.OPTIONS[o] == true, o .. " is not in OPTIONS")
      end
      for _, cmd in ipairs(commands) do
        -- `linky help COMMAND`, the text of `linky COMMAND --help` (which backfill, whose KIND is
        -- required, refuses: argparse checks arguments before the command sees --help)
        local r = runner:run({ "help", cmd })
        assert.equal(0, r.code, cmd)
        local options = help_options(r.out)
        assert.is_true(#options >= 1, cmd)
        assert.is_table(sections[cmd], cmd .. " has no section")
        for _, o in ipairs(options) do
          assert.is_true(sections[cmd][o] == true, cmd .. " " .. o .. " is not in its section")
        end
      end
    end)

    it("is read by man without a warning, with the exit codes, files, environment and examples", function()
      if not tools.need(tools.has("man"), "man (Debian: man-db) is not installed", pending) then return end
      generate(dir)
      -- without the ASan runtime `make asan` preloads into the interpreter: man is not ours
      local out, ok = sh(("env -u LD_PRELOAD MANWIDTH=80 man --warnings -l %s 2>%s"):format(quote(dir .. "/linky.1"),
        quote(dir .. "/warnings")))
      assert.is_true(ok)
      assert.equal("", read(dir .. "/warnings"))
      for _, title in ipairs { "NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "EXIT STATUS", "FILES",
                               "ENVIRONMENT", "EXAMPLES" } do
        assert.truthy(out:find("\n" .. title .. "\n", 1, true), title)
      end
      assert.truthy(out:find("130%s+interrupted"), out)
      assert.truthy(out:find("linky backfill loadcurve --since 2025-06-01", 1, true), out)
    end)
  end)

  describe("completions", function()
    -- COMPREPLY of bash's completion function for the words given (the last one being completed).
    local function bash(...)
      local words = {}
      for i = 1, select("#", ...) do words[i] = quote((select(i, ...))) end
      local script = ("source %s; COMP_WORDS=(%s); COMP_CWORD=%d; _linky; printf '%%s\\n' \"${COMPREPLY[@]}\"")
        :format(quote(dir .. "/linky"), table.concat(words, " "), #words - 1)
      local out, ok = sh("bash -c " .. quote(script))
      assert.is_true(ok, out)
      return lines(out)
    end

    it("completes commands, option values and kinds in bash", function()
      generate(dir)
      assert.same({ "loadcurve", "loadcurveprod" }, bash("linky", "loadc"))
      assert.same({ "table", "csv", "json", "chart", "jsonl", "influx" }, bash("linky", "daily", "--format", ""))
      assert.same({ "table", "json", "prometheus" }, bash("linky", "status", "--format", ""))
      assert.same({ "2026", "legacy" }, bash("linky", "--api", ""))
      assert.same({ "day", "month" }, bash("linky", "cost", "--by", ""))
      assert.same({ "loadcurve", "loadcurveprod" }, bash("linky", "update", "daily", "loadc"))
      assert.same({ "loadcurve", "loadcurveprod" }, bash("linky", "cron", "--backfill", "loadc"))
      assert.same({ "clear-ban", "compare", "config", "consumption_index", "consumption_load_curve",
                    "consumption_max_power", "cost", "cron" }, (function(t) table.sort(t) return t end)(bash("linky", "help", "c")))
      assert.same({ "--offpeak", "--output", "--offline" }, bash("linky", "daily", "--o"))
    end)

    it("parses in zsh and completes a value of --format", function()
      if not tools.need(tools.has("zsh"), "zsh is not installed", pending) then return end
      generate(dir)
      local out, ok = sh("zsh -n " .. quote(dir .. "/_linky") .. " 2>&1")
      assert.is_true(ok, out)
      -- an interactive zsh in a pseudo-terminal (zsh/zpty) with compinit, the function on its
      -- fpath, and Tab pressed twice; bounded by timeout(1) and 30 reads of 0.1 s
      assert(os.execute("mkdir -p " .. quote(dir .. "/fpath") .. " && cp " .. quote(dir .. "/_linky") .. " "
        .. quote(dir .. "/fpath/")))
      local driver = runner:write("drive.zsh", ([=[
zmodload zsh/zpty
zpty -b z zsh -f -i
zpty -w z "PS1='> '; fpath=(%s \$fpath); autoload -Uz compinit; compinit -u -D; linky() { :; }"
sleep 0.5
zpty -w -n z $'linky daily --format \t\t'
all=""
for i in {1..30}; do
  zpty -r -t z out && all+=$out
  [[ $all == *prometheus* || $all == *influx* ]] && break
  sleep 0.1
done
print -r -- "$all"
zpty -d z
]=]):format(dir .. "/fpath"))
      out = sh("timeout 15 zsh -f " .. quote(driver) .. " 2>&1"):gsub("\27%[[%d;?]*%a", "")
      for _, value in ipairs { "table", "csv", "json", "chart", "jsonl", "influx" } do
        assert.truthy(out:find("%f[%w]" .. value .. "%f[%W]"), value .. " in " .. out)
      end
      assert.is_nil(out:find("prometheus", 1, true), out)
    end)

    it("parses in fish and completes a value of --format and the kinds", function()
      if not tools.need(tools.has("fish"), "fish is not installed", pending) then return end
      generate(dir)
      local file = quote(dir .. "/linky.fish")
      local out, ok = sh("fish -n " .. file .. " 2>&1")
      assert.is_true(ok, out)
      local function complete(line)
        local values = {}
        local text = sh(("fish -c %s"):format(quote("source " .. file .. "; complete -C " .. quote(line))))
        for _, l in ipairs(lines(text)) do values[#values + 1] = l:match("^[^\t]*") end
        table.sort(values)
        return values
      end
      assert.same({ "chart", "csv", "influx", "json", "jsonl", "table" }, complete("linky daily --format "))
      assert.same({ "loadcurve", "loadcurveprod" }, complete("linky backfill loadc"))
      assert.same({ "loadcurve", "loadcurveprod" }, complete("linky loadc"))
    end)
  end)

  describe("make install", function()
    it("installs the man page and the completions where man and the shells look, and uninstall removes them",
      function()
        local prefix = dir .. "/prefix"
        -- a build folder of its own holding the module under test (copied: newer than the sources)
        local build = dir .. "/build"
        local module = assert(searchpath("linky.core", os.getenv("LUA_CPATH") or package.cpath))
        assert(os.execute(("mkdir -p %s/linky && cp %s %s/linky/"):format(quote(build), quote(module),
          quote(build))))
        local out, ok = sh(("make -s install PREFIX=%s BUILD_DIR=%s LUA_VERSION=%s 2>&1 >/dev/null"):format(
          quote(prefix), quote(build), NAME))
        assert.is_true(ok, out)
        local files = { "share/man/man1/linky.1", "share/bash-completion/completions/linky",
                        "share/zsh/site-functions/_linky", "share/fish/vendor_completions.d/linky.fish" }
        for _, f in ipairs(files) do
          assert.truthy(read(prefix .. "/" .. f), f)
        end
        if tools.need(tools.has("man"), "man (Debian: man-db) is not installed", pending) then
          out = sh(("MANPATH=%s man -w linky"):format(quote(prefix .. "/share/man")))
          assert.equal(prefix .. "/share/man/man1/linky.1\n", out)
        end
        out, ok = sh(("make -s uninstall PREFIX=%s BUILD_DIR=%s LUA_VERSION=%s 2>&1 >/dev/null"):format(
          quote(prefix), quote(build), NAME))
        assert.is_true(ok, out)
        for _, f in ipairs(files) do assert.is_nil(read(prefix .. "/" .. f), f) end
      end)
  end)
end)
