"""Comment search at a million comments on PostgreSQL: latency of the moderation search API.

Builds (once, with bulk SQL inside the database) an archive of ``--comments`` comments on
``--articles`` articles, half Spanish and half English, over a year, then times
``GET /api/v1/moderation/search`` through the application (Flask's test client: routing, token
check, queries, context, JSON) for a mix of searches a moderator makes, and prints p50, p95 and
p99 per kind and overall. Bounded: ``--rounds`` passes over the mix, nothing runs in the
background, and the build stops at its row count.

    createdb -h 127.0.0.1 -U postgres newsroom_search_bench          # once
    .venv/bin/python bench/search.py --build                          # ~10 minutes on 2 cores
    .venv/bin/python bench/search.py                                   # the measurement
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from typing import Any

from sqlalchemy import create_engine, text

from engagement import create_app, tokens
from engagement import db as database
from engagement.models import TokenScope

URL = os.environ.get(
    "BENCH_SEARCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/newsroom_search_bench"
)

SPANISH = [
    "el",
    "gobierno",
    "presupuesto",
    "elecciones",
    "canción",
    "canciones",
    "árbol",
    "árboles",
    "ciudad",
    "alcalde",
    "tranvía",
    "periodista",
    "periódico",
    "noticia",
    "noticias",
    "política",
    "económica",
    "crisis",
    "vivienda",
    "alquiler",
    "precio",
    "precios",
    "escuela",
    "hospital",
    "médico",
    "médicos",
    "sanidad",
    "educación",
    "cultura",
    "música",
    "película",
    "fútbol",
    "partido",
    "equipo",
    "entrenador",
    "jugadores",
    "afición",
    "estadio",
    "calle",
    "barrio",
    "vecinos",
    "ruido",
    "tráfico",
    "bicicleta",
    "autobús",
    "metro",
    "verano",
    "invierno",
    "lluvia",
    "calor",
    "playa",
    "montaña",
    "pueblo",
    "campo",
    "agua",
    "energía",
    "luz",
    "factura",
    "impuestos",
    "trabajo",
    "empleo",
    "salario",
    "jóvenes",
    "mayores",
    "pensión",
    "artículo",
    "opinión",
    "gracias",
    "excelente",
    "vergüenza",
    "mentira",
    "verdad",
    "razón",
    "acuerdo",
    "desacuerdo",
    "pregunta",
]
ENGLISH = [
    "the",
    "government",
    "budget",
    "election",
    "elections",
    "song",
    "songs",
    "tree",
    "trees",
    "city",
    "mayor",
    "tram",
    "reporter",
    "newspaper",
    "news",
    "politics",
    "economic",
    "crisis",
    "housing",
    "rent",
    "price",
    "prices",
    "school",
    "hospital",
    "doctor",
    "doctors",
    "health",
    "education",
    "culture",
    "music",
    "film",
    "football",
    "match",
    "team",
    "coach",
    "players",
    "fans",
    "stadium",
    "street",
    "neighbourhood",
    "neighbours",
    "noise",
    "traffic",
    "bicycle",
    "bus",
    "subway",
    "summer",
    "winter",
    "rain",
    "heat",
    "beach",
    "mountain",
    "village",
    "country",
    "water",
    "energy",
    "light",
    "bill",
    "taxes",
    "work",
    "jobs",
    "wages",
    "young",
    "older",
    "pension",
    "article",
    "opinion",
    "thanks",
    "excellent",
    "shame",
    "lie",
    "truth",
    "reason",
    "agree",
    "disagree",
    "question",
    "running",
    "runs",
    "runner",
]
NAMES = [
    f"{first} {last}"
    for first in ("Ana", "Luis", "María", "John", "Sara", "Tom", "Lucía", "Pablo", "Emma", "Jorge")
    for last in ("García", "Smith", "López", "Brown", "Pérez")
]


def build(url: str, *, articles: int, comments: int) -> None:
    """Empty the database, migrate it, and fill it with bulk SQL (no row leaves PostgreSQL)."""
    started = time.perf_counter()
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    database.upgrade(url)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        conn.execute(
            text(
                "INSERT INTO articles (key, title, language, comments_open, view_count,"
                " comment_count, thread_version, created_at, updated_at)"
                " SELECT 'story-' || a, 'Story ' || a, CASE WHEN a % 2 = 0 THEN 'es' ELSE 'en' END,"
                " true, 0, 0, 0, now(), now() FROM generate_series(1, :n) a"
            ),
            {"n": articles},
        )
        # The GIN index is built once after the load: far cheaper than row by row.
        conn.execute(text("DROP INDEX ix_comments_search_vector"))
        conn.execute(text("DROP INDEX ix_comments_created_at_id"))
        conn.execute(text("DROP INDEX ix_comments_author_name_lower"))
    batch = 100_000
    for start in range(0, comments, batch):
        stop = min(comments, start + batch)
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            conn.execute(
                text(
                    """
