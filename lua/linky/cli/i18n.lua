--- The `linky` command's language: English, or French when LC_ALL, else LC_MESSAGES, else LANG
-- starts with "fr". Every string the command prints passes through `t` (a format, translated
-- by the catalogue linky.cli.fr, then formatted) or `line` (a whole line made elsewhere,
-- argparse's usage errors: translated by the catalogue's patterns). The library's text
-- (`tostring(err)`), error kinds, CSV and JSON field names and exit codes never change.
-- With LINKY_I18N_MISSING=FILE, every string the French catalogue lacks is appended to FILE,
-- one per line (spec/cli_french_spec.lua runs the command so and wants FILE empty).
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.cli.i18n
local M = {}

local catalogue -- linky.cli.fr, loaded when French is spoken

--- The language of the environment: "fr" or "en" (POSIX: the first variable set and not empty wins).
-- @treturn string
function M.language()
  for _, name in ipairs { "LC_ALL", "LC_MESSAGES", "LANG" } do
    local v = os.getenv(name)
    if v and v ~= "" then return v:match("^fr") and "fr" or "en" end
  end
  return "en"
end

local french = M.language() == "fr"

--- Whether the command speaks French.
-- @treturn boolean
function M.french() return french end

-- Remembers a string the catalogue lacks, when the spec asks for it.
local function missing(text)
  local path = os.getenv("LINKY_I18N_MISSING")
  if not path or path == "" then return end
  local f = io.open(path, "a")
  if f then
    f:write((tostring(text):gsub("\n", "\\n")), "\n")
    f:close()
  end
end

local function fr()
  catalogue = catalogue or require "linky.cli.fr"
  return catalogue
end

--- A message: `text` translated (a format when arguments follow), then formatted with them.
-- @tparam string text the English text or format
-- @param ... the format's arguments
-- @treturn string
function M.t(text, ...)
  if french then
    local translated = fr().text[text]
    if type(translated) == "table" then translated = translated[2] end -- { one, many }: see `n`
    if translated then
      text = translated
    else
      missing(text)
    end
  end
  if select("#", ...) == 0 then return text end
  return text:format(...)
end

--- A count and its noun: `one` when the count is singular (1 in English, 0 and 1 in French),
-- else `many`; both formats take the count. Where English has one form for both (", %d
-- partial"), the catalogue gives the French pair `{ one, many }`.
-- @tparam integer n
-- @tparam string one the singular format, like "%d request"
-- @tparam string many the plural format, like "%d requests"
-- @treturn string
function M.n(n, one, many)
  local singular = french and n <= 1 and n >= 0 or n == 1
  local key = singular and one or many
  local pair = french and fr().text[key]
  if type(pair) == "table" then return pair[singular and 1 or 2]:format(n) end
  return M.t(key, n)
end

--- A whole line made elsewhere (argparse's usage errors, the library's notes): translated by
-- the catalogue's patterns, the first that matches.
-- @tparam string text
-- @treturn string
function M.line(text)
  if not french then return text end
  local exact = fr().text[text]
  if type(exact) == "table" then exact = exact[2] end -- { one, many }: see `n`
  if exact then return exact end
  for _, p in ipairs(fr().patterns) do
    if text:find(p[1]) then return (text:gsub(p[1], p[2])) end
  end
  missing(text)
  return text
end

--- The French label of an error kind, or nil in English.
-- @tparam string kind
-- @treturn string|nil
function M.kind_label(kind)
  if not french then return nil end
  local label = fr().kinds[kind]
  if not label then missing("error kind " .. tostring(kind)) end
  return label or "erreur"
end

--- A weekday's short name from its English one ("Mon").
-- @tparam string day
-- @treturn string
function M.weekday(day)
  return M.t(day)
end

return M
