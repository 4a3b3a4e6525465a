"""The framework's ceiling on this machine: a bare trivial view (/trivial, beside our
/healthz), and a minimal Flask endpoint doing one indexed query (a ticket by its
unique reference) on the same database, served by the same gunicorn configuration as
the app; and, for writes, one doing one INSERT and a durable
commit into a table of the bench's own (bench_writes, made by bench/load.py).
bench/load.py runs it beside the real app.

    DATABASE_URL=postgresql://127.0.0.1:5432/<db> gunicorn -c gunicorn.conf.py bench.ceiling_app:app
"""
import os
import random

from flask import Flask, abort
from sqlalchemy import create_engine, text

DATABASE_URL = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
engine = create_engine(DATABASE_URL, pool_pre_ping=True)
app = Flask(__name__)

with engine.connect() as connection:
    REFERENCES = [row[0] for row in connection.execute(text("SELECT reference FROM tickets LIMIT 500"))]
# Loaded in gunicorn's master (preload): no pooled connection may follow the fork.
engine.dispose()


@app.route("/trivial")
def trivial():
    """The bare framework: what our /healthz answers, with no hook of ours."""
    return {"status": "ok"}, 200, {"Cache-Control": "no-store"}


@app.route("/ceiling")
def ceiling():
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT id, status FROM tickets WHERE reference = :reference"),
            {"reference": random.choice(REFERENCES)},
        ).first()
    if row is None:
        abort(404)
    return {"id": row.id, "status": row.status}


@app.route("/ceiling-write", methods=["POST"])
def ceiling_write():
    with engine.begin() as connection:
        row = connection.execute(
            text("INSERT INTO bench_writes (reference) VALUES (:reference) RETURNING id"),
            {"reference": random.choice(REFERENCES)},
        ).first()
    return {"id": row.id}, 201
