-- POST a view with a distinct visitor per request, so that every request must be counted.
--   wrk -s views.lua http://127.0.0.1:PORT/api/v1/articles/KEY/views -- MODE NONCE
-- MODE "address": each request comes from its own client address (X-Forwarded-For, for a
--   service behind one trusted proxy) with one of a few common browser user agents, as real
--   readers do; the crawler check then answers from its cache.
-- MODE "agent": each request carries a never-seen user agent, the worst case for the crawler
--   check, which must then match the agent against its whole list.
-- The tally adds "counted" and "not_counted" from the response bodies.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

local agents = {
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
}
local mode = "address"
local nonce = 0
local n = 0

init = function(args)
  mode = args[1] or "address"
  nonce = tonumber(args[2]) or 0
  wrk.method = "POST"
end

request = function()
  n = n + 1
  if mode == "agent" then
    -- crawlerdetect flags words such as "bot", "reader" or "fetch": keep to browser words.
    wrk.headers["User-Agent"] = string.format(
      "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 visitor/%d-%d-%d",
      nonce, thread_id or 0, n)
  else
    -- 10.x.y.z from (nonce, thread, request number): unique within a run of < 2^22 requests.
    local i = (nonce % 4) * 4194304 + ((thread_id or 0) % 4) * 1048576 + (n % 1048576)
    wrk.headers["User-Agent"] = agents[(n % #agents) + 1]
    wrk.headers["X-Forwarded-For"] = string.format(
      "10.%d.%d.%d", math.floor(i / 65536) % 256, math.floor(i / 256) % 256, i % 256)
  end
  return wrk.format()
end

response = function(status, headers, body)
  count(tostring(status))
  if status == 200 then
    if body:find('"counted":%s*true') then count("counted") else count("not_counted") end
  end
end