INSERT INTO comments (article_id, status, text, text_digest, html, author_name, author_email,
                      avatar, visitor, likes, pinned, spam_reasons, created_at)
SELECT a, status, body, md5(body), '<p>' || body || '</p>', (CAST(:names AS text[]))[1 + g % 50],
       CASE WHEN g % 3 = 0 THEN 'reader' || (g % 20000) || '@example.org' END,
       md5(g::text), md5('visitor' || (g % 20000)), 0, false,
       CASE WHEN status = 'spam' THEN '["links: 4 links (+3)"]'::json END,
       now() - make_interval(secs => (g * 31.536)::double precision)
FROM (
    SELECT g, 1 + (g * 7919) % :articles AS a,
           CASE WHEN g % 100 < 85 THEN 'approved' WHEN g % 100 < 93 THEN 'pending'
                WHEN g % 100 < 97 THEN 'spam' ELSE 'rejected' END AS status,
           (SELECT string_agg(
                CASE WHEN ((g * 7919) % :articles) % 2 = 1
                     THEN (CAST(:es AS text[]))[1 + (abs(hashtext(g::text || ':' || i)) % :nes)]
                     ELSE (CAST(:en AS text[]))[1 + (abs(hashtext(g::text || ':' || i)) % :nen)]
                END, ' ')
            FROM generate_series(1, 8 + g % 25) i)
           || CASE WHEN g % 5000 = 0 THEN ' zarzuela'
                   WHEN g % 7001 = 0 THEN ' xylophone' ELSE '' END
           AS body
    FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint)) g
) rows
"""
                ),
                {
                    "start": start + 1,
                    "stop": stop,
                    "articles": articles,
                    "names": NAMES,
                    "es": SPANISH,
                    "en": ENGLISH,
                    "nes": len(SPANISH),
                    "nen": len(ENGLISH),
                },
            )
        print(f"  {stop:,} comments ({time.perf_counter() - started:.0f} s)", flush=True)
    with engine.begin() as conn:
        conn.execute(
            text("CREATE INDEX ix_comments_search_vector ON comments USING gin (search_vector)")
        )
        conn.execute(text("CREATE INDEX ix_comments_created_at_id ON comments (created_at, id)"))
        conn.execute(
            text("CREATE INDEX ix_comments_author_name_lower ON comments (lower(author_name))")
        )
        conn.execute(
            text(
                "UPDATE articles SET comment_count = counted.n FROM (SELECT article_id, count(*) n"
                " FROM comments WHERE status = 'approved' GROUP BY article_id) counted"
                " WHERE counted.article_id = articles.id"
            )
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    print(f"built in {time.perf_counter() - started:.0f} s")


def searches(visitor: str, cursor: str) -> dict[str, list[dict[str, Any]]]:
    """The mix: each kind a few variants, so no single plan or cache line decides."""
    return {
        "common word": [{"q": w} for w in ("precio", "city", "gobierno", "music")],
        "rare word": [{"q": w} for w in ("zarzuela", "xylophone")],
        "two words": [{"q": w} for w in ("alquiler precio", "school doctors", "calle ruido")],
        "stemmed, accented": [{"q": w} for w in ("canciones", "arbol", "médico", "running")],
        "text + status": [{"q": "factura", "status": "pending"}, {"q": "taxes", "status": "spam"}],
        "text + article": [
            {"q": "equipo", "article": "story-42"},
            {"q": "team", "article": "story-7"},
        ],
        "author name": [{"author": "maría lópez"}, {"author": "tom brown", "status": "pending"}],
        "author email": [{"author": "reader300@example.org"}],
        "identity": [{"identity": visitor}],
        "days + signal": [{"since": "2026-03-01", "until": "2026-03-31", "signal": "links"}],
        "status only": [{"status": "pending"}, {"status": "spam"}],
        "next page": [{"q": "precio", "cursor": cursor}],
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _on_cpu_ns(pids: list[int]) -> int:
    """Nanoseconds these processes have spent running on a CPU (``/proc/<pid>/schedstat``)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/schedstat") as stat:
                total += int(stat.read().split()[0])
        except FileNotFoundError:
            pass
    return total


