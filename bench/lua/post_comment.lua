-- POST a new top-level comment with a text of its own on every request.
--   wrk -s post_comment.lua URL -- engagement|notify|isso NONCE
-- "engagement": POST /api/v1/articles/KEY/comments; "isso": Isso's POST /new?uri=...
-- "notify": the service's post with an email asking for reply mails, from one of 50 readers
-- per wrk thread (their first post asks them to confirm; later ones only add a watch).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")

local mode = "engagement"
local nonce = "0"
local n = 0

init = function(args)
  mode = args[1] or "engagement"
  nonce = args[2] or "0"
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
end

request = function()
  n = n + 1
  local text = string.format(
    "benchmark comment %s-%d-%d from wrk with *some* markdown and a bit of text",
    nonce, thread_id or 0, n)
  local body
  if mode == "notify" then
    body = string.format(
      '{"text":"%s","author_name":"wrk","author_email":"reader-%d-%d@example.com",' ..
      '"notify_replies":true,"lang":"en"}', text, thread_id or 0, n % 50)
  elseif mode == "isso" then
    body = string.format('{"text":"%s","author":"wrk","title":"Bench","parent":null}', text)
  else
    body = string.format('{"text":"%s","author_name":"wrk"}', text)
  end
  return wrk.format(nil, nil, nil, body)
end
