"""Settings: config/default.toml, then a LEERPASPOORT_CONFIG file, then the environment, then overrides."""

from __future__ import annotations

import pytest

from lti_tool.settings import DEVELOPMENT_SECRET, PROJECT_DIR, SettingsError, load_settings

GOOD_SECRET = "x" * 48


def write_config(tmp_path, text: str):
    path = tmp_path / "settings.toml"
    path.write_text(text)
    return path


def production_environment(**extra: str) -> dict[str, str]:
    environ = {
        "LEERPASPOORT_ENV": "production",
        "LEERPASPOORT_SECRET_KEY": GOOD_SECRET,
        "LEERPASPOORT_BASE_URL": "https://leerpaspoort.example.nl",
        "LEERPASPOORT_DEMO_ENABLED": "false",
    }
    environ.update(extra)
    return environ


def test_defaults_give_an_embedded_sqlite_database_and_the_demo():
    settings = load_settings(environ={})
    assert settings.env == "development"
    assert settings.database_url == f"sqlite:///{PROJECT_DIR / 'instance'}/leerpaspoort.db"
    assert settings.demo_enabled is True
    assert settings.lti_clock_leeway == 60
    assert settings.lti_unknown_deployments == "accept"


def test_the_environment_overrides_the_default_file():
    settings = load_settings(
        environ={"LEERPASPOORT_DATABASE_URL": "sqlite:////tmp/other.db", "LEERPASPOORT_LTI_CLOCK_LEEWAY": "5"}
    )
    assert settings.database_url == "sqlite:////tmp/other.db"
    assert settings.lti_clock_leeway == 5


def test_a_config_file_overrides_the_defaults_and_the_environment_overrides_the_file(tmp_path):
    config = write_config(
        tmp_path,
        'base_url = "https://from-file.example"\ndefault_locale = "en"\n[lti]\nclock_leeway = 30\njwks_timeout = 2.5\n',
    )
    settings = load_settings(
        environ={"LEERPASPOORT_CONFIG": str(config), "LEERPASPOORT_BASE_URL": "https://from-env.example"}
    )
    assert settings.base_url == "https://from-env.example"
    assert settings.default_locale == "en"
    assert settings.lti_clock_leeway == 30
    assert settings.lti_jwks_timeout == 2.5


def test_overrides_win_over_the_environment_and_the_file(tmp_path):
    config = write_config(tmp_path, "[lti]\nclock_leeway = 30\n")
    settings = load_settings(
        {"lti_clock_leeway": 7},
        environ={"LEERPASPOORT_CONFIG": str(config), "LEERPASPOORT_LTI_CLOCK_LEEWAY": "20"},
    )
    assert settings.lti_clock_leeway == 7


def test_overrides_may_name_the_config_file(tmp_path):
    config = write_config(tmp_path, "[outbox]\nmax_attempts = 3\n")
    assert load_settings({"config": str(config)}, environ={}).outbox_max_attempts == 3


def test_a_missing_config_file_is_refused_with_its_path(tmp_path):
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(SettingsError, match=f"LEERPASPOORT_CONFIG points to {missing}, which does not exist"):
        load_settings(environ={"LEERPASPOORT_CONFIG": str(missing)})


def test_an_unknown_setting_in_a_file_is_refused(tmp_path):
    config = write_config(tmp_path, "[lti]\nclock_leway = 30\n")
    with pytest.raises(SettingsError, match=r"Unknown setting\(s\): lti_clock_leway"):
        load_settings(environ={"LEERPASPOORT_CONFIG": str(config)})


def test_environment_variables_of_unknown_settings_are_ignored():
    assert load_settings(environ={"LEERPASPOORT_NOT_A_SETTING": "1"}).env == "development"


