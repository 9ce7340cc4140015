import pytest

from gpo.config import DEFAULT_SECRET_KEY, ConfigError, check


def _production(**overrides):
    conf = {
        "GPO_ENV": "production",
        "SECRET_KEY": "x" * 40,
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/gpo",
        "STRIPE_API_KEY": "sk_live_example",
        "STRIPE_WEBHOOK_SECRET": "whsec_example",
        "SMTP_URL": "smtp://mail.example:587",
        "PUBLIC_BASE_URL": "https://purchasing.example",
    }
    conf.update(overrides)
    return conf


def test_production_refuses_the_default_secret():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        check(_production(SECRET_KEY=DEFAULT_SECRET_KEY))


def test_production_refuses_a_short_secret():
    with pytest.raises(ConfigError):
        check(_production(SECRET_KEY="short"))


def test_production_refuses_sqlite():
    with pytest.raises(ConfigError, match="PostgreSQL"):
        check(_production(SQLALCHEMY_DATABASE_URI="sqlite:///x.db"))


def test_production_refuses_the_test_stripe_settings():
    with pytest.raises(ConfigError, match="STRIPE"):
        check(_production(STRIPE_WEBHOOK_SECRET="whsec_localstripe"))


def test_production_refuses_private_webhook_urls():
    with pytest.raises(ConfigError, match="WEBHOOK_ALLOW_PRIVATE_URLS"):
        check(_production(WEBHOOK_ALLOW_PRIVATE_URLS=True))
    check(_production(WEBHOOK_ALLOW_PRIVATE_URLS=False))


def test_production_with_real_settings_starts():
    check(_production())


def test_development_accepts_the_default_secret():
    check({"GPO_ENV": "development", "SECRET_KEY": DEFAULT_SECRET_KEY, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_create_app_refuses_production_with_the_default_secret(monkeypatch):
    from gpo import create_app

    monkeypatch.setenv("GPO_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app()


@pytest.mark.parametrize("setting, value", [("STAFFING_TIMEZONE", "Mars/Olympus"),
                                            ("STAFFING_SHORT_NOTICE_PREMIUM_PERCENT", "lots"),
                                            ("STAFFING_SHORT_NOTICE_PREMIUM_PERCENT", "-5")])
def test_staffing_settings_are_checked_in_every_environment(setting, value):
    with pytest.raises(ConfigError, match=setting):
        check({"GPO_ENV": "development", setting: value})


def _embedded(**overrides):
    return {"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True, **overrides}


@pytest.fixture(autouse=True)
def _config_logger_enabled(monkeypatch):
    """Alembic's fileConfig (the migrations other tests run) disables existing loggers."""
    import logging

    monkeypatch.setattr(logging.getLogger("gpo.config"), "disabled", False)


def test_the_published_default_secrets_are_warned_about_at_start_up(caplog, monkeypatch):
    from gpo import create_app
    from gpo.config import DEFAULT_WEBHOOK_SECRET

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("GPO_ENV", raising=False)
    with caplog.at_level("WARNING", logger="gpo.config"):
        app = create_app(_embedded())
    assert (app.config["SECRET_KEY"], app.config["STRIPE_WEBHOOK_SECRET"]) == (DEFAULT_SECRET_KEY, DEFAULT_WEBHOOK_SECRET)
    [record] = [r for r in caplog.records if r.name == "gpo.config"]
    assert record.levelname == "WARNING"
    assert "INSECURE" in record.getMessage()
    assert "SECRET_KEY and STRIPE_WEBHOOK_SECRET" in record.getMessage()
    assert DEFAULT_SECRET_KEY not in record.getMessage()  # names the settings, never prints a secret


def test_one_default_secret_is_named_alone(caplog):
    from gpo import create_app

    with caplog.at_level("WARNING", logger="gpo.config"):
        create_app(_embedded(SECRET_KEY="x" * 40, STRIPE_WEBHOOK_SECRET="whsec_localstripe"))
    [record] = [r for r in caplog.records if r.name == "gpo.config"]
    assert "STRIPE_WEBHOOK_SECRET is the published default" in record.getMessage()
    assert "SECRET_KEY and" not in record.getMessage()


def test_no_warning_with_real_secrets(caplog):
    from gpo import create_app

    with caplog.at_level("WARNING", logger="gpo.config"):
        create_app(_embedded(SECRET_KEY="x" * 40, STRIPE_WEBHOOK_SECRET="whsec_real"))
    assert not [r for r in caplog.records if r.name == "gpo.config"]
