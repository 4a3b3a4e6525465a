"""Set-up from nothing: migrations on an empty database, seeding, seeding again."""
import json
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.engine import make_url

from volunteer import create_app, tickets
from volunteer.config import normalize_database_url
from volunteer.extensions import db
from volunteer.lifecycle import Actor
from volunteer.models import Category, Team, Ticket, TicketEvent, User, Ward

from .conftest import BACKENDS
from .factories import make_ticket, make_user
from .queries import count


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path):
    """A database with no tables at all, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    import psycopg

    admin = make_url(normalize_database_url(os.environ["TEST_DATABASE_URL"]))
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"volunteer_empty_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield admin.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_app(empty_database):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": empty_database,
                      "PUBLIC_BASE_URL": "http://localhost"})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def counts(app) -> dict:
    with app.app_context():
        return {
            "wards": count(Ward),
            "areas": count(Ward, Ward.is_routing_area.is_(True)),
            "teams": count(Team),
            "categories": count(Category),
        }


def test_migrations_build_the_schema_the_models_describe(fresh_app):
    """`flask db upgrade` on an empty database gives exactly the models' schema."""
    result = fresh_app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with fresh_app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert compare_metadata(context, db.metadata) == []


def test_migration_0005_keeps_every_row_both_ways(fresh_app):
    """Adding and dropping the CHECK constraints copies tables on SQLite: no ticket,
    event or user is lost (nor cascaded away with the old table)."""
    runner = fresh_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["seed"]).exit_code == 0
    with fresh_app.app_context():
        volunteer = make_user("volunteer")
        ticket = make_ticket()
        tickets.apply_transition(ticket, "claim", Actor.for_user(volunteer))
        db.session.commit()
        before = row_counts()
        db.session.remove()
        db.engine.dispose()
    for args in (["db", "downgrade", "0004_queue_location_index_id"], ["db", "upgrade"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        with fresh_app.app_context():
            assert row_counts() == before
            db.session.remove()
            db.engine.dispose()


def row_counts() -> dict:
    return {model.__name__: count(model) for model in (User, Ticket, TicketEvent)}


@pytest.mark.parametrize("model, column, value", [
    (Ticket, "status", "lost"),
    (Ticket, "channel", "pigeon"),
    (Ticket, "location_source", "guess"),
    (TicketEvent, "from_status", "lost"),
    (TicketEvent, "to_status", "lost"),
    (User, "role", "owner"),
])
def test_the_database_refuses_a_value_it_does_not_know(app, model, column, value):
    """A status, role, channel or location source outside the enums never reaches a row."""
    with app.app_context():
        make_user("volunteer")
        make_ticket()
        with pytest.raises(IntegrityError):
            db.session.execute(update(model).values({column: value}))
        db.session.rollback()


def test_the_database_refuses_a_new_user_with_an_unknown_role(app):
    """Inserting, not only updating, is refused."""
    with app.app_context():
        with pytest.raises(IntegrityError):
            make_user("owner")
        db.session.rollback()


def test_seed_loads_dong_ha_and_a_second_run_changes_nothing(fresh_app):
    """Seeding creates the nine areas, two merged wards, nine teams, five categories, once."""
    runner = fresh_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert counts(fresh_app) == {"wards": 11, "areas": 9, "teams": 9, "categories": 5}
    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0 and "Nothing to change" in second.output
    assert counts(fresh_app) == {"wards": 11, "areas": 9, "teams": 9, "categories": 5}


def test_seed_keeps_household_counts_coordinators_edited(app):
    """Re-seeding never overwrites a household count entered by a coordinator."""
    with app.app_context():
        ward = db.session.scalar(select(Ward).where(Ward.code == "19336", Ward.period == "2008"))
        ward.households = 4321
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["seed"])
    assert "Nothing to change" in result.output
    with app.app_context():
        assert db.session.scalar(select(Ward.households).where(Ward.code == "19336", Ward.period == "2008")) == 4321


def test_merged_wards_know_their_areas(app):
    """Phường Đông Hà (2025) groups five former wards, Nam Đông Hà four."""
    with app.app_context():
        merged = {w.code: sorted(a.code for a in w.areas)
                  for w in db.session.scalars(select(Ward).where(Ward.period == "2025"))}
        assert merged == {
            "19333": ["19330", "19333", "19339", "19345", "19354"],
            "19351": ["19336", "19342", "19348", "19351"],
        }


def test_another_city_loads_its_own_file(fresh_app, tmp_path):
    """`flask seed --wards FILE` loads any city in the same format; nothing assumes nine."""
    square = [[[107.0, 16.0], [107.01, 16.0], [107.01, 16.01], [107.0, 16.01], [107.0, 16.0]]]
    city = {
        "type": "FeatureCollection",
        "city": {"code": "XX", "name": "Thị trấn Thử"},
        "categories": [{"code": "vneid", "name_vi": "VNeID", "name_en": "VNeID"}],
        "features": [
            {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": square},
             "properties": {"kind": "ward", "code": "90001", "name": "Xã Một", "period": "2025",
                            "households": 800, "centre": {"lat": 16.005, "lon": 107.005}}},
        ],
    }
    path = tmp_path / "city.geojson"
    path.write_text(json.dumps(city, ensure_ascii=False), encoding="utf-8")
    runner = fresh_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["seed", "--wards", str(path)])
    assert result.exit_code == 0, result.output
    assert counts(fresh_app) == {"wards": 1, "areas": 1, "teams": 1, "categories": 1}


def test_seed_refuses_a_missing_file(fresh_app):
    """A wrong path is answered with a message, not a traceback."""
    result = fresh_app.test_cli_runner().invoke(args=["seed", "--wards", "/nonexistent.geojson"])
    assert result.exit_code != 0 and "does not exist" in result.output
