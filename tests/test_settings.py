from pathlib import Path

import pytest

from bot.settings import ROOT, Settings, describe


def test_env_vars_override_defaults_with_types():
    settings = Settings.from_env({"STUDYBOT_K": "7", "STUDYBOT_MIN_SIMILARITY": "0.5", "STUDYBOT_INDEX_DIR": "/tmp/x"})
    assert settings.k == 7 and settings.min_similarity == 0.5 and settings.index_dir == Path("/tmp/x")
    assert Settings.from_env({}).k == 5


def test_bad_value_names_the_variable():
    with pytest.raises(ValueError, match="STUDYBOT_K='many' is not a valid int"):
        Settings.from_env({"STUDYBOT_K": "many"})


def test_readme_settings_table_matches_the_settings_object():
    page = (ROOT / "docs" / "operations.md").read_text()  # the Settings table (the README links to it)
    for name, default, description in describe():
        assert f"| `{name}` | `{default}` | {description} |" in page, name


@pytest.mark.parametrize("env, says", [
    ({"STUDYBOT_K": "0"}, "STUDYBOT_K=0 is out of range: it must be 1 or more"),
    ({"STUDYBOT_FETCH_K": "-3"}, "STUDYBOT_FETCH_K=-3 is out of range"),
    ({"STUDYBOT_FUSION": "magic"}, "STUDYBOT_FUSION='magic' is not one of: 'score', 'rrf'"),
    ({"STUDYBOT_RANKER": "neural"}, "STUDYBOT_RANKER='neural' is not one of: 'weights', 'learned'"),
    ({"STUDYBOT_LINES": "best"}, "STUDYBOT_LINES='best' is not one of: 'learned', 'weights'"),
    ({"STUDYBOT_LLM_TIMEOUT": "-1"}, "STUDYBOT_LLM_TIMEOUT=-1.0 must be a number of seconds above 0"),
    ({"STUDYBOT_LLM_IDLE_TIMEOUT": "0"}, "STUDYBOT_LLM_IDLE_TIMEOUT=0.0 must be a number of seconds above 0"),
    ({"STUDYBOT_INDEX_CHECK_SECONDS": "-5"}, "or -1 (never)"),
    ({"STUDYBOT_PORT": "70000"}, "STUDYBOT_PORT=70000 is not a port"),
])
def test_settings_out_of_range_are_refused_with_the_valid_values(env, says):
    with pytest.raises(ValueError) as err:
        Settings.from_env(env)
    assert says in str(err.value)


def test_the_edges_of_each_range_are_accepted():
    settings = Settings.from_env({"STUDYBOT_K": "1", "STUDYBOT_INDEX_CHECK_SECONDS": "-1", "STUDYBOT_PORT": "0",
                                  "STUDYBOT_FUSION": "rrf", "STUDYBOT_RANKER": "learned", "STUDYBOT_LINES": "weights"})
    assert (settings.k, settings.index_check_seconds, settings.fusion) == (1, -1.0, "rrf")


def test_the_cli_says_which_setting_is_wrong_and_exits_2(monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.setenv("STUDYBOT_K", "0")
    assert main(["ask", "What is SQS?"]) == 2
    assert "error: STUDYBOT_K=0 is out of range" in capsys.readouterr().err