def test_the_instance_placeholder_in_the_database_url_is_filled_in(tmp_path):
    settings = load_settings({"instance_path": str(tmp_path)}, environ={})
    assert settings.instance_path == str(tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path}/leerpaspoort.db"


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("1", True), ("yes", True), ("On", True), ("false", False), ("0", False), ("no", False), ("off", False)],
)
def test_booleans_from_the_environment_accept_the_usual_spellings(text, value):
    assert load_settings(environ={"LEERPASPOORT_DEMO_ENABLED": text}).demo_enabled is value


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LEERPASPOORT_LTI_CLOCK_LEEWAY", "a minute", "Setting lti_clock_leeway must be a whole number, not 'a minute'."),
        ("LEERPASPOORT_LTI_CLOCK_LEEWAY", "1.5", "Setting lti_clock_leeway must be a whole number, not '1.5'."),
        ("LEERPASPOORT_LTI_JWKS_TIMEOUT", "fast", "Setting lti_jwks_timeout must be a number, not 'fast'."),
        ("LEERPASPOORT_DEMO_ENABLED", "maybe", "Setting demo_enabled must be true or false, not 'maybe'."),
    ],
)
def test_values_of_the_wrong_type_are_refused_with_the_setting_named(variable, value, message):
    with pytest.raises(SettingsError) as refused:
        load_settings(environ={variable: value})
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"env": "staging"}, "Setting env must be development, production or test."),
        ({"base_url": "leerpaspoort.example.nl"}, "LEERPASPOORT_BASE_URL must start with http:// or https://."),
        ({"lti_unknown_deployments": "ignore"}, 'Setting lti_unknown_deployments must be "accept" or "hold".'),
        ({"lti_clock_leeway": -1}, "Setting lti_clock_leeway must be between 0 and 600 seconds."),
        ({"lti_clock_leeway": 3600}, "Setting lti_clock_leeway must be between 0 and 600 seconds."),
    ],
)
def test_invalid_values_are_refused_with_a_message_that_says_how_to_fix_them(overrides, message):
    with pytest.raises(SettingsError) as refused:
        load_settings(overrides, environ={})
    assert str(refused.value) == message


def test_production_starts_with_a_long_secret_and_the_demo_off():
    settings = load_settings(environ=production_environment())
    assert settings.is_production and settings.uses_https


@pytest.mark.parametrize("secret", [None, "", DEVELOPMENT_SECRET])
def test_production_refuses_a_missing_or_development_secret_key(secret):
    environ = production_environment()
    if secret is None:
        del environ["LEERPASPOORT_SECRET_KEY"]
    else:
        environ["LEERPASPOORT_SECRET_KEY"] = secret
    with pytest.raises(SettingsError) as refused:
        load_settings(environ=environ)
    message = str(refused.value)
    assert message.startswith("Refusing to start in production without a secret key")
    assert "LEERPASPOORT_SECRET_KEY" in message and "secrets.token_urlsafe" in message


def test_production_refuses_a_short_secret_key():
    with pytest.raises(SettingsError, match="LEERPASPOORT_SECRET_KEY must be at least 32 characters in production."):
        load_settings(environ=production_environment(LEERPASPOORT_SECRET_KEY="short-but-not-empty"))


def test_production_refuses_the_demo_left_on():
    with pytest.raises(SettingsError, match=r"The demo platform must be off in production \(demo_enabled = false\)."):
        load_settings(environ=production_environment(LEERPASPOORT_DEMO_ENABLED="true"))


def test_the_production_example_file_starts_once_given_a_secret():
    example = PROJECT_DIR / "config" / "production.example.toml"
    settings = load_settings(environ={"LEERPASPOORT_CONFIG": str(example), "LEERPASPOORT_SECRET_KEY": GOOD_SECRET})
    assert settings.is_production and not settings.demo_enabled
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.lti_unknown_deployments == "hold"


def test_the_production_example_file_alone_refuses_to_start():
    example = PROJECT_DIR / "config" / "production.example.toml"
    with pytest.raises(SettingsError, match="without a secret key"):
        load_settings(environ={"LEERPASPOORT_CONFIG": str(example)})


def test_urls_are_built_on_the_base_url_with_or_without_a_trailing_slash():
    assert load_settings({"base_url": "https://lp.example/"}, environ={}).url("/lti/launch") == "https://lp.example/lti/launch"
    assert load_settings({"base_url": "http://127.0.0.1:8001"}, environ={}).url("/lti/jwks") == "http://127.0.0.1:8001/lti/jwks"
