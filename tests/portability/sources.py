"""Small files in the shape of real exports, built by the tests: one magazine story whose
thread has a reply chain, spam, a deleted comment with an answer and a pending comment."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from flask import Flask

from engagement.cli import main
from tests.conftest import TEST_SECRET, committing

STORY_URL = "https://magazine.example/2024/05/my-story/"
HOSTILE = (
    '<script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">x</a>'
)


def run(
    app: Flask, tmp_path: Path, *args: str, input: str | None = None, secret: str = TEST_SECRET
) -> Result:
    """Run ``engagement ARGS`` on the app's database, as an operator would."""
    env = {
        "ENGAGEMENT_SECRET_KEY": secret,
        "ENGAGEMENT_INSTANCE_PATH": str(tmp_path / "instance"),
        "ENGAGEMENT_DATABASE_URL": committing(app).config["DATABASE_URL"],
        "ENGAGEMENT_AUTO_MIGRATE": "false",
    }
    return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)


def at(minute: int) -> datetime:
    return datetime(2024, 5, 1, 10, minute, tzinfo=UTC)


# --- Disqus ----------------------------------------------------------------------------------


def _disqus_post(
    post_id: int,
    message: str,
    minute: int,
    *,
    name: str,
    email: str,
    parent: int | None = None,
    deleted: bool = False,
    spam: bool = False,
    thread: int = 7001,
) -> str:
    parent_element = f'<parent dsq:id="{parent}" />' if parent else ""
    return f"""
  <post dsq:id="{post_id}">
    <id />
    <message><![CDATA[{message}]]></message>
    <createdAt>{at(minute):%Y-%m-%dT%H:%M:%SZ}</createdAt>
    <isDeleted>{str(deleted).lower()}</isDeleted>
    <isSpam>{str(spam).lower()}</isSpam>
    <author>
      <email>{email}</email>
      <name>{name}</name>
      <isAnonymous>false</isAnonymous>
      <username>{name.lower()}</username>
    </author>
    <ipAddress>203.0.113.9</ipAddress>
    <thread dsq:id="{thread}" />
    {parent_element}
  </post>"""


def disqus_xml(tmp_path: Path, *, extra_message: str | None = None, identifier: str = "") -> Path:
    """A Disqus export: a category, two threads (one without posts) and the story's posts."""
    posts = [
        _disqus_post(1, "<p>First! A <b>fine</b> story.</p>", 0, name="Ada",
                     email="Ada@Example.org"),
        _disqus_post(2, "<p>Agreed, see <a href=\"https://example.net/x\">this</a>.</p>", 5,
                     name="Bob", email="bob@example.org", parent=1),
        _disqus_post(3, "<p>Thanks Bob</p>", 10, name="Ada", email="ada@example.org", parent=2),
        _disqus_post(4, "<p>Cheap pills</p>", 20, name="Spammer", email="spam@example.com",
                     spam=True),
        _disqus_post(5, "<p>Something rude</p>", 30, name="Eve", email="eve@example.org",
                     deleted=True),
        _disqus_post(6, "<p>Don't feed the trolls</p>", 35, name="Bob",
                     email="bob@example.org", parent=5),
    ]  # fmt: skip
    if extra_message is not None:
        posts.append(_disqus_post(8, extra_message, 40, name="Mallory", email="m@example.org"))
    path = tmp_path / "disqus.xml"
    path.write_text(
        f"""<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
        xsi:schemaLocation="http://disqus.com/api/schemas/1.0/disqus.xsd">
  <category dsq:id="11">
    <forum>magazine</forum>
    <title>General</title>
    <isDefault>true</isDefault>
  </category>
  <thread dsq:id="7001">
    <id>{identifier}</id>
    <forum>magazine</forum>
    <category dsq:id="11" />
    <link>{STORY_URL}</link>
    <title>My story</title>
    <message />
    <createdAt>2024-04-30T08:00:00Z</createdAt>
    <author><email>editor@magazine.example</email><name>Editor</name>
      <isAnonymous>false</isAnonymous><username>editor</username></author>
    <ipAddress>198.51.100.1</ipAddress>
    <isClosed>false</isClosed>
    <isDeleted>false</isDeleted>
  </thread>
  <thread dsq:id="7002">
    <id>quiet-story</id>
    <forum>magazine</forum>
    <category dsq:id="11" />
    <link>https://magazine.example/quiet-story/</link>
    <title>Nobody commented</title>
    <message />
    <createdAt>2024-04-30T09:00:00Z</createdAt>
    <isClosed>false</isClosed>
    <isDeleted>false</isDeleted>
  </thread>
{"".join(posts)}
</disqus>
""",
        encoding="utf-8",
    )
    return path