def _backends(url: str) -> list[int]:
    """The server processes of the benchmark database's connections (ours alone)."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        pids = conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            )
        ).scalars()
        found = [int(pid) for pid in pids]
    engine.dispose()
    return found


def _table(title: str, timings: dict[str, list[float]], hits: dict[str, int]) -> None:
    print(f"\n{title}\n")
    print("| search | requests | hits (first page) | p50 ms | p95 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind, values in timings.items():
        print(
            f"| {kind} | {len(values)} | {hits[kind]} | {statistics.median(values):.1f} |"
            f" {percentile(values, 0.95):.1f} | {percentile(values, 0.99):.1f} |"
        )
    everything = [value for values in timings.values() for value in values]
    print(
        f"| **all** | {len(everything)} | | {statistics.median(everything):.1f} |"
        f" {percentile(everything, 0.95):.1f} | **{percentile(everything, 0.99):.1f}** |"
    )


def measure(url: str, *, rounds: int) -> None:
    """Time the mix: wall-clock time, and the time the request spent on a CPU (the Python
    thread that serves it plus the PostgreSQL processes that answer its queries), which a
    machine shared with other work does not inflate."""
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(
            environ={},
            DATABASE_URL=url,
            SECRET_KEY="bench-secret-key-0123456789",
            AUTO_MIGRATE=False,
            INSTANCE_PATH=instance,
            RATELIMIT_ENABLED=False,
        )
        with app.app_context():
            db = database.session()
            _, secret = tokens.create(db, name="bench", scopes=[TokenScope.MODERATION])
            db.commit()
            visitor = db.scalar(text("SELECT visitor FROM comments WHERE id = 4242"))
            total = db.scalar(text("SELECT count(*) FROM comments"))
        client = app.test_client()
        headers = {"Authorization": f"Bearer {secret}"}
        first = client.get(
            "/api/v1/moderation/search", query_string={"q": "precio"}, headers=headers
        )
        mix = searches(str(visitor), first.json["next_cursor"])
        hits = {
            kind: len(
                client.get(
                    "/api/v1/moderation/search", query_string=variants[0], headers=headers
                ).json["comments"]
            )
            for kind, variants in mix.items()
        }
        backends = _backends(url)
        wall: dict[str, list[float]] = {kind: [] for kind in mix}
        cpu: dict[str, list[float]] = {kind: [] for kind in mix}
        loads = []
        for _ in range(rounds):
            loads.append(os.getloadavg()[0])
            for kind, variants in mix.items():
                for args in variants:
                    began, cpu_began = time.perf_counter(), time.thread_time_ns()
                    server_began = _on_cpu_ns(backends)
                    response = client.get(
                        "/api/v1/moderation/search", query_string=args, headers=headers
                    )
                    server = _on_cpu_ns(backends) - server_began
                    on_cpu = time.thread_time_ns() - cpu_began + server
                    wall[kind].append((time.perf_counter() - began) * 1000)
                    cpu[kind].append(on_cpu / 1e6)
                    assert response.status_code == 200, response.json
        print(
            f"{total:,} comments, {rounds} rounds; load average during the run"
            f" {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores"
        )
        _table("Time on a CPU per request (the service's thread and PostgreSQL's)", cpu, hits)
        _table("Wall-clock time per request (inflated by whatever else runs)", wall, hits)
        app.extensions["engagement.engine"].dispose()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="empty the database and fill it")
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=10)
    options = parser.parse_args(argv)
    if options.build:
        build(URL, articles=options.articles, comments=options.comments)
    measure(URL, rounds=options.rounds)


if __name__ == "__main__":
    main(sys.argv[1:])
