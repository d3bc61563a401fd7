"""`callctl prompts ...` and prompts in the project document (by reference), run in-process
against a real SQLite database; and the default sounds shipped in sounds/."""
from __future__ import annotations

import hashlib
import json

import pytest
import yaml

from callctl.cli import main
from callctl.prompts.defaults import DEFAULTS, load_defaults, sounds_dir
from tests.support import audio as gen


@pytest.fixture
def cfg(tmp_path):
    path = tmp_path / "callctl.yaml"
    path.write_text("ari: {password: x}\nami: {secret: x}\n")
    return str(path)


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def cli_json(capsys, cfg, *args):
    code, out, err = run(capsys, *args, "-c", cfg, "--json")
    assert code == 0, err
    return json.loads(out)


def test_given_files_when_managed_with_the_cli_then_add_list_show_delete_work(
        cfg, capsys, tmp_path):
    (tmp_path / "hello.mp3").write_bytes(gen.mp3(freq=700, seconds=1.0))

    made = cli_json(capsys, cfg, "prompts", "add", "Main greeting",
                    str(tmp_path / "hello.mp3"))
    assert (made["name"], made["original_format"], made["replaced"]) == \
        ("Main greeting", "mp3", False)
    assert [p["name"] for p in cli_json(capsys, cfg, "prompts", "list")] == ["Main greeting"]
    assert cli_json(capsys, cfg, "prompts", "show", "main greeting")["sha256"] == made["sha256"]

    code, out, _ = run(capsys, "prompts", "list", "-c", cfg)
    assert code == 0 and out.splitlines()[0].split()[:3] == ["NAME", "SECONDS",
                                                             "ORIGINAL_FORMAT"]
    assert "Main greeting" in out.splitlines()[1]

    (tmp_path / "new.wav").write_bytes(gen.wav(freq=400))
    code, out, _ = run(capsys, "prompts", "add", "Main greeting", str(tmp_path / "new.wav"),
                       "--replace", "-c", cfg)
    assert code == 0 and out.startswith("prompt 'Main greeting' replaced: 1.0 s")

    cli_json(capsys, cfg, "prompts", "delete", "Main greeting")
    assert cli_json(capsys, cfg, "prompts", "list") == []


@pytest.mark.parametrize("name,content,message", [
    ("stereo.wav", gen.wav(channels=2), "callctl: refused: prompt 'x': file: 'stereo.wav' "
                                        "cannot be played as it is: stereo (must be mono)"),
    ("notes.mp3", b"call me", "callctl: refused: prompt 'x': file: 'notes.mp3' is named .mp3 "
                              "but holds text, not audio"),
])
def test_given_a_bad_file_when_added_with_the_cli_then_exit_2_and_nothing_stored(
        cfg, capsys, tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)

    code, out, err = run(capsys, "prompts", "add", "x", str(tmp_path / name), "-c", cfg)

    assert (code, out) == (2, "") and err.startswith(message)
    assert cli_json(capsys, cfg, "prompts", "list") == []


def test_given_a_missing_file_or_prompt_when_asked_then_exit_2_saying_so(cfg, capsys):
    code, _, err = run(capsys, "prompts", "add", "x", "/nonexistent/a.wav", "-c", cfg)
    assert code == 2 and "/nonexistent/a.wav: cannot read: No such file or directory" in err
    code, _, err = run(capsys, "prompts", "delete", "nope", "-c", cfg)
    assert code == 2 and err == "callctl: refused: prompt 'nope': name: not found\n"


def _document(tmp_path, prompts) -> str:
    doc = tmp_path / "company.yaml"
    doc.write_text(yaml.safe_dump({"prompts": prompts}))
    return str(doc)


def test_given_a_document_with_prompts_when_imported_exported_and_reimported_then_stable(
        cfg, capsys, tmp_path):
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "hello.mp3").write_bytes(gen.mp3(freq=700, seconds=1.0))
    (tmp_path / "audio" / "bye.wav").write_bytes(gen.wav(freq=400))
    doc = _document(tmp_path, [{"name": "Main greeting", "file": "audio/hello.mp3"},
                               {"name": "Good/bye", "file": "audio/bye.wav"}])

    code, out, _ = run(capsys, "project", "import", doc, "-c", cfg)
    assert code == 0 and "+ prompts Main greeting" in out and "+ prompts Good/bye" in out
    stored = {p["name"]: p["sha256"] for p in cli_json(capsys, cfg, "prompts", "list")}

    out_dir = tmp_path / "export"
    out_dir.mkdir()
    code, _, err = run(capsys, "project", "export", "-o", str(out_dir / "company.yaml"),
                       "-c", cfg)
    assert (code, err) == (0, "")
    exported = yaml.safe_load((out_dir / "company.yaml").read_text())
    assert exported["prompts"] == [{"name": "Good/bye", "file": "prompts/Good_bye.wav"},
                                   {"name": "Main greeting", "file": "prompts/Main_greeting.wav"}]
    for entry in exported["prompts"]:
        wav = (out_dir / entry["file"]).read_bytes()
        assert hashlib.sha256(wav).hexdigest() == stored[entry["name"]]

    code, out, _ = run(capsys, "project", "import", str(out_dir / "company.yaml"), "-c", cfg)
    assert (code, out.strip()) == (0, "no changes")


