"""Leerpaspoort: the Flask application (people, courses, portfolios) around the xAPI LRS."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from flask import Flask

from lti_tool import db, errors, i18n, security
from lti_tool.settings import PROJECT_DIR, Settings, load_settings


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the application; nothing is read or opened before this is called."""
    settings = load_settings(overrides)
    app = Flask(
        __name__,
        template_folder=str(PROJECT_DIR / "templates"),
        static_folder=str(PROJECT_DIR / "static"),
        instance_path=settings.instance_path,
    )
    Path(settings.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(_flask_config(settings))
    app.extensions["leerpaspoort.settings"] = settings

    db.init_app(app, settings.database_url)
    security.init_app(app, settings)
    i18n.init_app(app, settings)
    errors.init_app(app)
    _register_blueprints(app, settings)
    return app


def _flask_config(settings: Settings) -> dict[str, Any]:
    # Inside an LMS iframe on another site, only a SameSite=None; Secure; Partitioned
    # cookie survives third-party cookie blocking (CHIPS). Over plain HTTP (development
    # on localhost, where the demo platform is same-site) Lax is the only valid choice.
    cross_site = settings.uses_https
    return {
        "SECRET_KEY": settings.secret_key,
        "SESSION_COOKIE_NAME": "leerpaspoort_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": cross_site,
        "SESSION_COOKIE_SAMESITE": "None" if cross_site else "Lax",
        "SESSION_COOKIE_PARTITIONED": cross_site,
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "PREFERRED_URL_SCHEME": "https" if cross_site else "http",
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "WTF_CSRF_SSL_STRICT": False,
        "TESTING": settings.env == "test",
    }


def _register_blueprints(app: Flask, settings: Settings) -> None:
    from lti_tool.admin.views import bp as admin_bp
    from lti_tool.admin.lrs_views import bp as admin_lrs_bp
    from lti_tool.home.views import bp as home_bp
    from lti_tool.lti.deep_link_views import bp as lti_deep_link_bp
    from lti_tool.lti.register_views import bp as lti_register_bp
    from lti_tool.lti.views import bp as lti_bp
    from lti_tool.modules.views import bp as modules_bp

    app.register_blueprint(lti_bp)
    # Dynamic Registration is a GET authorised by the platform's registration token, and the
    # picker keeps CSRF (its user is signed in): neither needs an exemption.
    app.register_blueprint(lti_register_bp)
    app.register_blueprint(lti_deep_link_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(admin_lrs_bp)
    app.register_blueprint(modules_bp)
    from lti_tool.portfolio import reflection_activity_views, reflection_views
    from lti_tool.competencies import views as competency_views

    reflection_views.init_app(app)
    reflection_activity_views.init_app(app)
    competency_views.init_app(app)
    from lti_tool.portfolio import evidence_views

    evidence_views.init_app(app)
    from lti_tool.collections.views import init_app as init_collections

    init_collections(app)
    from lti_tool.modules import cmi5_views, library_views, offers  # noqa: F401  (offers: deep-linking provider)
    from lti_tool.modules.launch_views import bp as module_launch_bp

    library_views.init_app(app)
    app.register_blueprint(module_launch_bp)
    cmi5_views.init_app(app)
    from lti_tool.reporting.views import bp as reporting_bp

    app.register_blueprint(reporting_bp)
    security.csrf.exempt(lti_bp)
    if settings.demo_enabled:
        from lti_tool.demo.views import bp as demo_bp

        app.register_blueprint(demo_bp)

    import xapi

    xapi_bp = xapi.init_app(app, get_session=db.get_session, new_session=db.session_factory(app))
    from lti_tool.formal_evidence import hook as formal_evidence_hook

    formal_evidence_hook.init_app(app)
    from lti_tool import lrs_forward

    lrs_forward.init_app(app)
    security.csrf.exempt(xapi_bp)


def current_settings() -> Settings:
    from flask import current_app

    return current_app.extensions["leerpaspoort.settings"]
