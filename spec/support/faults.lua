-- The fault matrix: every failure the real service and the network produce (conso-api.md §3
-- and the emulator's scripted misbehaviours), with what linky must return for each.
-- Shared by spec/faults_spec.lua (one case each) and spec/secrets_spec.lua (no token leaks).
local M = {}

M._VERSION = "0.1"

local function wrong_shape(points)
  return '{"idPrm":"11111111111111","etapeMetier":"BRUT","grandeur":[{"grandeurMetier":"CONS",'
    .. '"grandeurPhysique":"EA","unite":"Wh"' .. points .. '}]}'
end

--- Host name that never resolves (reserved TLD); only ever used without network.
M.UNRESOLVABLE = "https://linky-spec.invalid/api"

--- Cases: `name`, `answer` (scripted into the emulator), the expected `kind`, `status`,
-- `retryable`, `upstream_code`; `timeout` for the client; `ok = true` when the call succeeds;
-- `base_url = "refused"|"unresolvable"` for the cases without a server.
M.cases = {
  { name = "400 zod", answer = { error = "zod_400" }, kind = "bad_request", status = 400 },
  { name = "400 header", answer = { error = "header_400" }, kind = "bad_request", status = 400 },
  { name = "400 ADAM-ERR0002", answer = { error = "adam_err0002" }, kind = "bad_request", status = 400,
    upstream_code = "ADAM-ERR0002" },
  { name = "400 ADAM-ERR0123", answer = { error = "adam_err0123" }, kind = "bad_request", status = 400,
    upstream_code = "ADAM-ERR0123" },
  { name = "400 ADAM-ERR0125", answer = { error = "adam_err0125" }, kind = "bad_request", status = 400,
    upstream_code = "ADAM-ERR0125" },
  { name = "400 ADAM-DC-0007", answer = { error = "adam_dc0007" }, kind = "bad_request", status = 400,
    upstream_code = "ADAM-DC-0007" },
  { name = "400 legacy Invalid_request", answer = { error = "legacy_invalid_request" }, kind = "bad_request",
    status = 400, upstream_code = "Invalid_request" },
  { name = "401", answer = { error = "unauthorized_401" }, kind = "unauthorized", status = 401 },
  { name = "403 JSON (no consent)", answer = { error = "consent_403" }, kind = "forbidden", status = 403,
    upstream_code = "ADAM-DC-0008" },
  { name = "403 HTML ban page", answer = { error = "ban_403" }, kind = "banned", status = 403 },
  { name = "404 no_data_found", answer = { error = "no_data_404" }, kind = "not_found", status = 404,
    retryable = true, upstream_code = "no_data_found" },
  { name = "405", answer = { error = "method_405" }, kind = "method_not_allowed", status = 405 },
  { name = "429 fault shape", answer = { error = "quota_429_fault" }, kind = "rate_limited", status = 429,
    retryable = true, upstream_code = "900807" },
  { name = "429 nextAccessTime shape", answer = { error = "quota_429_next" }, kind = "rate_limited",
    status = 429, retryable = true, upstream_code = "900804" },
  { name = "500 token refresh", answer = { error = "token_500" }, kind = "server_error", status = 500,
    retryable = true },
  { name = "500 unknown", answer = { error = "unknown_500" }, kind = "server_error", status = 500,
    retryable = true },
  { name = "500 Enedis technical_error", answer = { error = "technical_500" }, kind = "server_error",
    status = 500, retryable = true, upstream_code = "technical_error" },
  { name = "502 Cloudflare", answer = { error = "cloudflare_502" }, kind = "server_error", status = 502,
    retryable = true, upstream_code = "origin_bad_gateway" },
  { name = "a server that accepts and never answers", answer = { hang = true }, timeout = 1,
    kind = "timeout", retryable = true },
  { name = "a server that drips a byte a second", answer = { drip = 1 }, timeout = 1,
    kind = "timeout", retryable = true },
  { name = "a reset mid-body", answer = { reset = true }, kind = "network", retryable = true },
  { name = "a truncated body", answer = { truncate = 20 }, kind = "network", retryable = true },
  { name = "a connection closed without an answer", answer = { drop = true }, kind = "network",
    retryable = true },
  { name = "a non-JSON 200", answer = { status = 200, body = "<html>maintenance</html>" },
    kind = "invalid_response", status = 200 },
  { name = "an empty 200", answer = { status = 200, body = "" }, kind = "invalid_response", status = 200 },
  { name = "a 200 without points", answer = { status = 200, body = wrong_shape("") },
    kind = "invalid_response", status = 200 },
  { name = "a 200 whose values are not integers",
    answer = { status = 200, body = wrong_shape(',"points":[{"v":"1.5","d":"2026-04-01"}]') },
    kind = "invalid_response", status = 200 },
  { name = "a 200 whose dates are not dates",
    answer = { status = 200, body = wrong_shape(',"points":[{"v":"1","d":"2026-02-30"}]') },
    kind = "invalid_response", status = 200 },
  { name = "a 200 whose values are JSON numbers of 2^53, which lua-cjson rounds",
    answer = { status = 200, body = wrong_shape(',"points":[{"v":9007199254740993,"d":"2026-04-01"}]') },
    kind = "invalid_response", status = 200 },
  { name = "a 200 whose values are JSON numbers with a fraction",
    answer = { status = 200, body = wrong_shape(',"points":[{"v":12.5,"d":"2026-04-01"}]') },
    kind = "invalid_response", status = 200 },
  { name = "a 200 that is not UTF-8 (Latin-1 text)",
    answer = { status = 200, body = wrong_shape(',"libelle":"\233nergie","points":[{"v":"1","d":"2026-04-01"}]') },
    kind = "invalid_response", status = 200 },
  { name = "a 200 whose step is under a minute",
    answer = { status = 200, body = wrong_shape(',"points":[{"v":"1","d":"2026-04-01","p":"PT30S"}]') },
    kind = "invalid_response", status = 200 },
  { name = "a 200 whose step is over a day",
    answer = { status = 200, body = wrong_shape(',"points":[{"v":"1","d":"2026-04-01","p":"P2D"}]') },
    kind = "invalid_response", status = 200 },
  { name = "a 200 of more arrays than one per 16 bytes (in a field linky ignores)",
    answer = { status = 200, body = wrong_shape(',"calendrier":[' .. ("[],"):rep(3000) .. '[]]'
      .. ',"points":[{"v":"1","d":"2026-04-01"}]') },
    kind = "invalid_response", status = 200 },
  { name = "a 200 larger than max_body", answer = {}, max_body = 100, kind = "invalid_response" },
  { name = "a gzip-encoded body", answer = { gzip = true }, ok = true },
  { name = "a 302 redirect", answer = { redirect = "/api/consommation_quotidienne" }, kind = "http_error",
    status = 302 },
  { name = "a refused connection", base_url = "refused", kind = "network", retryable = true },
  { name = "an unresolvable host", base_url = "unresolvable", kind = "network", retryable = true },
}

for _, case in ipairs(M.cases) do case.retryable = case.retryable == true end

return M