def test_given_a_document_dropping_and_changing_prompts_when_imported_then_it_says_so(
        cfg, capsys, tmp_path):
    (tmp_path / "a.wav").write_bytes(gen.wav(freq=400))
    (tmp_path / "b.wav").write_bytes(gen.wav(freq=500))
    run(capsys, "project", "import", _document(tmp_path, [
        {"name": "a", "file": "a.wav"}, {"name": "b", "file": "b.wav"}]), "-c", cfg)
    (tmp_path / "a2.wav").write_bytes(gen.wav(freq=600))

    doc = _document(tmp_path, [{"name": "a", "file": "a2.wav"}])
    code, out, _ = run(capsys, "project", "import", doc, "-c", cfg)  # b is kept...
    assert code == 0 and out.splitlines() == [
        "~ prompts a", "= prompts kept, not in the document (--prune deletes them): b"]
    code, out, _ = run(capsys, "project", "import", doc, "--prune", "-c", cfg)  # ...or pruned
    assert code == 0 and out.splitlines() == ["- prompts b"]
    [a] = cli_json(capsys, cfg, "prompts", "list")
    assert a["original_filename"] == "a2.wav"


def test_given_a_document_without_prompts_when_imported_then_stored_prompts_stay(
        cfg, capsys, tmp_path):
    (tmp_path / "a.wav").write_bytes(gen.wav())
    cli_json(capsys, cfg, "prompts", "add", "a", str(tmp_path / "a.wav"))
    empty = tmp_path / "people.yaml"
    empty.write_text("departments: []\n")

    assert run(capsys, "project", "import", str(empty), "-c", cfg)[0] == 0
    code, out, err = run(capsys, "project", "export", "-c", cfg)

    assert [p["name"] for p in cli_json(capsys, cfg, "prompts", "list")] == ["a"]
    assert code == 0 and "prompts" not in yaml.safe_load(out)
    assert "prompts are left out of a document printed here" in err and "--output" in err


def test_given_bad_prompt_files_when_imported_then_every_problem_named_and_nothing_changed(
        cfg, capsys, tmp_path):
    (tmp_path / "stereo.wav").write_bytes(gen.wav(channels=2))
    (tmp_path / "ok.wav").write_bytes(gen.wav())
    doc = _document(tmp_path, [{"name": "ok", "file": "ok.wav"},
                               {"name": "st", "file": "stereo.wav"},
                               {"name": "gone", "file": "missing.mp3"},
                               {"name": "OK", "file": "ok.wav"}])

    code, out, err = run(capsys, "project", "import", doc, "-c", cfg)

    assert (code, out) == (2, "")
    assert f"{doc}: prompts[1].file: 'stereo.wav' cannot be played as it is: stereo" in err
    assert f"{doc}: prompts[2].file: missing.mp3: cannot read: No such file" in err
    assert f"{doc}: prompts[3].name: 'OK' is given twice (also prompts[0])" in err
    assert cli_json(capsys, cfg, "prompts", "list") == []


def test_given_the_shipped_sounds_when_loaded_then_each_is_a_playable_prompt_with_a_key():
    defaults = load_defaults()
    files = {d.key for d in DEFAULTS if d.file}

    assert set(defaults.catalog) == files == {"voicemail-working", "voicemail-closed",
                                              "ivr-timeout", "outgoing-barred", "queue-callback"}
    for key, version in defaults.catalog.items():
        wav = defaults.wavs[version]
        assert hashlib.sha256(wav).hexdigest() == version
        assert 1 < len(wav) / 16000 < 20  # seconds of speech
    assert sorted(p.name for p in sounds_dir().glob("*.wav")) == sorted(
        d.file for d in DEFAULTS if d.file)
    uri = defaults.uri("http://127.0.0.1:8090", "voicemail-working")
    assert uri == f"sound:http://127.0.0.1:8090/media/prompts/" \
                  f"{defaults.catalog['voicemail-working']}.wav"
    assert defaults.uri("http://127.0.0.1:8090", "queue-position") == "sound:queue-thereare"