# --- WordPress -------------------------------------------------------------------------------


def _wxr_comment(
    comment_id: int,
    content: str,
    minute: int,
    *,
    author: str,
    email: str,
    parent: int = 0,
    approved: str = "1",
    kind: str = "",
) -> str:
    return f"""
      <wp:comment>
        <wp:comment_id>{comment_id}</wp:comment_id>
        <wp:comment_author><![CDATA[{author}]]></wp:comment_author>
        <wp:comment_author_email><![CDATA[{email}]]></wp:comment_author_email>
        <wp:comment_author_url>https://{author.lower()}.example</wp:comment_author_url>
        <wp:comment_author_IP><![CDATA[203.0.113.7]]></wp:comment_author_IP>
        <wp:comment_date><![CDATA[{at(minute):%Y-%m-%d %H:%M:%S}]]></wp:comment_date>
        <wp:comment_date_gmt><![CDATA[{at(minute):%Y-%m-%d %H:%M:%S}]]></wp:comment_date_gmt>
        <wp:comment_content><![CDATA[{content}]]></wp:comment_content>
        <wp:comment_approved><![CDATA[{approved}]]></wp:comment_approved>
        <wp:comment_type><![CDATA[{kind}]]></wp:comment_type>
        <wp:comment_parent>{parent}</wp:comment_parent>
        <wp:comment_user_id>0</wp:comment_user_id>
      </wp:comment>"""


