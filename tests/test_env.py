from course_utils import env


def _facts(**changes):
    facts = {
        "python": "3.11.7", "tensorflow": "2.21.0", "keras": "3.15.1", "ipywidgets": "8.1.9",
        "legacy_keras": False, "keras_backend": "tensorflow", "memory_bytes": 8 * 2**30, "data_dir": None,
    }
    facts.update(changes)
    return facts


def test_a_healthy_machine_has_no_problems():
    assert env.problems(_facts()) == []


def test_known_problems_come_with_fixes(tmp_path):
    cases = {
        "too old": _facts(tensorflow="2.12.0"),
        "not installed": _facts(tensorflow=None),
        "not Keras 3": _facts(keras="2.15.0"),
        "TF_USE_LEGACY_KERAS": _facts(legacy_keras=True),
        "KERAS_BACKEND": _facts(keras_backend="jax"),
        "ipywidgets is missing": _facts(ipywidgets=None),
        "GB of memory": _facts(memory_bytes=2**30),
        "does not exist": _facts(data_dir=str(tmp_path / "nowhere")),
        "Python 3.8": _facts(python="3.8.10"),
        "older than 3.13.1": _facts(keras="3.10.0"),  # Colab's Keras in 2026: the doctor must not pass it
        "Notebooks cannot run": _facts(kernel_problem="there is no Jupyter kernel named 'python3'"),
    }
    for phrase, facts in cases.items():
        found = env.problems(facts)
        assert len(found) == 1, phrase
        problem, fix = found[0]
        assert phrase in problem and fix


def test_binder_memory_limit_is_read_from_mem_limit(monkeypatch):
    monkeypatch.setenv("MEM_LIMIT", str(2 * 2**30))
    assert env.memory_limit_bytes() == (2 * 2**30, "MEM_LIMIT")


def test_platform_detection(monkeypatch):
    for var in ("COLAB_RELEASE_TAG", "BINDER_SERVICE_HOST", "BINDER_REQUEST", "BINDER_LAUNCH_HOST",
                "KAGGLE_KERNEL_RUN_TYPE"):
        monkeypatch.delenv(var, raising=False)
    assert env.platform_name() == "local"
    monkeypatch.setenv("BINDER_SERVICE_HOST", "x")
    assert env.platform_name() == "binder"
    monkeypatch.setenv("COLAB_RELEASE_TAG", "x")
    assert env.platform_name() == "colab"


def test_data_sources_report_the_data_dir(monkeypatch, tmp_path):
    (tmp_path / "mnist.npz").write_bytes(b"")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    assert "mnist.npz" in env.data_sources()["COURSE_DATA_DIR"]
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "missing"))
    assert "missing folder" in env.data_sources()["COURSE_DATA_DIR"]
    monkeypatch.delenv("COURSE_DATA_DIR")
    assert env.data_sources()["COURSE_DATA_DIR"] == "not set"


def test_doctor_prints_versions_and_the_verdict(capsys):
    facts = env.doctor(check_gpu=False)
    out = capsys.readouterr().out
    for word in ("Python", "TensorFlow", "Keras", "NumPy", "Memory", "Data: Offline sample"):
        assert word in out
    assert facts["tensorflow"] and facts["keras"].startswith("3.")
    assert ("ready for the course" in out) == (not facts["problems"])


def test_doctor_lists_problems_with_their_fixes(monkeypatch, capsys):
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")
    env.doctor(check_gpu=False)
    out = capsys.readouterr().out
    assert "Problems found" in out and "TF_USE_LEGACY_KERAS" in out and "Fix:" in out


def test_images_for_memory_caps_only_on_small_machines(monkeypatch):
    monkeypatch.setenv("MEM_LIMIT", str(2 * 2**30))  # Binder
    assert env.images_for_memory(None) == 15_000
    assert env.images_for_memory(5_000) == 5_000
    assert env.images_for_memory(60_000, cap=20_000) == 20_000
    monkeypatch.setenv("MEM_LIMIT", str(16 * 2**30))
    assert env.images_for_memory(None) is None
    assert env.images_for_memory(60_000) == 60_000


def test_problems_that_stop_the_notebooks_are_blocking_the_others_are_not():
    blocking = {"tensorflow": None, "keras": "3.10.0", "kernel_problem": "no kernel", "python": "3.8.10"}
    for key, value in blocking.items():
        (problem,) = env.problems(_facts(**{key: value}))
        assert problem.blocking, problem
    for key, value in {"ipywidgets": None, "keras_backend": "jax", "memory_bytes": 2**30}.items():
        (problem,) = env.problems(_facts(**{key: value}))
        assert not problem.blocking, problem


def test_the_keras_floor_is_the_one_pyproject_declares():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    floors = set(re.findall(r'"keras>=([0-9.]+)"', text))
    assert floors == {".".join(map(str, env.MIN_KERAS))}


def test_the_kernel_check_starts_the_notebooks_kernel():
    assert env.kernel_status(start=True) is None
    facts = env.report(check_gpu=False, check_kernel=True)
    assert facts["kernel_problem"] is None
    assert "Jupyter kernel" in env.format_report(facts) and "starts" in env.format_report(facts)
