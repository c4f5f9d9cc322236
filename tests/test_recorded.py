"""Recorded benchmark tables: saved by the benchmark scripts, shown in notebooks with their provenance."""

import json

import pytest

from course_utils import recorded


def test_a_saved_recording_says_where_when_and_how_it_was_measured(tmp_path):
    path = recorded.save("demo", "A demo", ["model", "accuracy"], [["a", 0.5]], "python bench.py --record",
                         load_before=0.07, notes=["one note"], folder=tmp_path)
    data = json.loads(path.read_text())
    assert data["rows"] == [["a", 0.5]] and data["columns"] == ["model", "accuracy"]
    assert data["load_before"] == 0.07 and data["command"] == "python bench.py --record"
    assert "CPU core" in data["machine"] and data["date"] and "numpy" in data["versions"]


@pytest.mark.parametrize("name", recorded.names())
def test_every_shipped_recording_renders_with_its_provenance(name):
    text = recorded.markdown(name)
    data = recorded.load(name)
    assert data["name"] == name and all(len(row) == len(data["columns"]) for row in data["rows"])
    assert "not this notebook's run" in text and data["command"] in text and data["date"] in text


def test_an_unknown_recording_names_the_known_ones():
    with pytest.raises(recorded.RecordingMissing, match="No recorded benchmark"):
        recorded.load("no-such-benchmark")