def wxr_xml(tmp_path: Path, *, extra_content: str | None = None, slug: str = "my-story") -> Path:
    """A WordPress 1.2 export: site header, an author, the story with its comments, a page."""
    comments = [
        _wxr_comment(11, "First! A <b>fine</b> story.", 0, author="Ada", email="ada@example.org"),
        _wxr_comment(12, "Agreed, see <a href=\"https://example.net/x\">this</a>.\nSecond line.",
                     5, author="Bob", email="bob@example.org", parent=11),
        _wxr_comment(13, "Thanks Bob", 10, author="Ada", email="ada@example.org", parent=12),
        _wxr_comment(14, "Cheap pills", 20, author="Spammer", email="spam@example.com",
                     approved="spam"),
        _wxr_comment(15, "Something rude", 30, author="Eve", email="eve@example.org",
                     approved="trash"),
        _wxr_comment(16, "Don't feed the trolls", 35, author="Bob", email="bob@example.org",
                     parent=15),
        _wxr_comment(17, "Is this true?", 40, author="Carol", email="carol@example.org",
                     approved="0"),
        _wxr_comment(18, "[...] linked from elsewhere [...]", 45, author="Other blog",
                     email="", kind="pingback"),
    ]  # fmt: skip
    if extra_content is not None:
        comments.append(_wxr_comment(19, extra_content, 50, author="Mallory", email="m@ex.org"))
    path = tmp_path / "wordpress.xml"
    path.write_text(
        f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0"
    xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
    xmlns:content="http://purl.org/rss/1.0/modules/content/"
    xmlns:wfw="http://wellformedweb.org/CommentAPI/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
  <title>The Magazine</title>
  <link>https://magazine.example</link>
  <description>Stories</description>
  <wp:wxr_version>1.2</wp:wxr_version>
  <wp:base_site_url>https://magazine.example</wp:base_site_url>
  <wp:author><wp:author_id>1</wp:author_id><wp:author_login>editor</wp:author_login></wp:author>
  <item>
    <title>My story</title>
    <link>{STORY_URL}</link>
    <pubDate>Tue, 30 Apr 2024 08:00:00 +0000</pubDate>
    <dc:creator><![CDATA[editor]]></dc:creator>
    <guid isPermaLink="false">https://magazine.example/?p=42</guid>
    <content:encoded><![CDATA[<p>The story.</p>]]></content:encoded>
    <wp:post_id>42</wp:post_id>
    <wp:post_date_gmt>2024-04-30 08:00:00</wp:post_date_gmt>
    <wp:comment_status>open</wp:comment_status>
    <wp:post_name>{slug}</wp:post_name>
    <wp:status>publish</wp:status>
    <wp:post_type>post</wp:post_type>
{"".join(comments)}
  </item>
  <item>
    <title>About us</title>
    <link>https://magazine.example/about/</link>
    <wp:post_id>2</wp:post_id>
    <wp:post_name>about</wp:post_name>
    <wp:post_type>page</wp:post_type>
  </item>
</channel>
</rss>
""",
        encoding="utf-8",
    )
    return path


# --- Isso ------------------------------------------------------------------------------------

ISSO_SCHEMA = """
CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE comments (
    tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER,
    created FLOAT NOT NULL, modified FLOAT, mode INTEGER, remote_addr VARCHAR,
    text VARCHAR, author VARCHAR, email VARCHAR, website VARCHAR,
    likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB NOT NULL,
    notification INTEGER DEFAULT 0);
"""


def isso_db(
    tmp_path: Path, *, extra_text: str | None = None, more: Sequence[tuple[Any, ...]] = ()
) -> Path:
    """An Isso database as Isso creates it, with the story's thread at ``/2024/05/my-story/``.
    Isso has no spam queue: the spam was deleted (mode 4) before the export. ``more`` adds
    comments: (id, parent, minute, mode, text, author, email, website, likes)."""
    rows: list[tuple[Any, ...]] = [
        (1, None, 0, 1, "First! A **fine** story.", "Ada", "ada@example.org", None, 2),
        (2, 1, 5, 1, "Agreed, see [this](https://example.net/x).", "Bob", "bob@example.org",
         "https://bob.example", 0),
        (3, 2, 10, 1, "Thanks Bob", "Ada", "ADA@example.org", None, 0),
        (4, None, 20, 4, "", None, None, None, 0),
        (5, None, 30, 4, "", None, None, None, 0),
        (6, 5, 35, 1, "Don't feed the trolls", "Bob", "bob@example.org", None, 0),
        (7, None, 40, 2, "Is this true?", "Carol", "carol@example.org", None, 0),
    ]  # fmt: skip
    if extra_text is not None:
        rows.append((8, None, 50, 1, extra_text, "Mallory", "m@example.org", None, 0))
    rows.extend(more)
    path = tmp_path / "comments.db"
    connection = sqlite3.connect(path)
    connection.executescript(ISSO_SCHEMA)
    connection.execute(
        "INSERT INTO threads (id, uri, title) VALUES (1, '/2024/05/my-story/', 'My story')"
    )
    connection.execute("INSERT INTO threads (id, uri, title) VALUES (2, '/quiet/', 'Quiet')")
    connection.executemany(
        "INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text, "
        "author, email, website, likes, dislikes, voters, notification) "
        "VALUES (1, ?, ?, ?, NULL, ?, '203.0.113.0', ?, ?, ?, ?, ?, 0, x'00', 0)",
        [(cid, parent, at(minute).timestamp(), mode, text, author, email, website, likes)
         for cid, parent, minute, mode, text, author, email, website, likes in rows],
    )  # fmt: skip
    connection.commit()
    connection.close()
    return path
