"""The framework's ceiling on this machine: a bare trivial view (/trivial, beside our
/healthz), and a minimal Flask endpoint doing one indexed query (a ticket by its
unique reference) on the same database, served by the same gunicorn configuration as
the app; for writes, one doing one INSERT and a durable commit into a table of the
bench's own (bench_writes, made by bench/load.py); and the submission's floor
(/floor): the resident's form parsed and the three rows a submission must write
(the ticket, its "created" event, the worker's announce row) INSERTed into the app's
own tables, with all their indexes, and committed, with none of what the app adds
around them (CSRF, the session, the form's validation, routing, masking, the rate
limiter, its log line). bench/load.py and bench/request_cost.py run it beside the
real app.

    DATABASE_URL=postgresql://127.0.0.1:5432/<db> gunicorn -c gunicorn.conf.py bench.ceiling_app:app
"""
import os
import random
import uuid
from datetime import datetime, timezone

from flask import Flask, abort, redirect, request
from sqlalchemy import MetaData, Table, create_engine, text
from sqlalchemy.dialects import postgresql, sqlite

DATABASE_URL = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
engine = create_engine(DATABASE_URL, pool_pre_ping=True)
app = Flask(__name__)

with engine.connect() as connection:
    REFERENCES = [row[0] for row in connection.execute(text("SELECT reference FROM tickets LIMIT 500"))]
    _TABLES = {name: Table(name, MetaData(), autoload_with=connection)
               for name in ("tickets", "ticket_events", "outbox_messages")}
    # Every column a real submission fills, from a stored row (a database filled in
    # bulk may have no outbox row: no floor there); the floor replaces what the form
    # and the clock give.
    _MODELS = {name: connection.execute(table.select().order_by(table.c.id.desc()).limit(1))
               .mappings().first() for name, table in _TABLES.items()}
_MODELS = {name: {k: v for k, v in row.items() if k != "id"}
           for name, row in _MODELS.items() if row is not None}
_dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
# The statements the app sends: INSERT … ON CONFLICT DO NOTHING RETURNING every column.
_INSERTS = {name: _dialect.insert(table).on_conflict_do_nothing().returning(*table.c)
            for name, table in _TABLES.items()}
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


@app.route("/floor", methods=["POST"])
def floor():
    if len(_MODELS) < len(_TABLES):
        abort(404)
    form = request.form
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with engine.begin() as connection:
        ticket = connection.execute(_INSERTS["tickets"], {
            **_MODELS["tickets"], "reference": f"FL{uuid.uuid4().hex[:10].upper()}",
            "submission_key": form["submission_key"], "resident_name": form["name"],
            "phone": form["phone"], "phone_last4": form["phone"][-4:], "address": form["address"],
            "description": form["description"], "status": "new",
            "created_at": now, "updated_at": now, "consent_at": now,
        }).first()
        event = connection.execute(_INSERTS["ticket_events"], {
            **_MODELS["ticket_events"], "ticket_id": ticket.id, "created_at": now,
        }).first()
        connection.execute(_INSERTS["outbox_messages"], {
            **_MODELS["outbox_messages"], "ticket_id": ticket.id, "event_id": event.id,
            "recipient_key": f"event:{event.id}", "dedupe_key": f"announce:{event.id}",
            "delivery_key": uuid.uuid4().hex, "next_attempt_at": now, "created_at": now,
        })
    return redirect(f"/submitted/{ticket.reference}")
