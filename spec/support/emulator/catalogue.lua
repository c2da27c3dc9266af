-- The error catalogue of conso-api.md §3 (what Conso API, Enedis behind it and Cloudflare in front
-- of it answer), by name, for scripted answers and for the emulator's own refusals.
local json = require "spec.support.emulator.json"

local M = {}

local obj, arr, encode = json.obj, json.arr, json.encode

-- A wrapped Enedis error, as Conso API relays it.
local function enedis(status, err)
  return status, encode(obj("status", status, "message", "The Enedis API returned an error", "error", err))
end

local function code_desc(code, desc)
  return obj("error", code, "error_description", desc)
end

local function plain(status, message)
  return status, encode(obj("status", status, "message", message))
end

local ZOD_EXAMPLE = arr { obj("code", "too_small", "minimum", 14, "type", "string", "inclusive", true,
  "exact", true, "message", "String must contain exactly 14 character(s)", "path", arr { "prm" }) }

local function zod(issues)
  return 400, encode(obj("status", 400, "message", "Paramètres invalides",
    "error", obj("issues", issues, "name", "ZodError")))
end

M.enedis, M.code_desc, M.plain, M.zod = enedis, code_desc, plain, zod

local BAN_HTML = [[
<!DOCTYPE html>
<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<!--[if gt IE 8]><!--> <html class="no-js" lang="en-US"> <!--<![endif]-->
<head>
<title>Attention Required! | Cloudflare</title>
<meta charset="UTF-8" />
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<meta name="robots" content="noindex, nofollow" />
<meta name="viewport" content="width=device-width,initial-scale=1" />
</head>
<body>
  <div id="cf-wrapper">
    <div id="cf-error-details" class="cf-error-details-wrapper">
      <div class="cf-wrapper cf-header cf-error-overview">
        <h1 data-translate="block_headline">Sorry, you have been blocked</h1>
        <h2 class="cf-subheadline"><span data-translate="unable_to_access">You are unable to access</span>
          conso.boris.sh</h2>
      </div>
      <div class="cf-section cf-wrapper">
        <h2 data-translate="blocked_why_headline">Why have I been blocked?</h2>
        <p data-translate="blocked_why_detail">This website is using a security service to protect itself
          from online attacks. The action you just performed triggered the security solution.</p>
        <h2 data-translate="blocked_resolve_headline">What can I do to resolve this?</h2>
        <p data-translate="blocked_resolve_detail">You can email the site owner to let them know you were
          blocked.</p>
      </div>
      <div class="cf-error-footer cf-wrapper">
        <p><span>Cloudflare Ray ID: <strong>8f1c2a3b4d5e6f70</strong></span> &bull;
          <span>Your IP: 127.0.0.1</span> &bull; <span>Performance &amp; security by Cloudflare</span></p>
      </div>
    </div>
  </div>
</body>
</html>
]]

