"""The crawler check answers exactly as crawlerdetect does, in a fraction of its time."""

from __future__ import annotations

import re

import pytest
from crawlerdetect import CrawlerDetect
from crawlerdetect.providers.crawlers import data as CRAWLER_PATTERNS

from engagement.pageviews.visitors import CrawlerMatcher, is_crawler

BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (compatible; YandexSearch/1.0)",
]
BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.1)",
]
# Patterns that are words, not expressions: each makes a user agent of its own below.
_PLAIN = re.compile(r"[A-Za-z0-9 _-]+")
PLAIN_AGENTS = [
    f"Mozilla/5.0 (X11; Linux x86_64) {pattern}/1.0"
    for pattern in CRAWLER_PATTERNS
    if _PLAIN.fullmatch(pattern)
]
reference = CrawlerDetect()


@pytest.mark.parametrize("agent", BROWSERS + BOTS)
def test_known_agents_are_judged_as_crawlerdetect_judges_them(agent: str) -> None:
    assert is_crawler(agent) is reference.is_crawler(agent)


def test_every_plain_word_of_the_list_is_judged_as_crawlerdetect_judges_it() -> None:
    assert len(PLAIN_AGENTS) > 500
    matcher = CrawlerMatcher(CRAWLER_PATTERNS)
    disagree = [agent for agent in PLAIN_AGENTS if matcher(agent) != reference.is_crawler(agent)]
    assert disagree == []


def test_patterns_with_lookarounds_still_apply() -> None:
    """RE2 has no lookahead; such patterns are matched by Python's engine, as in the list."""
    matcher = CrawlerMatcher(["Yandex(?!Search)"])
    assert matcher("Mozilla/5.0 (compatible; YandexBot/3.0)")
    assert not matcher("Mozilla/5.0 (compatible; YandexSearch/1.0)")


def test_bots_are_crawlers_and_browsers_are_not() -> None:
    assert all(is_crawler(agent) for agent in BOTS)
    assert not any(is_crawler(agent) for agent in BROWSERS)


def test_an_empty_user_agent_is_a_crawler() -> None:
    assert is_crawler("")
    assert is_crawler("   ")
