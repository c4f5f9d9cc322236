import pytest


@pytest.fixture(autouse=True)
def _private_progress(tmp_path, monkeypatch):
    """Each unit test writes exercise checks and quiz answers to its own progress file, headless."""
    path = tmp_path / "progress.json"
    monkeypatch.setenv("COURSE_HEADLESS", "1")
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(path))
    return path
