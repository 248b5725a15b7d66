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
