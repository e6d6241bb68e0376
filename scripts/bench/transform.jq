# transform.jq: the mapping of cs-transform(1) in jq, for the benchmark
# (scripts/bench/bench-transform runs "jq -c -f transform.jq").  It does
# the same work as cs-transform on every event: the aliases with null
# falling through, the type checks (values of another type null or
# coerced, but not counted), prices rounded half away from zero
# from numbers and numeric strings, UUIDs lower-cased, the time sources in
# order, RFC 3339 times parsed and written in UTC, source_key, element and
# ingest as JSON text, all 22 columns in order.
#
# What jq cannot do: it has no SHA-1, so the UUIDv5 of a non-UUID or
# missing id is not computed (event_id is null there; raw_event_id is
# kept), which spares jq work cs-transform does; element and ingest are
# written with tojson, not as sent; a bad event stops with error() where
# cs-transform writes a reject record.

# The first of the values that is not null (false counts as a value).
def first_set(f): [f | select(. != null)] | .[0];

# A value of an unexpected type is null (cs-transform counts it).
def text:
  if type == "string" then .
  elif type == "number" then tojson
  else null end;

def boolean:
  if type == "boolean" then .
  elif . == 1 or . == "1" or (type == "string" and ascii_downcase == "true") then true
  elif . == 0 or . == "0" or (type == "string" and ascii_downcase == "false") then false
  else null end;

def object:
  if type == "object" then . else null end;

# Rounded to an integer, halves away from zero; null when not a number
# or outside BIGINT.
def price:
  (if type == "number" then .
   elif type == "string" and test("^[ \t]*[+-]?[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?[ \t]*$")
   then (gsub("^[ \t]+|[ \t]+$"; "") | ltrimstr("+") | tonumber)
   else null end)
  | if . == null then null
    else (if . < 0 then -((-.) + 0.5 | floor) else (. + 0.5 | floor) end)
      | if . > 9223372036854775807 or . < -9223372036854775808 then null else . end
    end;

# An RFC 3339 time (zone required; with $nozone, a time with no zone is
# UTC) to "YYYY-MM-DDTHH:MM:SS.mmmZ" (or six digits when there are
# microseconds), or null.
def utc($nozone):
  if type != "string" then null else
  (capture("^(?<d>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ](?<hm>[0-9]{2}:[0-9]{2})(:(?<s>[0-9]{2})([.,](?<f>[0-9]+))?)?(?<z>[Zz]|[+-][0-9]{2}(:?[0-9]{2})?)" + (if $nozone then "?" else "" end) + "$")
   // null)
  | if . == null then null else
    ((.d + "T" + .hm + ":" + (.s // "00") + "Z") | strptime("%Y-%m-%dT%H:%M:%SZ") | mktime) as $secs
    | (((.f // "") + "000000")[0:6] | tonumber) as $us
    | (if .z == null or .z == "Z" or .z == "z" then 0
       else (.z | (if .[0:1] == "-" then -1 else 1 end) as $sign
         | ltrimstr("+") | ltrimstr("-") | gsub(":"; "")
         | ((.[0:2] | tonumber) * 3600 + ((.[2:4] + "00")[0:2] | tonumber) * 60) * $sign)
       end) as $off
    | (($secs - $off) | strftime("%Y-%m-%dT%H:%M:%S"))
      + (if $us % 1000 == 0 then "." + ((($us / 1000 | floor) + 1000) | tostring | .[1:])
         else "." + (($us + 1000000) | tostring | .[1:]) end) + "Z"
    end
  end;

def uuid_re: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

if type != "object" then error("not a JSON object") else . end
| (.product | object) as $p
| (.context_product | object) as $cp
| (.element | object) as $el
| (._ingest | object) as $in
| (._source | object) as $src
| ([.eventName, .event_name] | map(select(. != null and . != "")) | .[0]) as $name
| if $name != null and ($name | type) != "string" then error("eventName is not a string") else . end
| first_set(.eventId, .event_id) as $id
| if $id != null and ($id | type) != "string" then error("eventId is not a string") else . end
| ([(($in // {}).receivedAt | utc(false)),
    (first_set(.eventTimestamp, .event_timestamp) | utc(true)),
    (($src // {}).last_modified | utc(false))]
   | map(select(. != null)) | .[0]) as $time
| if $time == null then error("no usable timestamp") else . end
| ($id != null and $id != "" and ($id | test(uuid_re))) as $is_uuid
| (if $src != null and ($src.bucket | type) == "string" and ($src.key | type) == "string"
      and ($src.line | type) == "number"
   then "\($src.bucket)/\($src.key):\($src.line)" else null end) as $key
| {
    event_id: (if $is_uuid then ($id | ascii_downcase) else null end),
    event_timestamp: $time,
    event_name: ($name // "unknown"),
    user_id: (first_set(.userId, .user_id) | text),
    user_login_state: (first_set(.userLoginState, .user_login_state) | text),
    identity_source: (first_set(.identity_source, .identitySource) | text),
    client_id: (first_set(.clientId, .client_id) | text),
    session_id: (first_set(.sessionId, .session_id) | text),
    is_first_visit: (first_set(.isFirstVisit, .is_first_visit) | boolean),
    context_product_id: (first_set($p.id, $p.product_id, $cp.product_id, $cp.id) | text),
    context_product_name: (first_set($p.name, $p.product_name, $cp.product_name, $cp.name) | text),
    context_product_category: (first_set($p.category, $p.product_category, $cp.product_category, $cp.category) | text),
    context_product_brand: (first_set($p.brand, $p.brandName, $p.product_brand, $cp.product_brand, $cp.brand, $cp.brandName) | text),
    context_product_price: (first_set($p.price, $p.product_price, $cp.product_price, $cp.price) | price),
    context_product_discount_price: (first_set($p.discountPrice, $p.product_discount_price, $cp.product_discount_price, $cp.discountPrice) | price),
    context_product_url_path: (first_set($p.urlPath, $p.product_url_path, $cp.product_url_path, $cp.urlPath) | text),
    page_url: (first_set(.pageUrl, .page_url) | text),
    referrer: (.referrer | text),
    raw_event_id: (if $is_uuid or $id == null or $id == "" then null else $id end),
    source_key: $key,
    element: (if $el == null then null else ($el | tojson) end),
    ingest: (if $in == null then null else ($in | tojson) end)
  }
