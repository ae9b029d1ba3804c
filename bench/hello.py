"""The bare Flask baseline: one route answering a small JSON, no database, no middleware."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/hello")
def hello():  # type: ignore[no-untyped-def]
    return jsonify(ok=1)
