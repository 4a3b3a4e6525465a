"""volunteer: a help desk for community digital-support volunteers."""
from flask import Flask

from . import config as config_module
from .pipeline import App


def create_app(config: dict | None = None) -> App:
    """Build the app. Never migrates, seeds or reaches the network."""
    app = App(__name__, instance_relative_config=True)
    app.config.update(config_module.from_environment(app.instance_path, given=config or {}))
    app.config.update(config or {})
    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    register_request_hooks(app)
    return app


def register_extensions(app: Flask) -> None:
    from .extensions import babel, csrf, db, limiter, login_manager, migrate
    from .i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, directory=app.config.get("MIGRATIONS_DIR", _migrations_dir()))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)
    login_manager.init_app(app)
    from . import auth_loader  # noqa: F401  (registers the user loader)


def _migrations_dir() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / "migrations")


def register_url_converters(app: Flask) -> None:
    from .converters import register

    register(app)


def register_blueprints(app: Flask) -> None:
    from .blueprints.public import bp as public_bp

    app.register_blueprint(public_bp)
    from .blueprints import auth, volunteers
    app.register_blueprint(auth.bp)
    app.register_blueprint(volunteers.bp)
    from .blueprints.ops import bp as ops_bp
    app.register_blueprint(ops_bp)
    from .blueprints.open311 import bp as open311_bp
    app.register_blueprint(open311_bp)
    from .blueprints import campaigns, coordinator
    app.register_blueprint(coordinator.bp)
    app.register_blueprint(campaigns.bp)
    from .blueprints import phone
    app.register_blueprint(phone.bp)


def register_errorhandlers(app: Flask) -> None:
    from .errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from .i18n import register_filters
    from .navigation import register as register_navigation

    register_filters(app)
    register_navigation(app)


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)


def register_request_hooks(app: App) -> None:
    """Last, so they wrap everything: the request id and log line, the security headers;
    the probes' short way (pipeline.py) runs only these two."""
    from .requestlog import register as register_request_log
    from .security import register

    register_request_log(app)
    register(app)
