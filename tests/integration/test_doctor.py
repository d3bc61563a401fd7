"""`callctl doctor` against the sandbox Asterisk, whole and with pieces taken away (a module
unloaded, a context removed, the memory wizards left out, wrong credentials), and
`callctl asterisk-config`'s output proven by running the sandbox on it."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.sandbox import sandbox

pytestmark = pytest.mark.integration
CALLCTL = str(Path(sys.executable).parent / "callctl")


def config_for(asterisk: dict, tmp_path: Path, **changes) -> Path:
    config = {"ari": {"url": f"http://127.0.0.1:{asterisk['http_port']}",
                      "username": asterisk["ari_user"], "password": asterisk["ari_password"]},
              "ami": {"port": asterisk["ami_port"], "username": asterisk["ami_user"],
                      "secret": asterisk["ami_secret"]}}
    for section, values in changes.items():
        config.setdefault(section, {}).update(values)
    path = tmp_path / "callctl.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def doctor(config: Path) -> tuple[int, dict[str, dict]]:
    done = subprocess.run([CALLCTL, "doctor", "-c", str(config), "--json"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, {f["check"]: f for f in json.loads(done.stdout)}


def doctor_without(asterisk, tmp_path, take_away: str, put_back: str):
    """doctor's findings while an Asterisk CLI command has taken a piece away."""
    sandbox("cli", take_away)
    try:
        return doctor(config_for(asterisk, tmp_path))
    finally:
        sandbox("cli", put_back)


def failed(findings: dict) -> set[str]:
    return {name for name, f in findings.items() if not f["ok"]}


def test_given_the_sandbox_then_everything_is_in_place(asterisk, tmp_path):
    rc, findings = doctor(config_for(asterisk, tmp_path))
    assert rc == 0 and failed(findings) == set()
    assert {"ARI user", "Asterisk version", "modules", "Stasis app", "sorcery memory wizards",
            "transport staff", "prompts over HTTP", "AMI user", "AstDB", "trunk endpoint",
            "context callctl-inbound", "context callctl-internal",
            "context callctl-fallback"} <= set(findings)
    assert findings["Asterisk version"]["detail"].startswith("22.")


def test_given_a_module_unloaded_then_it_is_named_with_the_fix(asterisk, tmp_path):
    rc, findings = doctor_without(asterisk, tmp_path, "module unload func_db.so",
                                  "module load func_db.so")  # the fallback's DB()
    assert rc == 1 and failed(findings) == {"module func_db.so"}
    assert findings["module func_db.so"]["detail"] == \
        "not loaded; needed for the fallback (DB() in the dialplan)"
    assert "`module load func_db.so`" in findings["module func_db.so"]["fix"]
    assert doctor(config_for(asterisk, tmp_path))[0] == 0  # and back


def test_given_the_fallback_context_removed_then_it_is_named(asterisk, tmp_path):
    rc, findings = doctor_without(asterisk, tmp_path,
                                  "dialplan remove context callctl-fallback", "dialplan reload")
    assert rc == 1 and failed(findings) == {"context callctl-fallback"}
    assert "callctl-extensions.conf" in findings["context callctl-fallback"]["fix"]


def test_given_the_transfer_setting_removed_then_the_context_says_what_it_lacks(
        asterisk, tmp_path):
    rc, findings = doctor_without(
        asterisk, tmp_path, "dialplan remove extension _[*#+0-9]!@callctl-internal 1",
        "dialplan reload")
    assert rc == 1 and failed(findings) == {"context callctl-internal"}
    assert findings["context callctl-internal"]["detail"] == (
        "present but without Set(PJSIP_TRANSFER_HANDLING()=ari-only) (it takes the staff "
        "phones' calls)")


def test_given_wrong_credentials_and_names_then_each_is_named(asterisk, tmp_path):
    rc, findings = doctor(config_for(asterisk, tmp_path, ari={"password": "wrong"},
                                     ami={"secret": "wrong"}))
    assert rc == 1 and failed(findings) == {"ARI user", "AMI"}
    assert "refused user 'callctl'" in findings["ARI user"]["detail"]
    assert "login refused" in findings["AMI"]["detail"]
    rc, findings = doctor(config_for(asterisk, tmp_path, pbx={"staff_transport": "desk",
                                                                "trunk_endpoint": "telco"}))
    assert rc == 1 and failed(findings) == {"transport desk", "trunk endpoint"}


def test_given_asterisk_config_output_when_the_sandbox_runs_on_it_then_doctor_passes(
        asterisk, sandbox_asterisk, tmp_path, monkeypatch):
    out = tmp_path / "snippets"
    a = asterisk
    made = subprocess.run(
        [CALLCTL, "asterisk-config", "-o", str(out),
         "--trunk-host", f"{a['carrier_host']}:{a['carrier_port']}",
         "--trunk-bind", f"127.0.0.1:{a['trunk_port']}",
         "--staff-bind", f"127.0.0.1:{a['staff_port']}",
         "--http-bind", f"127.0.0.1:{a['http_port']}",
         "--ami-bind", f"127.0.0.1:{a['ami_port']}"], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    generated = out / "callctl.yaml"
    try:
        monkeypatch.setenv("CALLCTL_SANDBOX_SNIPPETS", str(out))
        sandbox_asterisk.restart()  # now with asterisk-config's files and its generated secrets
        rc, findings = doctor(generated)
        assert rc == 0 and failed(findings) == set()
        monkeypatch.setenv("CALLCTL_SANDBOX_DROP", "callctl-sorcery.conf res_curl.so")
        sandbox_asterisk.restart()  # without the memory wizards and without HTTP fetching
        rc, findings = doctor(generated)
        assert rc == 1 and failed(findings) == {
            "sorcery auth", "sorcery aor", "sorcery endpoint", "module res_curl.so",
            "module res_http_media_cache.so", "prompts over HTTP"}
        assert "auth = memory" in findings["sorcery auth"]["fix"]
        assert "did not fetch" in findings["prompts over HTTP"]["detail"]
    finally:
        monkeypatch.delenv("CALLCTL_SANDBOX_SNIPPETS")
        monkeypatch.delenv("CALLCTL_SANDBOX_DROP", raising=False)
        sandbox_asterisk.restart()  # the sandbox as every other test knows it
