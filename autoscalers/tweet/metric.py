#!/usr/bin/env python3
"""Metric of the tweet autoscaler: thumbs-up and thumbs-down tweets with a hashtag.

Reads the Twitter API v2 recent-search endpoint (GET /2/tweets/search/recent, bearer token
auth) for `#HASHTAG -is:retweet`, following `meta.next_token` for up to MAX_PAGES pages, and
counts the tweets whose text holds a thumbs-up (U+1F44D) or a thumbs-down (U+1F44E).
Output: {"up": <n>, "down": <n>, "tweets": <n>}.

Environment:
  HASHTAG                  without '#' (default: cpa)
  TWEET_API_URL            API base URL (default: https://api.twitter.com)
  TWEET_BEARER_TOKEN_FILE  file holding the bearer token, a mounted Secret
                           (default: /var/run/secrets/tweet/bearer-token)
  TWEET_BEARER_TOKEN       the token itself, used when set (instead of the file)
  MAX_PAGES                pages of 100 tweets read at most (default: 5)

Any failure (no token, unreachable API, rate limit, a rejected token, an error reply) exits 1
with one clear line on stderr: cpa then scales nothing in that run.
"""
import datetime
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

THUMBS_UP = "\U0001F44D"
THUMBS_DOWN = "\U0001F44E"


def fail(message):
    sys.stderr.write(f"tweet: {message}; not scaling\n")
    sys.exit(1)


def bearer_token():
    token = os.environ.get("TWEET_BEARER_TOKEN", "").strip()
    if token:
        return token
    path = os.environ.get("TWEET_BEARER_TOKEN_FILE", "/var/run/secrets/tweet/bearer-token")
    try:
        with open(path, encoding="utf-8") as f:
            token = f.read().strip()
    except OSError as e:
        fail(f"no bearer token: cannot read {path} ({e.strerror}); mount the Secret or set "
             "TWEET_BEARER_TOKEN")
    if not token:
        fail(f"no bearer token: {path} is empty")
    return token


def error_detail(body):
    try:
        reply = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace").strip()
    parts = [reply.get("title"), reply.get("detail")]
    for e in reply.get("errors", []) or []:
        parts.append(e.get("message") or e.get("detail"))
    return ": ".join(p for p in parts if p) or body[:200].decode("utf-8", "replace")


def get_page(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}",
                                                   "User-Agent": "cpa-tweet-autoscaler"})
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            body = reply.read()
    except urllib.error.HTTPError as e:
        body = e.read()
        if e.code == 429:
            reset = e.headers.get("x-rate-limit-reset", "")
            when = ""
            if reset.isdigit():
                when = ", resets at " + datetime.datetime.fromtimestamp(
                    int(reset), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            fail(f"Twitter API rate limit reached (HTTP 429{when})")
        if e.code in (401, 403):
            fail(f"the bearer token was rejected (HTTP {e.code}: {error_detail(body)})")
        fail(f"the Twitter API answered HTTP {e.code}: {error_detail(body)}")
    except (urllib.error.URLError, OSError) as e:
        fail(f"cannot reach the Twitter API at {url.split('?')[0]}: {getattr(e, 'reason', e)}")
    try:
        reply = json.loads(body)
    except ValueError:
        fail("the Twitter API answered something that is not JSON")
    if "data" not in reply and reply.get("errors"):
        fail(f"the Twitter API answered errors: {error_detail(body)}")
    return reply


def main():
    json.load(sys.stdin)  # the target; not needed, read so the writer never blocks
    hashtag = os.environ.get("HASHTAG", "cpa").lstrip("#")
    base = os.environ.get("TWEET_API_URL", "https://api.twitter.com").rstrip("/")
    pages = int(os.environ.get("MAX_PAGES", "5"))
    token = bearer_token()
    params = {"query": f"#{hashtag} -is:retweet", "max_results": "100"}
    up = down = tweets = 0
    for _ in range(pages):
        url = f"{base}/2/tweets/search/recent?{urllib.parse.urlencode(params)}"
        reply = get_page(url, token)
        for tweet in reply.get("data", []) or []:
            text = tweet.get("text", "")
            tweets += 1
            up += THUMBS_UP in text
            down += THUMBS_DOWN in text
        next_token = (reply.get("meta") or {}).get("next_token")
        if not next_token:
            break
        params["next_token"] = next_token
    print(json.dumps({"up": up, "down": down, "tweets": tweets}))


if __name__ == "__main__":
    main()
