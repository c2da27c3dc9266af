-- Writes the shell completions of `linky` from its argument parser (lua/linky/cli/args.lua):
--   lua5.4 tools/completions.lua bash|zsh|fish OUT   (the Makefile runs it with the module's paths)
-- build/completions/linky (bash), _linky (zsh) and linky.fish: lua-argparse's own writers, so that
-- a command or option added to the parser completes without editing this file. The values of an
-- option or argument with :choices (--format, --api, --by, the kinds) complete as such.
-- argparse 0.7.1's bash and fish writers complete the choices of options, not of a command's
-- arguments (`linky update KIND`): the lines added below do, from the same :choices.
local args = require "linky.cli.args"

local shell, out_path = arg[1], arg[2]
assert(out_path and (shell == "bash" or shell == "zsh" or shell == "fish"),
  "usage: completions.lua bash|zsh|fish OUT")

local parser = args.parser()
-- `linky help COMMAND`: its argument's choices are the commands, here only, so that
-- `linky help bogus` keeps the command's own message.
for _, cmd in ipairs(parser._commands) do
  if cmd._name == "help" then
    local names = {}
    for _, c in ipairs(parser._commands) do
      for _, alias in ipairs(c._public_aliases) do names[#names + 1] = alias end
    end
    cmd._arguments[1]:choices(names)
  end
end

-- The commands whose arguments have choices, and those choices (the shells' words).
local positional = {}
for _, cmd in ipairs(parser._commands) do
  local words = {}
  for _, a in ipairs(cmd._arguments) do
    for _, choice in ipairs(a._choices or {}) do words[#words + 1] = choice end
  end
  if #words > 0 then positional[#positional + 1] = { name = cmd._name, words = table.concat(words, " ") } end
end

local function bash()
  local script = parser:get_bash_complete()
  local cases = {}
  for _, p in ipairs(positional) do
    cases[#cases + 1] = ("        %s)\n            COMPREPLY=($(compgen -W \"%s\" -- \"$cur\"))\n"
      .. "            ;;"):format(p.name, p.words)
  end
  -- before the options' completion, which replaces these for a word starting with -
  local anchor = '    if [[ "$cur" = -* ]]; then\n'
  local at = assert(script:find(anchor, 1, true), "argparse's bash completion changed: " .. anchor)
  return script:sub(1, at - 1) .. '    case "$cmd" in\n' .. table.concat(cases, "\n") .. "\n    esac\n\n"
    .. script:sub(at)
end

local function fish()
  local lines = { parser:get_fish_complete() }
  for _, p in ipairs(positional) do
    lines[#lines + 1] = ("complete -c linky -n '__fish_linky_using_command %s' -xa '%s'\n")
      :format(p.name, p.words)
  end
  return table.concat(lines)
end

local writers = { bash = bash, fish = fish, zsh = function() return parser:get_zsh_complete() end }
local f = assert(io.open(out_path, "wb"))
assert(f:write(writers[shell]()))
assert(f:close())
