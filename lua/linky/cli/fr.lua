--- The `linky` command in French: one catalogue, read by linky.cli.i18n. `text` maps an English
-- text or format (its %s and %d kept in the same order) to French; `patterns` translate whole
-- lines made elsewhere (argparse's usage errors); `kinds` labels each error kind (the kind
-- itself and the library's English message follow it). French plurals: 0 and 1 are singular;
-- where English has one form for a count's one and many, the French is a pair { one, many }.
-- Internal: not part of the public API (see docs/contributing.md); it may change in any release.
-- @module linky.cli.fr
-- luacheck: no max line length (keys are the English texts, whole)
local M = {}

M.kinds = {
  invalid_argument = "argument invalide", unauthorized = "jeton refusé", forbidden = "accès interdit",
  not_found = "aucune donnée", rate_limited = "trop de requêtes", budget_exhausted = "budget épuisé",
  banned = "banni", state_unavailable = "fichier d'état inutilisable", server_error = "erreur du serveur",
  timeout = "délai dépassé", network = "erreur réseau", tls = "erreur TLS", bad_request = "requête refusée",
  method_not_allowed = "méthode refusée", http_error = "erreur HTTP", invalid_response = "réponse invalide",
  callback_error = "erreur de rappel", file_error = "erreur de fichier",
}

-- argparse's usage errors (lua-argparse 0.7.1), after linky cut their "Did you mean" tip.
M.patterns = {
  { "^unknown command '(.*)'$", "commande inconnue '%1'" },
  { "^unknown option '(.*)'$", "option inconnue '%1'" },
  { "^too many arguments$", "trop d'arguments" },
  { "^a command is required$", "une commande est requise" },
  { "^option '(.-)' does not take arguments$", "l'option '%1' ne prend pas d'argument" },
  { "^malformed argument '(.*)'$", "argument mal formé '%1'" },
  { "^argument for option '(.-)' must be one of (.*)$", "l'argument de l'option '%1' doit être l'un de %2" },
  { "^argument '(.-)' must be one of (.*)$", "l'argument '%1' doit être l'un de %2" },
  { "^option '(.-)' must be used at most (%d+) times?$", "l'option '%1' s'emploie au plus %2 fois" },
  { "^option '(.-)' must be used (%d+) times?$", "l'option '%1' s'emploie %2 fois" },
  { "^option '(.-)' requires an argument$", "l'option '%1' demande un argument" },
  { "^missing option '(.-)'$", "option '%1' manquante" },
  { "^missing argument '(.-)'$", "argument '%1' manquant" },
  { "^option '(.-)' requires at least (%d+) arguments?$", "l'option '%1' demande au moins %2 argument(s)" },
  { "^argument '(.-)' requires at least (%d+) arguments?$", "l'argument '%1' demande au moins %2 argument(s)" },
  { "^(.-) can not be used together with (.*)$", "%1 ne peut pas s'employer avec %2" },
}

M.text = {
  -- argparse's words in a help text
  ["Usage: "] = "Utilisation : ",
  ["Options:"] = "Options :",
  ["Commands:"] = "Commandes :",
  ["Arguments:"] = "Arguments :",
  ["Examples:"] = "Exemples :",
  ["Example:"] = "Exemple :",
  -- the weekdays of the tables (os.date would say them in the C locale)
  Mon = "lun", Tue = "mar", Wed = "mer", Thu = "jeu", Fri = "ven", Sat = "sam", Sun = "dim",

  -- the help (lua/linky/cli/args.lua), a paragraph at a time
  ["linky: your Linky smart-meter data from Conso API, in the terminal."] =
    "linky : les données de votre compteur Linky, de Conso API au terminal.",
  [ [[Dates are Paris days (YYYY-MM-DD), the end excluded; the default range is yesterday.
Before sending, a data command plans its requests: when it needs more than the request budget
leaves past the reserve (--reserve, default 5, kept for `linky update`), it sends nothing and
exits 5 (use `linky backfill`, or --max-requests N). Missing or incomplete days are named in a
warning on stderr, whatever the format.]] ] = [[
Les dates sont des jours de Paris (AAAA-MM-JJ), la fin exclue ; par défaut, la période est hier.
Avant d'envoyer, une commande de données planifie ses requêtes : s'il lui en faut plus que le
budget de requêtes n'en laisse au-delà de la réserve (--reserve, 5 par défaut, gardée pour
`linky update`), elle n'envoie rien et sort avec 5 (utilisez `linky backfill`, ou --max-requests
N). Les jours manquants ou incomplets sont nommés dans un avertissement sur stderr, quel que soit
le format.]],
  [ [[Token (never printed), first found: --token TOKEN (lands in your shell history and in `ps`:
prefer the others); --token-file FILE; LINKY_TOKEN; the config file
(${XDG_CONFIG_HOME:-~/.config}/linky/config, written by `linky auth`). The config file also holds defaults for
prm, api, base_url, user_agent, from and state, and the Tempo colour source (`linky config`);
options win over it.]] ] = [[
Jeton (jamais affiché), le premier trouvé : --token TOKEN (finit dans l'historique du shell et
dans `ps` : préférez les autres) ; --token-file FILE ; LINKY_TOKEN ; le fichier de configuration
(${XDG_CONFIG_HOME:-~/.config}/linky/config, écrit par `linky auth`). Ce fichier contient aussi
les valeurs par défaut de prm, api, base_url, user_agent, from et state, et la source des
couleurs Tempo (`linky config`) ; les options l'emportent sur lui.]],
  [ [[Files: ${XDG_CONFIG_HOME:-~/.config}/linky/config, the token and the defaults (mode 0600;
`linky auth`, `linky config`); ${XDG_STATE_HOME:-~/.local/state}/linky/state.sqlite3, the state
file: request budget, bans, stored readings (--state).]] ] = [[
Fichiers : ${XDG_CONFIG_HOME:-~/.config}/linky/config, le jeton et les valeurs par défaut (mode
0600 ; `linky auth`, `linky config`) ; ${XDG_STATE_HOME:-~/.local/state}/linky/state.sqlite3, le
fichier d'état : budget de requêtes, bannissements, relevés stockés (--state).]],
  [ [[Environment: LINKY_TOKEN (the token), XDG_CONFIG_HOME and XDG_STATE_HOME (where the files are),
NO_COLOR (no colours), LINKY_TODAY=YYYY-MM-DD (a testing aid: pretends today is that Paris date),
LANG, LC_MESSAGES, LC_ALL (fr...: the command in French). Colours and the progress line only
appear on a terminal.]] ] = [[
Environnement : LINKY_TOKEN (le jeton), XDG_CONFIG_HOME et XDG_STATE_HOME (où sont les fichiers),
NO_COLOR (sans couleurs), LINKY_TODAY=AAAA-MM-JJ (une aide aux tests : fait comme si nous étions
ce jour de Paris), LANG, LC_MESSAGES, LC_ALL (fr... : la commande en français). Les couleurs et la ligne de
progression n'apparaissent que sur un terminal.]],
  [ [[Exit codes: 0 success; 2 usage error, invalid argument; 3 token refused, expired or missing;
4 no data (not_found); 5 rate limited, budget exhausted, banned, state unusable; 6 server error,
timeout, network, TLS; 7 unexpected answer (bad_request, http_error, invalid_response...) or
stored data that cannot be shown; 8 local file error (--output, standard output, config, token
file, a publish target); 130 interrupted (Ctrl-C); 1 internal error (a bug: please report it).]] ] = [[
Codes de sortie : 0 succès ; 2 erreur d'utilisation, argument invalide ; 3 jeton refusé, expiré
ou absent ; 4 aucune donnée (not_found) ; 5 trop de requêtes, budget épuisé, banni, état
inutilisable ; 6 erreur du serveur, délai dépassé, réseau, TLS ; 7 réponse inattendue
(bad_request, http_error, invalid_response...) ou données stockées impossibles à montrer ;
8 erreur de fichier local (--output, sortie standard, configuration, fichier du jeton, une cible
de publication) ; 130 interrompu (Ctrl-C) ; 1 erreur interne (un bogue : signalez-le).]],
  ["`linky help COMMAND` shows a command's options and examples."] =
    "`linky help COMMANDE` montre les options et les exemples d'une commande.",
  ["This help."] = "Cette aide.",
  ["The version."] = "La version.",
  ["No progress line; update and backfill print only errors."] =
    "Sans ligne de progression ; update et backfill n'affichent que les erreurs.",
  ["2026 (default) or legacy."] = "2026 (par défaut) ou legacy.",
  ["The Conso API's base URL."] = "L'URL de base de Conso API.",
  ["Your program, before linky's own User-Agent."] = "Votre programme, avant le User-Agent de linky.",
  ["A contact address sent as From."] = "Une adresse de contact envoyée en From.",
  ["Seconds a request may take."] = "Les secondes que peut durer une requête.",
  ["CA certificates to trust."] = "Les certificats d'autorité à croire.",
  ["A proxy URL."] = "L'URL d'un proxy.",
  ["The state file: budget, bans, stored readings."] =
    "Le fichier d'état : budget, bannissements, relevés stockés.",
  ["A file holding the token."] = "Un fichier contenant le jeton.",
  ["The token itself (prefer the others)."] = "Le jeton lui-même (préférez les autres).",
  ["daily_consumption (alias daily): energy consumed per day, in Wh.\nLong ranges are split into requests of 365 days at most."] =
    "daily_consumption (alias daily) : énergie consommée par jour, en Wh.\nLes longues périodes sont découpées en requêtes de 365 jours au plus.",
  ["energy consumed per day, in Wh"] = "énergie consommée par jour, en Wh",
  ["Connection and token options, the config file and exit codes: `linky --help`."] =
    "Options de connexion et de jeton, fichier de configuration et codes de sortie : `linky --help`.",
  ["First day (default: yesterday)."] = "Premier jour (par défaut : hier).",
  ["Day after the last one (excluded)."] = "Le jour après le dernier (exclu).",
  ["The last N days, weeks or months before today."] = "Les N derniers jours, semaines ou mois avant aujourd'hui.",
  ["table (default), csv, json, chart, jsonl or influx."] = "table (par défaut), csv, json, chart, jsonl ou influx.",
  ["Totals per hour, day, week or month (load curves become energy)."] =
    "Totaux par heure, jour, semaine ou mois (les courbes de charge deviennent de l'énergie).",
  ["Load curves: energy per interval (Wh) as well."] = "Courbes de charge : l'énergie par intervalle (Wh) en plus.",
  ["Load curves: peak/off-peak split (table, chart)."] =
    "Courbes de charge : partage heures pleines/heures creuses (table, chart).",
  ["Write to FILE, atomically, folders created (- : standard output)."] =
    "Écrire dans FILE, atomiquement, dossiers créés (- : sortie standard).",
  ["The --output file's exact mode, like 0644 (default: 0600 for a new file)."] =
    "Le mode exact du fichier de --output, comme 0644 (par défaut : 0600 pour un nouveau fichier).",
  ["The meter (default: the config's, else the token's first)."] =
    "Le compteur (par défaut : celui de la configuration, sinon le premier du jeton).",
  ["Bypass the store of readings."] = "Ignorer le stock de relevés.",
  ["Ask again for settled days (missing or incomplete, 7 days old)."] =
    "Redemander les jours réglés (manquants ou incomplets, vieux de 7 jours).",
  ["Answer from the store alone: send nothing; days not stored are gaps."] =
    "Répondre avec le stock seul : rien envoyé ; les jours non stockés sont des trous.",
  ["Send at most N requests, retries included; use what they and the store give."] =
    "Envoyer au plus N requêtes, nouveaux essais compris ; utiliser ce qu'elles et le stock donnent.",
  ["Requests of the budget left for `linky update` (default 5)."] =
    "Les requêtes du budget laissées à `linky update` (5 par défaut).",
  ["Print the plan (requests, ranges, days stored and missing, budget); send nothing."] =
    "Afficher le plan (requêtes, périodes, jours stockés et manquants, budget) ; rien envoyé.",
  ["consumption_load_curve (alias loadcurve): mean power consumed per interval (usually 30 min), in W.\nLong ranges are split into requests of 7 days at most."] =
    "consumption_load_curve (alias loadcurve) : puissance moyenne consommée par intervalle (en général 30 min), en W.\nLes longues périodes sont découpées en requêtes de 7 jours au plus.",
  ["mean power consumed per interval (usually 30 min), in W"] =
    "puissance moyenne consommée par intervalle (en général 30 min), en W",
  ["consumption_max_power (alias maxpower): peak apparent power of each day, in VA.\nLong ranges are split into requests of 365 days at most."] =
    "consumption_max_power (alias maxpower) : puissance apparente maximale de chaque jour, en VA.\nLes longues périodes sont découpées en requêtes de 365 jours au plus.",
  ["peak apparent power of each day, in VA"] = "puissance apparente maximale de chaque jour, en VA",
  ["daily_production (alias dailyprod): energy produced per day, in Wh.\nLong ranges are split into requests of 365 days at most."] =
    "daily_production (alias dailyprod) : énergie produite par jour, en Wh.\nLes longues périodes sont découpées en requêtes de 365 jours au plus.",
  ["energy produced per day, in Wh"] = "énergie produite par jour, en Wh",
  ["production_load_curve (alias loadcurveprod): mean power produced per interval (usually 30 min), in W.\nLong ranges are split into requests of 7 days at most."] =
    "production_load_curve (alias loadcurveprod) : puissance moyenne produite par intervalle (en général 30 min), en W.\nLes longues périodes sont découpées en requêtes de 7 jours au plus.",
  ["mean power produced per interval (usually 30 min), in W"] =
    "puissance moyenne produite par intervalle (en général 30 min), en W",
  ["consumption_index: meter index readings (total and per time class), in Wh (2026 API only).\nLong ranges are split into requests of 365 days at most."] =
    "consumption_index : relevés d'index du compteur (total et par classe horaire), en Wh (API 2026 seulement).\nLes longues périodes sont découpées en requêtes de 365 jours au plus.",
  ["meter index readings (total and per time class), in Wh (2026 API only)"] =
    "relevés d'index du compteur (total et par classe horaire), en Wh (API 2026 seulement)",
  ["production_index: meter index readings, in Wh (2026 API only).\nLong ranges are split into requests of 365 days at most."] =
    "production_index : relevés d'index du compteur, en Wh (API 2026 seulement).\nLes longues périodes sont découpées en requêtes de 365 jours au plus.",
  ["meter index readings, in Wh (2026 API only)"] = "relevés d'index du compteur, en Wh (API 2026 seulement)",
  [ [[cost: prices the consumption load curve (--daily: the daily consumption, for tariffs whose
classes depend on neither hours nor colours) with a tariff file (JSON: periods of prices and
subscription, classes by hours, weekdays and Tempo colours; see examples/tariffs/), per day
or month, with the totals. Tempo colours come from the state file, the missing ones fetched
as `linky tempo` does (not with --offline), or from --colours FILE. A tariff day without a
colour leaves its energy unpriced: the cost is partial, a warning names the days, exit 0.
Like every data command it plans first and is served from the store. --cre FILE.csv --kva N
prices with the regulator's file of the regulated tariffs instead (see `linky help tariff`).]] ] = [[
cost : chiffre la courbe de charge de consommation (--daily : la consommation quotidienne, pour
les tarifs dont les classes ne dépendent ni des heures ni des couleurs) avec un fichier de tarif
(JSON : périodes de prix et d'abonnement, classes par heures, jours de la semaine et couleurs
Tempo ; voir examples/tariffs/), par jour ou par mois, avec les totaux. Les couleurs Tempo
viennent du fichier d'état, les manquantes demandées comme le fait `linky tempo` (pas avec
--offline), ou de --colours FILE. Un jour tarifaire sans couleur laisse son énergie sans prix :
le coût est partiel, un avertissement nomme les jours, sortie 0. Comme toute commande de données,
elle planifie d'abord et se sert du stock. --cre FILE.csv --kva N chiffre plutôt avec le fichier
des tarifs réglementés du régulateur (voir `linky help tariff`).]],
  ["what it cost: the load curve priced with a tariff"] = "ce que cela a coûté : la courbe de charge chiffrée avec un tarif",
  ["The tariff (JSON)."] = "Le tarif (JSON).",
  ["A CRE file of the regulated tariffs (Option_Base.csv, _HPHC, _Tempo)."] =
    "Un fichier CRE des tarifs réglementés (Option_Base.csv, _HPHC, _Tempo).",
  ["The subscribed power, in kVA, of the --cre file's rows."] =
    "La puissance souscrite, en kVA, des lignes du fichier --cre.",
  ["Off-peak hours: required for HP/HC, 22:00-06:00 by default for Tempo."] =
    "Heures creuses : requises pour HP/HC, 22:00-06:00 par défaut pour Tempo.",
  ["Tempo colours from a CSV file with a header date,colour (no request)."] =
    "Les couleurs Tempo d'un fichier CSV d'en-tête date,colour (aucune requête).",
  ["Price the daily consumption instead of the load curve."] =
    "Chiffrer la consommation quotidienne au lieu de la courbe de charge.",
  ["day (default) or month."] = "day (par défaut) ou month.",
  ["table (default), csv, json or influx."] = "table (par défaut), csv, json ou influx.",
  [ [[tempo: the Tempo colour of each tariff day (06:00 to 06:00) from --since (default: 7 days ago)
to tomorrow, fetched into the state file from the config's tempo_source (api-couleur-tempo,
the default, no account; or rte, with rte_client_id and rte_client_secret), within its own
budget (tempo_budget, default 12 requests in 24 hours). A known colour of a past day is never
asked again; an unknown one at most once an hour. --format csv writes a --colours file for
`linky cost`.]] ] = [[
tempo : la couleur Tempo de chaque jour tarifaire (de 06:00 à 06:00) de --since (par défaut : il
y a 7 jours) à demain, demandée dans le fichier d'état à la tempo_source de la configuration
(api-couleur-tempo, par défaut, sans compte ; ou rte, avec rte_client_id et rte_client_secret),
dans son propre budget (tempo_budget, 12 requêtes en 24 heures par défaut). La couleur connue
d'un jour passé n'est jamais redemandée ; une inconnue au plus une fois par heure. --format csv
écrit un fichier pour le --colours de `linky cost`.]],
  ["the Tempo colour of each day, fetched into the state file"] =
    "la couleur Tempo de chaque jour, demandée dans le fichier d'état",
  ["The first day (default: 7 days ago)."] = "Le premier jour (par défaut : il y a 7 jours).",
  ["table (default), csv, json or jsonl."] = "table (par défaut), csv, json ou jsonl.",
  ["Write to FILE instead of standard output."] = "Écrire dans FILE au lieu de la sortie standard.",
  ["Answer from the state file alone: send nothing."] = "Répondre avec le fichier d'état seul : rien envoyé.",
  [ [[tariff: turns a CRE open-data file of the regulated tariffs (Option_Base.csv, Option_HPHC.csv,
Option_Tempo.csv: data.gouv.fr) into a linky tariff (JSON) holding every dated period of one
subscribed power, TTC. The option comes from the file's header. --hc is required for HP/HC
(the hours are in your contract, not in the file), 22:00-06:00 by default for Tempo, refused
for Base. Sends nothing.]] ] = [[
tariff : fait d'un fichier de données ouvertes de la CRE sur les tarifs réglementés
(Option_Base.csv, Option_HPHC.csv, Option_Tempo.csv : data.gouv.fr) un tarif linky (JSON) avec
chaque période datée d'une puissance souscrite, TTC. L'option vient de l'en-tête du fichier.
--hc est requis pour HP/HC (les heures sont dans votre contrat, pas dans le fichier), 22:00-06:00
par défaut pour Tempo, refusé pour Base. N'envoie rien.]],
  ["a linky tariff from the regulator's file (no request)"] =
    "un tarif linky tiré du fichier du régulateur (aucune requête)",
  [ [[compare: prices the same consumption load curve with each offer (--tariff FILE.json, and
--cre FILE.csv --kva N, in that order: the first is the reference of `difference`) and gives
per offer its energy, subscription, total and difference, the kWh priced and not priced, and
the days it does not cover (missing data, no Tempo colour, no price): those are never priced
as blue nor guessed. Tempo colours come from --colours FILE.csv (header date,colour). Like
every data command it plans first and is served from the store.]] ] = [[
compare : chiffre la même courbe de charge de consommation avec chaque offre (--tariff
FILE.json, puis --cre FILE.csv --kva N, dans cet ordre : la première est la référence de
`difference`) et donne pour chaque offre son énergie, son abonnement, son total et sa
différence, les kWh chiffrés et non chiffrés, et les jours qu'elle ne couvre pas (données
manquantes, pas de couleur Tempo, pas de prix) : ceux-là ne sont jamais chiffrés en bleu ni
devinés. Les couleurs Tempo viennent de --colours FILE.csv (en-tête date,colour). Comme toute
commande de données, elle planifie d'abord et se sert du stock.]],
  ["which offer would have been cheapest on your load curve"] =
    "quelle offre aurait coûté le moins sur votre courbe de charge",
  ["An offer: a tariff (JSON) (several allowed)."] = "Une offre : un tarif (JSON) (plusieurs permis).",
  ["Tempo colours: a CSV file with a header date,colour."] =
    "Les couleurs Tempo : un fichier CSV d'en-tête date,colour.",
  ["table (default), csv or json."] = "table (par défaut), csv ou json.",
  [ [[update: per kind and PRM, fetches what is new into the store (the days not complete of the
last 7, and once a day the corrections) and says how many days are new or corrected;
"up to date" when it had nothing to ask. It also heals older holes: from the day after the
newest complete day stored (a machine that was off for days), or --since, newest first,
within what the budget leaves past a reserve of 5 (and --max-requests); what is left is
said, and the next update (or `linky backfill`) continues. A failing kind or PRM does not
stop the others: the exit code is the highest of the failures. KIND defaults to
daily_consumption. With --publish, what is stored is then published (as `linky publish`
does), also when a kind failed, and the exit code is the highest of all.]] ] = [[
update : par genre et par PRM, demande ce qui est nouveau dans le stock (les jours pas complets
des 7 derniers, et une fois par jour les corrections) et dit combien de jours sont nouveaux ou
corrigés ; « à jour » quand il n'avait rien à demander. Il comble aussi les trous plus anciens :
depuis le lendemain du plus récent jour complet stocké (une machine éteinte des jours durant), ou
--since, les plus récents d'abord, dans ce que le budget laisse au-delà d'une réserve de 5 (et
--max-requests) ; ce qui reste est dit, et la mise à jour suivante (ou `linky backfill`)
continue. Un genre ou un PRM en échec n'arrête pas les autres : le code de sortie est le plus
haut des échecs. KIND vaut par défaut daily_consumption. Avec --publish, ce qui est stocké est
ensuite publié (comme le fait `linky publish`), même si un genre a échoué, et le code de sortie
est le plus haut de tous.]],
  ["fetches what is new into the store (for cron)"] = "demande ce qui est nouveau dans le stock (pour cron)",
  ["Start there instead of the default (the last 7 days, or the oldest hole)."] =
    "Commencer là plutôt qu'au défaut (les 7 derniers jours, ou le plus vieux trou).",
  ["Send at most N requests per kind and PRM, retries included."] =
    "Envoyer au plus N requêtes par genre et par PRM, nouveaux essais compris.",
  ["A meter (several allowed)."] = "Un compteur (plusieurs permis).",
  ["Then publish to TARGET what is stored (several allowed; see `linky help publish`)."] =
    "Publier ensuite vers TARGET ce qui est stocké (plusieurs permises ; voir `linky help publish`).",
  ["With --publish: send every stored day again (a jsonl file is rewritten)."] =
    "Avec --publish : renvoyer chaque jour stocké (un fichier jsonl est réécrit).",
  ["With --publish: a file target's exact mode, like 0644."] =
    "Avec --publish : le mode exact d'une cible fichier, comme 0644.",
  ["Kinds to update."] = "Les genres à mettre à jour.",
  [ [[backfill: fills the store from --since to yesterday, spending at most what the budget leaves
past the reserve (or --max-requests), and says how far it is. Run it again (`linky cron
--backfill`) until it is done. Exit 0 when it progressed or is done, 5 when the budget
leaves nothing past the reserve.]] ] = [[
backfill : remplit le stock de --since à hier, en dépensant au plus ce que le budget laisse
au-delà de la réserve (ou --max-requests), et dit où il en est. Relancez-le (`linky cron
--backfill`) jusqu'à ce qu'il ait fini. Sortie 0 quand il a avancé ou a fini, 5 quand le budget
ne laisse rien au-delà de la réserve.]],
  ["fills the store from a date, a budget window at a time"] =
    "remplit le stock depuis une date, une fenêtre de budget à la fois",
  ["The first day to fill (required)."] = "Le premier jour à remplir (requis).",
  ["Kinds to fill."] = "Les genres à remplir.",
  [ [[status: the request budget, ban and cool-down of the state file, and per PRM and kind the
first and last day stored, the last complete one and how many days between them are not
complete; the token's expiry when a token is configured. Needs no token, sends nothing,
creates nothing. --format json or prometheus (node_exporter's textfile collector) for
programs.]] ] = [[
status : le budget de requêtes, le bannissement et la pause du fichier d'état, et par PRM et par
genre le premier et le dernier jour stockés, le dernier complet et combien de jours entre eux ne
sont pas complets ; l'expiration du jeton quand un jeton est configuré. Sans jeton, n'envoie
rien, ne crée rien. --format json ou prometheus (le collecteur textfile de node_exporter) pour
les programmes.]],
  ["budget, ban, cool-down, stored days, token expiry"] =
    "budget, bannissement, pause, jours stockés, expiration du jeton",
  ["table (default), json or prometheus."] = "table (par défaut), json ou prometheus.",
  [ [[publish: writes what the store holds to each TARGET, sending no Conso API request (nothing
counted in the budget). A word holding :// or starting with prometheus: or jsonl: is a
target, any other a kind (default: every kind stored for the PRM). Targets:
  prometheus:/abs/path.prom  the status metrics (`linky status --format prometheus`), for
                             node_exporter's textfile collector; mode 0644 unless --mode
  jsonl:/abs/path            appends, as JSON lines, the points of the days new or changed
                             since the last successful publish to it; a new file is 0600
                             unless --mode
Files are written atomically. A target that fails keeps its place: the next publish
catches up; the exit code is the highest of the failures (8 for a file).]] ] = [[
publish : écrit ce que contient le stock vers chaque TARGET, sans requête à Conso API (rien de
compté dans le budget). Un mot contenant :// ou commençant par prometheus: ou jsonl: est une
cible, tout autre un genre (par défaut : chaque genre stocké pour le PRM). Cibles :
  prometheus:/chemin/abs.prom  les métriques de statut (`linky status --format prometheus`),
                               pour le collecteur textfile de node_exporter ; mode 0644 sauf
                               --mode
  jsonl:/chemin/abs            ajoute, en lignes JSON, les points des jours nouveaux ou changés
                               depuis la dernière publication réussie vers elle ; un nouveau
                               fichier est en 0600 sauf --mode
Les fichiers sont écrits atomiquement. Une cible en échec garde sa place : la publication
suivante rattrape ; le code de sortie est le plus haut des échecs (8 pour un fichier).]],
  ["writes what is stored to export targets (no request)"] =
    "écrit ce qui est stocké vers des cibles d'export (aucune requête)",
  ["A meter (several allowed; default: the config's, else the token's first)."] =
    "Un compteur (plusieurs permis ; par défaut : celui de la configuration, sinon le premier du jeton).",
  ["Send every stored day again (a jsonl file is rewritten)."] =
    "Renvoyer chaque jour stocké (un fichier jsonl est réécrit).",
  ["A file target's exact mode, like 0640."] = "Le mode exact d'une cible fichier, comme 0640.",
  ["Targets, then kinds, in any order."] = "Des cibles, puis des genres, dans n'importe quel ordre.",
  [ [[clear-ban: forgets the ban remembered in the state file, so that requests are sent again.
A ban is Cloudflare's and permanent unless the maintainer lifts it: clear it once you know
it was lifted. On a terminal it asks (y or yes); elsewhere it needs --yes. Not confirmed:
nothing is cleared, exit 2.]] ] = [[
clear-ban : oublie le bannissement retenu dans le fichier d'état, pour que des requêtes soient de
nouveau envoyées. Un bannissement vient de Cloudflare et dure tant que le mainteneur ne le lève
pas : effacez-le une fois que vous savez qu'il est levé. Sur un terminal il demande (y ou yes) ;
ailleurs il lui faut --yes. Sans confirmation : rien n'est effacé, sortie 2.]],
  ["forgets a remembered ban"] = "oublie un bannissement retenu",
  ["Do not ask."] = "Ne pas demander.",
  [ [[cron: prints a crontab line running `linky update` once a day at a random minute between
6:00 and 10:00, as the Conso API maintainer asks, with absolute paths (the program, the
state file). With --backfill KIND and --since DATE, a second line runs `linky backfill`
twice a day, 12 hours apart, at a random minute. With --publish TARGET, the update line also
publishes (see `linky help publish`). Each value is quoted for the shell and its
% escaped for cron; a line break in any value is refused (exit 2).]] ] = [[
cron : affiche une ligne de crontab qui lance `linky update` une fois par jour à une minute au
hasard entre 6:00 et 10:00, comme le demande le mainteneur de Conso API, avec des chemins absolus
(le programme, le fichier d'état). Avec --backfill KIND et --since DATE, une deuxième ligne lance
`linky backfill` deux fois par jour, à 12 heures d'écart, à une minute au hasard. Avec --publish
TARGET, la ligne de mise à jour publie aussi (voir `linky help publish`). Chaque valeur est
citée pour le shell et ses % échappés pour cron ; un saut de ligne dans une valeur est refusé
(sortie 2).]],
  ["prints crontab lines for update (and backfill)"] = "affiche les lignes de crontab d'update (et de backfill)",
  ["A kind to backfill (several allowed)."] = "Un genre à remplir (plusieurs permis).",
  ["The first day of the backfill."] = "Le premier jour du remplissage.",
  ["The update line also publishes to TARGET (several allowed)."] =
    "La ligne de mise à jour publie aussi vers TARGET (plusieurs permises).",
  ["Kinds to update (default daily_consumption)."] = "Les genres à mettre à jour (par défaut daily_consumption).",
  ["prms: the token's PRMs (meters) and its expiry date. Reads the token only: no request."] =
    "prms : les PRM (compteurs) du jeton et sa date d'expiration. Ne lit que le jeton : aucune requête.",
  ["the token's PRMs and its expiry (no request)"] = "les PRM du jeton et son expiration (aucune requête)",
  [ [[auth: stores the Conso API token in ${XDG_CONFIG_HOME:-~/.config}/linky/config (mode 0600),
keeping the file's other settings. The token is read from standard input (without echo on
a terminal), so it never lands in the shell history; it is checked locally (PRM list,
expiry) and never printed.]] ] = [[
auth : enregistre le jeton Conso API dans ${XDG_CONFIG_HOME:-~/.config}/linky/config (mode 0600),
en gardant les autres réglages du fichier. Le jeton est lu sur l'entrée standard (sans écho sur
un terminal), pour ne jamais finir dans l'historique du shell ; il est vérifié localement (liste
des PRM, expiration) et jamais affiché.]],
  ["stores the token, read from standard input"] = "enregistre le jeton, lu sur l'entrée standard",
  [ [[config: the defaults of ${XDG_CONFIG_HOME:-~/.config}/linky/config. Without arguments it lists
them (the token masked); with KEY it shows one; with KEY VALUE it sets one (checked first),
keeping the other lines. Keys: prm, api, base_url, user_agent, from, state (an absolute
path), influx_cafile, mqtt_cafile (absolute paths), mqtt_discovery_prefix, tempo_source
(api-couleur-tempo or rte), tempo_base_url, tempo_budget (requests in 24 hours), and token,
influx_password, influx_token, mqtt_password, rte_client_id, rte_client_secret (masked; the
token set with `linky auth`, the others written in the file: never on the command line).
Options win over the file.]] ] = [[
config : les valeurs par défaut de ${XDG_CONFIG_HOME:-~/.config}/linky/config. Sans argument, il
les liste (le jeton masqué) ; avec KEY, il en montre une ; avec KEY VALUE, il en fixe une
(vérifiée d'abord), en gardant les autres lignes. Clés : prm, api, base_url, user_agent, from,
state (un chemin absolu), influx_cafile, mqtt_cafile (chemins absolus), mqtt_discovery_prefix,
tempo_source (api-couleur-tempo ou rte), tempo_base_url, tempo_budget (requêtes en 24 heures), et
token, influx_password, influx_token, mqtt_password, rte_client_id, rte_client_secret (masqués ;
le jeton fixé par `linky auth`, les autres écrits dans le fichier : jamais sur la ligne de
commande). Les options l'emportent sur le fichier.]],
  ["lists, shows or sets the config file's defaults"] =
    "liste, montre ou fixe les valeurs par défaut du fichier de configuration",
  ["The setting."] = "Le réglage.",
  ["Its new value."] = "Sa nouvelle valeur.",
  ["help: the help of the program or of a command."] = "help : l'aide du programme ou d'une commande.",
  ["a command's help"] = "l'aide d'une commande",
  ["A command."] = "Une commande.",
  ["paste the token, then Enter"] = "collez le jeton, puis Entrée",
  -- tables
  ["Daily consumption"] = "Consommation quotidienne", ["Consumption load curve"] = "Courbe de charge de consommation",
  ["Daily max power"] = "Puissance maximale quotidienne", ["Daily production"] = "Production quotidienne",
  ["Production load curve"] = "Courbe de charge de production", ["Consumption index"] = "Index de consommation",
  ["Production index"] = "Index de production",
  ["%s to %s"] = "%s au %s", ["per hour"] = "par heure", ["per day"] = "par jour", ["per week"] = "par semaine",
  ["per month"] = "par mois",
  ["%d day"] = "%d jour", ["%d days"] = "%d jours", ["%d hour"] = "%d heure", ["%d hours"] = "%d heures",
  ["%d week"] = "%d semaine", ["%d weeks"] = "%d semaines", ["%d month"] = "%d mois", ["%d months"] = "%d mois",
  ["%d request"] = "%d requête", ["%d requests"] = "%d requêtes",
  date = "date", value = "valeur", unit = "unité", total = "total", mean = "moyenne", max = "max",
  ["(no data)"] = "(aucune donnée)", ["data: %s"] = "données : %s",
  ["%d value missing"] = "%d valeur manquante", ["%d values missing"] = "%d valeurs manquantes",
  -- messages
  ["%s"] = "%s",
  ["no help for %s"] = "pas d'aide pour %s",
  ["--energy applies to load curves only"] = "--energy ne s'applique qu'aux courbes de charge",
  ["--offpeak applies to load curves only"] = "--offpeak ne s'applique qu'aux courbes de charge",
  ["--mode applies to an --output FILE or a file target"] = "--mode s'applique à un --output FILE ou à une cible fichier",
  ["--since %s is before 2000-01-01: no meter has data then"] =
    "--since %s est avant le 2000-01-01 : aucun compteur n'a de données alors",
  ["backfill needs --since DATE, the first day to fill"] = "backfill demande --since DATE, le premier jour à remplir",
  ["publish needs a target: prometheus:/path/linky.prom or jsonl:/path/linky.jsonl"] =
    "publish demande une cible : prometheus:/chemin/linky.prom ou jsonl:/chemin/linky.jsonl",
  ["cost needs --tariff FILE.json or --cre FILE.csv --kva N"] = "cost demande --tariff FILE.json ou --cre FILE.csv --kva N",
  ["tariff needs --cre FILE.csv --kva N"] = "tariff demande --cre FILE.csv --kva N",
  ["compare needs offers: --tariff FILE.json or --cre FILE.csv --kva N"] =
    "compare demande des offres : --tariff FILE.json ou --cre FILE.csv --kva N",
  ["--since goes with --backfill KIND"] = "--since va avec --backfill KIND",
  ["--backfill needs --since DATE, the first day to fill"] = "--backfill demande --since DATE, le premier jour à remplir",
  ["unknown key %s (keys: %s)"] = "clé inconnue %s (clés : %s)",
  ["--since takes a date YYYY-MM-DD"] = "--since prend une date AAAA-MM-JJ",
  ["no token: run `linky auth`, or use --token-file or LINKY_TOKEN"] =
    "pas de jeton : lancez `linky auth`, ou utilisez --token-file ou LINKY_TOKEN",
  ["this needs %s and the budget leaves %d (%d kept for updates, --reserve): nothing sent; run %s%s"] =
    "il faut %s et le budget en laisse %d (%d gardées pour les mises à jour, --reserve) : rien envoyé ;"
    .. " lancez %s%s",
  [", or --max-requests %d"] = ", ou --max-requests %d",
  ["usage: %s (see linky --help)"] = "utilisation : %s (voir linky --help)",
  ["warning: %s"] = "attention : %s",
  ["interrupted"] = "interrompu",
  [" (retry after %s UTC)"] = " (réessayer après %s UTC)",
  ["; the budget keeps real time, whatever date LINKY_TODAY simulates"] =
    " ; le budget suit l'heure réelle, quelle que soit la date que simule LINKY_TODAY",
  ["waiting %d s for budget slots that free now"] = "attente de %d s que des places du budget se libèrent",
  [", %sretry in %d s"] = ", %snouvel essai dans %d s",
  ["request %d of %d%s"] = "requête %d sur %d%s",
  ["cannot write to standard output: %s"] = "impossible d'écrire sur la sortie standard : %s",
  ["cannot write %s: %s"] = "impossible d'écrire %s : %s",
  -- charts and tables: marks, coverage, periods
  ["no data"] = "aucune donnée", ["partial"] = "partiel",
  ["%d of %s"] = "%d sur %s", ["%s without data"] = "%s sans données", ["%s without data: %s"] = "%s sans données : %s",
  [", %d partial"] = { ", %d partiel", ", %d partiels" },
  ["and %d more"] = "et %d de plus", ["week of %s"] = "semaine du %s",
  ["%d point"] = "%d point", ["%d points"] = "%d points", ["%d topic"] = "%d sujet", ["%d topics"] = "%d sujets",
  ["one cell = 30 min of mean power: ░ up to %s W, ▒ %s W, ▓ %s W, █ %s W; · zero"] =
    "une case = 30 min de puissance moyenne : ░ jusqu'à %s W, ▒ %s W, ▓ %s W, █ %s W ; · zéro",
  peak = "heures pleines", ["off-peak"] = "heures creuses", ["outside %s"] = "hors de %s",
  -- the plan (--dry-run) and the budget
  ["%s of %s, %s to %s (end excluded)"] = "%s de %s, du %s au %s (fin exclue)",
  ["stored days   %d"] = "jours stockés     %d", ["missing days  %d"] = "jours manquants   %d",
  ["requests      %d planned"] = { "requêtes          %d prévue", "requêtes          %d prévues" },
  ["beyond history %d (never asked: Enedis keeps no older data)"] =
    "hors historique   %d (jamais demandés : Enedis ne garde pas de données plus anciennes)",
  ["budget left   %s (a reserve of %d kept for updates)"] =
    "budget restant    %s (une réserve de %d gardée pour les mises à jour)",
  unlimited = "illimité",
  ["without --dry-run: sends nothing and exits 5: a ban or cool-down is remembered (linky status)"] =
    "sans --dry-run : n'envoie rien et sort avec le code 5 : un bannissement ou une pause est retenu (linky status)",
  ["without --dry-run: sends %s%s"] = "sans --dry-run : envoie %s%s",
  [" (--max-requests %d), %d left for the next run"] = " (--max-requests %d), reste %d pour la prochaine fois",
  ["without --dry-run: sends nothing and exits 5: %s needed, the budget leaves %d past the reserve; run %s"] =
    "sans --dry-run : n'envoie rien et sort avec le code 5 : il faut %s, le budget en laisse %d au-delà de la"
    .. " réserve ; lancez %s",
  ["--max-requests %d: %s of %d sent; %s left: run the command again, or `linky backfill %s --since %s`"] =
    "--max-requests %d : envoi de %s sur %d ; reste %s : relancez la commande, ou `linky backfill %s --since %s`",
  ["cannot show these data: %s"] = "impossible d'afficher ces données : %s",
  ["%s takes a whole number >= 0"] = "%s prend un nombre entier >= 0",
  ["--last cannot be used with --start or --end"] = "--last ne va pas avec --start ni --end",
  ["--last takes N{d,w,m} with N >= 1, like 14d, 2w or 1m"] = "--last prend N{d,w,m} avec N >= 1, comme 14d, 2w ou 1m",
  ["--last cannot reach back before 2000-01-01"] = "--last ne peut pas remonter avant le 2000-01-01",
  ["--format is table, csv, json, chart, jsonl or influx"] = "--format vaut table, csv, json, chart, jsonl ou influx",
  ["--by is hour, day, week or month"] = "--by vaut hour, day, week ou month",
  ["--format influx writes points: not with --by (the database sums them itself)"] =
    "--format influx écrit des points : pas avec --by (la base les additionne elle-même)",
  ["--energy and --by cannot be combined (--by already gives energy)"] =
    "--energy et --by ne vont pas ensemble (--by donne déjà l'énergie)",
  ["--offline answers from the store: not with --no-cache"] = "--offline répond depuis le stock : pas avec --no-cache",
  ["--offline sends nothing: not with --refresh, --max-requests or --dry-run"] =
    "--offline n'envoie rien : pas avec --refresh, --max-requests ni --dry-run",
  ["--all goes with --publish TARGET"] = "--all va avec --publish TARGET",
  ["--mode takes an octal mode from 0000 to 0777, like 0644"] = "--mode prend un mode octal de 0000 à 0777, comme 0644",
  ["--output needs a file name"] = "--output demande un nom de fichier",
  ["LINKY_TODAY must be a date YYYY-MM-DD"] = "LINKY_TODAY doit être une date AAAA-MM-JJ",
  ["internal error: %s"] = "erreur interne : %s",
  -- update and backfill
  ["unknown kind %s"] = "genre inconnu %s",
  ["up to date"] = "à jour", ["no new day"] = "aucun nouveau jour",
  ["%d new day"] = "%d nouveau jour", ["%d new days"] = "%d nouveaux jours",
  [", %d corrected"] = { ", %d corrigé", ", %d corrigés" },
  ["; %s (%s) left: the next `linky update` or `linky backfill` continues"] =
    " ; reste %s (%s) : le prochain `linky update` ou `linky backfill` continue",
  ["--since %s must be before today (%s)"] = "--since %s doit être avant aujourd'hui (%s)",
  ["%d of %d days stored"] = "jours stockés : %d sur %d",
  [" (%s now)"] = " (%s cette fois)", ["; done"] = " ; terminé", ["; about %s"] = " ; encore environ %s",
  ["%d more run"] = "%d passage", ["%d more runs"] = "%d passages",
  -- status and clear-ban
  ["state      %s"] = "état       %s",
  ["           read without locking (its folder is not writable, and it has no -shm): what another linky writes meanwhile may be missing"] =
    "           lu sans verrou (son dossier n'est pas accessible en écriture, et il n'a pas de -shm) : ce qu'un"
    .. " autre linky écrit pendant ce temps peut manquer",
  ["           does not exist yet: nothing fetched, nothing spent"] =
    "           n'existe pas encore : rien demandé, rien dépensé",
  ["requests   %s of %s in the last %s"] = "requêtes   %s sur %s dans les %s passées",
  ["retry at   %s"] = "réessai    %s",
  ["banned     %s"] = "banni      %s",
  ["since %s, until cleared (linky clear-ban)"] = "depuis le %s, jusqu'à effacement (linky clear-ban)",
  ["cool-down  %s"] = "pause      %s", ["until %s"] = "jusqu'au %s", no = "non",
  ["token      not a Conso API token"] = "jeton      pas un jeton Conso API",
  ["token      no expiry date"] = "jeton      sans date d'expiration",
  ["token      expires %s (%s)"] = "jeton      expire le %s (%s)",
  ["in %d days"] = { "dans %d jour", "dans %d jours" },
  expired = "expiré",
  ["stored     nothing"] = "stocké     rien", ["stored   "] = "stocké   ",
  ["%d not complete"] = { "%d incomplet", "%d incomplets" },
  ["--format is table, json or prometheus"] = "--format vaut table, json ou prometheus",
  ["Forget the ban remembered in %s? Requests will be sent again: do it only if you know the ban was lifted. [y/N] "] =
    "Oublier le bannissement retenu dans %s ? Des requêtes seront de nouveau envoyées : ne le faites que si"
    .. " vous savez que le bannissement est levé. [y/N] ",
  ["no state file at %s: no ban to clear"] = "aucun fichier d'état en %s : aucun bannissement à effacer",
  ["no ban remembered in %s"] = "aucun bannissement retenu dans %s",
  ["nothing cleared (exit 2)"] = "rien n'est effacé (sortie 2)",
  ["ban forgotten in %s: requests will be sent again"] =
    "bannissement oublié dans %s : des requêtes seront de nouveau envoyées",
  ["clear-ban asks on a terminal; elsewhere give --yes (nothing cleared)"] =
    "clear-ban demande sur un terminal ; ailleurs, donnez --yes (rien n'est effacé)",
  -- publish
  ["%s published, %s cleared"] = "publié : %s, effacé : %s",
  ["status written"] = "statut écrit", ["nothing new"] = "rien de nouveau",
  ["rewritten: nothing stored"] = "réécrit : rien de stocké", ["rewritten: %s, %s"] = "réécrit : %s, %s",
  ["unknown kind or target %s"] = "genre ou cible inconnu %s",
  ["no state path: give --state PATH (neither XDG_STATE_HOME nor HOME is set)"] =
    "pas de chemin d'état : donnez --state PATH (ni XDG_STATE_HOME ni HOME n'est défini)",
  -- prms, auth, config, cron
  ["prms supports --format table, csv or json"] = "prms accepte --format table, csv ou json",
  ["token expires %s (%s)"] = "le jeton expire le %s (%s)",
  ["token has no expiry date"] = "le jeton n'a pas de date d'expiration",
  ["Paste your Conso API token (it will not be shown), then Enter: "] =
    "Collez votre jeton Conso API (il ne sera pas affiché), puis Entrée : ",
  ["no token on standard input"] = "aucun jeton sur l'entrée standard",
  ["this token expired on %s"] = "ce jeton a expiré le %s",
  ["token saved to %s (PRM %s%s)"] = "jeton enregistré dans %s (PRM %s%s)",
  [", expires %s"] = ", expire le %s",
  ["cannot read the config file: %s"] = "impossible de lire le fichier de configuration : %s",
  ["%s is not set in %s"] = "%s n'est pas fixé dans %s",
  ["nothing set in %s"] = "rien n'est fixé dans %s",
  ["set the token with `linky auth` (it reads standard input: not in your shell history)"] =
    "fixez le jeton avec `linky auth` (il lit l'entrée standard : rien dans l'historique du shell)",
  ["write %s in %s (mode 0600) or set it in the environment: a value on the command line shows in ps and the shell history"] =
    "écrivez %s dans %s (mode 0600) ou fixez-le dans l'environnement : une valeur sur la ligne de commande"
    .. " se voit dans ps et dans l'historique du shell",
  ["%s: %s"] = "%s : %s", ["--%s %s: %s"] = "--%s %s : %s",
  ["the state path holds a line break, which would end the crontab line"] =
    "le chemin d'état contient un saut de ligne, qui finirait la ligne de crontab",
  ["the program's path holds a line break, which would end the crontab line"] =
    "le chemin du programme contient un saut de ligne, qui finirait la ligne de crontab",
  ["(redacted)"] = "(masqué)",
  ["the token expires on %s (%s): get a new one from the Conso API site"] =
    "le jeton expire le %s (%s) : obtenez-en un nouveau sur le site de Conso API",
  ["the config file %s: %s: %s"] = "le fichier de configuration %s : %s : %s",
  ["cannot read the token file: %s"] = "impossible de lire le fichier du jeton : %s",
  ["the token file %s holds no token"] = "le fichier du jeton %s ne contient aucun jeton",
  ["--timeout takes a number of seconds > 0"] = "--timeout prend un nombre de secondes > 0",
  ["a PRM is 14 digits"] = "un PRM a 14 chiffres",
  ["the api is 2026 or legacy"] = "l'api vaut 2026 ou legacy",
  ["a base URL is http(s)://host[:port]/path, no spaces"] = "une URL de base est http(s)://hôte[:port]/chemin, sans espace",
  ["a user agent is 1 to 200 printable characters"] = "un user agent fait de 1 à 200 caractères imprimables",
  ["from is an e-mail address"] = "from est une adresse e-mail",
  ["the state is an absolute path"] = "state est un chemin absolu",
  ["influx_cafile is an absolute path"] = "influx_cafile est un chemin absolu",
  ["mqtt_cafile is an absolute path"] = "mqtt_cafile est un chemin absolu",
  ["the Tempo source is api-couleur-tempo or rte"] = "la source Tempo est api-couleur-tempo ou rte",
  ["the Tempo budget is 1 to 1000 requests in 24 hours"] = "le budget Tempo est de 1 à 1000 requêtes en 24 heures",
  ["an RTE client id has no spaces"] = "un identifiant client RTE n'a pas d'espace",
  ["an RTE client secret has no spaces"] = "un secret client RTE n'a pas d'espace",
  ["the discovery prefix is topic levels: letters, digits, _ - /"] =
    "le préfixe de découverte est fait de niveaux de sujet : lettres, chiffres, _ - /",
  -- cost, tariff, compare
  period = "période", ["%s kWh / cost"] = "%s kWh / coût", subscription = "abonnement",
  offer = "offre", days = "jours", kWh = "kWh", ["unpriced kWh"] = "kWh sans prix", energy = "énergie",
  difference = "écart",
  ["not covered by %s: %s"] = "non couvert par %s : %s",
  ["the tariff"] = "le tarif", ["the CRE file"] = "le fichier CRE", ["the colours"] = "le fichier de couleurs",
  ["%s %s is larger than 1 MiB"] = "%s %s dépasse 1 Mio",
  ["cannot read %s %s: %s"] = "impossible de lire %s %s : %s",
  ["the tariff %s is not a JSON object%s"] = "le tarif %s n'est pas un objet JSON%s",
  [": %s"] = " : %s",
  ["the tariff %s: %s"] = "le tarif %s : %s",
  ["the CRE file %s%s"] = "le fichier CRE %s%s",
  ["the colours %s line %d %s"] = "le fichier de couleurs %s, ligne %d : %s",
  ["must be the header date,colour"] = "doit être l'en-tête date,colour",
  ["must be YYYY-MM-DD,colour"] = "doit être AAAA-MM-JJ,couleur",
  ["names no date: %s"] = "ne nomme aucune date : %s",
  ["must give the colour blue, white or red"] = "doit donner la couleur blue, white ou red",
  ["gives %s a second colour (line %d gave one)"] = "donne une deuxième couleur au %s (la ligne %d en a donné une)",
  ["the tariff %s%s: %s"] = "le tarif %s%s : %s", [" with the colours %s"] = " avec les couleurs %s",
  ["--format is table, csv, json or influx"] = "--format vaut table, csv, json ou influx",
  ["--by is day or month"] = "--by vaut day ou month",
  ["--format influx writes a line per day and class: not with --by month"] =
    "--format influx écrit une ligne par jour et par classe : pas avec --by month",
  ["--kva and --hc go with --cre"] = "--kva et --hc vont avec --cre",
  ["--kva takes a power in kVA, a whole number like 9"] = "--kva prend une puissance en kVA, un nombre entier comme 9",
  ["--daily prices daily values: the tariff's classes must depend on neither hours nor colours"] =
    "--daily chiffre des valeurs quotidiennes : les classes du tarif ne doivent dépendre ni des heures ni des couleurs",
  ["Tempo colours: %s"] = "couleurs Tempo : %s",
  ["no Tempo colour for the tariff day"] = "aucune couleur Tempo pour le jour de tarif",
  ["no Tempo colour for the tariff days"] = "aucune couleur Tempo pour les jours de tarif",
  ["%s %s: %s kWh not priced, the cost is partial; get the colours with `linky tempo`, or give them with --colours FILE"] =
    "%s %s : %s kWh sans prix, le coût est partiel ; obtenez les couleurs avec `linky tempo`, ou donnez-les avec"
    .. " --colours FILE",
  ["each --cre FILE needs its --kva N, in the same order"] = "chaque --cre FILE demande son --kva N, dans le même ordre",
  ["--format is table, csv or json"] = "--format vaut table, csv ou json",
  -- tempo
  unknown = "inconnue",
  [" (provisional: final after 12:00)"] = " (provisoire : définitive après 12:00)",
  [" (settled: asked no more)"] = " (arrêtée : plus demandée)",
  ["no colour known yet for %d day"] = "aucune couleur encore connue pour %d jour",
  ["no colour known yet for %d days"] = "aucune couleur encore connue pour %d jours",
  ["--format is table, csv, json or jsonl"] = "--format vaut table, csv, json ou jsonl",
  ["--since must be before the day after tomorrow"] = "--since doit être avant après-demain",
  ["tempo_source rte needs rte_client_id and rte_client_secret (`linky config`)"] =
    "tempo_source rte demande rte_client_id et rte_client_secret (`linky config`)",
}

return M