--- name -> function returning status, body[, content type].
M.CATALOGUE = {
  zod_400 = function() return zod(ZOD_EXAMPLE) end,
  header_400 = function() return plain(400, "Le header 'Authorization' est manquant ou invalide") end,
  adam_err0002 = function()
    return enedis(400, code_desc("ADAM-ERR0002", "La date de fin doit être supérieure à la date de début."))
  end,
  adam_err0123 = function()
    return enedis(400, code_desc("ADAM-ERR0123",
      "La période demandée doit être postérieure à la date de mise en service du compteur."))
  end,
  adam_err0125 = function()
    return enedis(400, code_desc("ADAM-ERR0125",
      "La date de début de la période demandée dépasse la profondeur d'historique disponible."))
  end,
  adam_dc0007 = function()
    return enedis(400, code_desc("ADAM-DC-0007",
      "Le titulaire du consentement ne correspond pas au demandeur pour ce point."))
  end,
  legacy_invalid_request = function()
    return enedis(400, code_desc("Invalid_request", "Start date should be before end date."))
  end,
  unauthorized_401 = function()
    return plain(401, "Votre token est invalide ou ne permet pas d'accéder à ce PRM")
  end,
  consent_403 = function()
    return enedis(403, code_desc("ADAM-DC-0008",
      "No consent can be found for this customer and this usage point."))
  end,
  ban_403 = function() return 403, BAN_HTML, "text/html; charset=UTF-8" end,
  no_data_404 = function()
    return enedis(404, code_desc("no_data_found", "no measure found for this usage point"))
  end,
  method_405 = function() return plain(405, "Seule la méthode GET est autorisée") end,
  quota_429_fault = function()
    return enedis(429, obj("fault", obj("code", 900807, "message", "Message throttled out",
      "description", "You have exceeded your quota")))
  end,
  quota_429_next = function()
    return enedis(429, obj("code", "900804", "message", "Message throttled out",
      "description", "You have exceeded your quota .You can access API after 2026-Jul-17 05:00:00+0000 UTC",
      "nextAccessTime", "2026-Jul-17 05:00:00+0000 UTC"))
  end,
  token_500 = function() return plain(500, "Impossible de rafraîchir le token. Réessayez plus tard") end,
  unknown_500 = function() return plain(500, "Erreur inconnue. Réessayez plus tard") end,
  technical_500 = function()
    return enedis(500, code_desc("technical_error", "Technical error. Please try later."))
  end,
  cloudflare_502 = function()
    return 502, encode(obj(
      "type", "https://developers.cloudflare.com/support/troubleshooting/http-status-codes/"
        .. "cloudflare-5xx-errors/error-502/",
      "title", "Error 502: Bad gateway",
      "status", 502,
      "detail", "The origin web server returned an invalid or incomplete response to Cloudflare.",
      "instance", "8f1c2a3b4d5e6f70",
      "error_code", 502,
      "error_name", "origin_bad_gateway",
      "error_category", "origin",
      "ray_id", "8f1c2a3b4d5e6f70",
      "timestamp", "2026-07-17T05:00:00Z",
      "zone", "conso.boris.sh",
      "cloudflare_error", true,
      "retryable", true,
      "owner_action_required", true))
  end,
  plain_string_400 = function() return enedis(400, "Bad Request") end,
  -- Cloudflare's ban in its JSON error format (sent to clients that accept JSON)
  ban_403_json = function()
    return 403, encode(obj(
      "type", "https://developers.cloudflare.com/support/troubleshooting/http-status-codes/"
        .. "cloudflare-1xxx-errors/error-1006/",
      "title", "Error 1006: Access denied",
      "status", 403,
      "detail", "The owner of this website (conso.boris.sh) has banned your IP address (127.0.0.1).",
      "instance", "8f1c2a3b4d5e6f71",
      "error_code", 1006,
      "error_name", "ip_banned",
      "error_category", "access_denied",
      "ray_id", "8f1c2a3b4d5e6f71",
      "timestamp", "2026-07-17T05:00:00Z",
      "zone", "conso.boris.sh",
      "cloudflare_error", true,
      "retryable", false,
      "owner_action_required", false))
  end,
  -- RTE's API failing (the Tempo calendar): its error document, a plausible shape (unverified)
  rte_server_error = function()
    return 500, encode(obj("error", "COMMON_ERROR_T03", "error_description",
      "Technical error: the service is temporarily unavailable, please try again later",
      "error_uri", "", "error_details", obj("transaction_id", "Id-8f1c2a3b4d5e6f7081920a1b")))
  end,
  -- an upstream HTML 502 page that Conso API wraps as a JSON string
  html_502_wrapped = function()
    return enedis(502, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
      .. "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n")
  end,
}

--- Names of the scripted error catalogue, sorted.
-- @treturn table names
function M.names()
  local names = {}
  for k in pairs(M.CATALOGUE) do names[#names + 1] = k end
  table.sort(names)
  return names
end

return M
