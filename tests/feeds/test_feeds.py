"""Atom feeds of approved comments: valid Atom, only what readers see, cacheable."""

from __future__ import annotations

from typing import Any

from defusedxml import ElementTree
from flask import Flask
from flask.testing import FlaskClient

from engagement.models import CommentStatus
from tests import builders

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = '<script>alert("x")</script>'


def parse(client: FlaskClient, path: str) -> Any:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/atom+xml"
    return ElementTree.fromstring(response.get_data())


def entries(feed: Any) -> list[Any]:
    return feed.findall(f"{ATOM}entry")


def test_the_article_feed_is_valid_atom_with_every_required_element(
    app: Flask, client: FlaskClient
) -> None:
    builders.article(app, title="The story", url="https://magazine.example/the-story")
    comment_id, _ = builders.comment(app, text="A *fine* piece.", name="Ada")
    feed = parse(client, "/feeds/articles/the-story/comments.atom")
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}").text
    assert feed.find(f"{ATOM}title").text == "Comments on The story"
    self_link = feed.find(f"{ATOM}link[@rel='self']")
    assert self_link.get("href").endswith("/feeds/articles/the-story/comments.atom")
    (entry,) = entries(feed)
    for required in ("id", "title", "updated", "published"):
        assert entry.find(f"{ATOM}{required}").text
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "Ada"
    assert entry.find(f"{ATOM}title").text == "Ada on The story"
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html" and "<em>fine</em>" in content.text
    link = entry.find(f"{ATOM}link").get("href")  # rel="alternate", Atom's default
    assert link == f"https://magazine.example/the-story#eg-comment-{comment_id}"


def test_entries_come_newest_first_with_distinct_ids(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    builders.comment(app, text="First")
    builders.comment(app, text="Second")
    found = entries(parse(client, "/feeds/articles/the-story/comments.atom"))
    assert ["Second" in e.find(f"{ATOM}content").text for e in found] == [True, False]
    assert len({e.find(f"{ATOM}id").text for e in found}) == 2


def test_only_approved_visible_comments_are_in_a_feed(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    builders.comment(app, text="Shown")
    builders.comment(app, text="Waiting", status=CommentStatus.PENDING)
    builders.comment(app, text="Junk", status=CommentStatus.SPAM)
    builders.comment(app, text="Refused", status=CommentStatus.REJECTED)
    body = client.get("/feeds/comments.atom").get_data(as_text=True)
    assert "Shown" in body
    assert not any(word in body for word in ("Waiting", "Junk", "Refused"))


def test_no_email_or_visitor_hash_ever_reaches_a_feed(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    builders.comment(app, email="ada@private.example", visitor="visitor-hash-123")
    for path in ("/feeds/comments.atom", "/feeds/articles/the-story/comments.atom"):
        body = client.get(path).get_data(as_text=True)
        assert "private.example" not in body and "@" not in body.split("<entry>")[1]
        assert "visitor-hash-123" not in body
        assert "<email>" not in body


def test_comment_html_is_escaped_inside_the_feed(app: Flask, client: FlaskClient) -> None:
    builders.article(app, title=HOSTILE)
    builders.comment(app, text=HOSTILE, name=HOSTILE)
    raw = client.get("/feeds/comments.atom").get_data(as_text=True)
    assert "<script" not in raw
    feed = ElementTree.fromstring(raw.encode())
    assert "<script" not in entries(feed)[0].find(f"{ATOM}content").text


def test_the_site_feed_holds_comments_of_every_article(app: Flask, client: FlaskClient) -> None:
    builders.article(app, "one", title="One")
    builders.article(app, "two", title="Two")
    builders.comment(app, "one", text="On one", name="Ada")
    builders.comment(app, "two", text="On two", name="Bo")
    feed = parse(client, "/feeds/comments.atom")
    assert [e.find(f"{ATOM}title").text for e in entries(feed)] == ["Bo on Two", "Ada on One"]


def test_an_empty_feed_is_still_valid(app: Flask, client: FlaskClient) -> None:
    builders.article(app)
    feed = parse(client, "/feeds/articles/the-story/comments.atom")
    assert entries(feed) == [] and feed.find(f"{ATOM}updated").text


def test_a_feed_answers_not_modified_until_a_comment_arrives(
    app: Flask, client: FlaskClient
) -> None:
    builders.article(app)
    builders.comment(app, text="First")
    first = client.get("/feeds/articles/the-story/comments.atom")
    assert (
        "public" in first.headers["Cache-Control"]
        and "max-age=300" in first.headers["Cache-Control"]
    )
    etag = first.headers["ETag"]
    again = client.get("/feeds/articles/the-story/comments.atom", headers={"If-None-Match": etag})
    assert again.status_code == 304
    builders.comment(app, text="Second")
    changed = client.get("/feeds/articles/the-story/comments.atom", headers={"If-None-Match": etag})
    assert changed.status_code == 200


def test_the_feed_of_an_unknown_article_is_404(client: FlaskClient) -> None:
    assert client.get("/feeds/articles/nobody/comments.atom").status_code == 404
