"""Runs the demo: sandbox Asterisk + callctl with config/demo.yaml and generated secrets."""
import json
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "var" / "demo"
SANDBOX = REPO / "scripts" / "asterisk-sandbox"


def demo_config(state: dict) -> dict:
    config = yaml.safe_load((REPO / "config" / "demo.yaml").read_text())
    config["ari"].update(url=f"http://127.0.0.1:{state['http_port']}",
                         username=state["ari_user"], password=state["ari_password"])
    config["ami"].update(port=state["ami_port"], username=state["ami_user"],
                         secret=state["ami_secret"])
    # SIP passwords are generated once and kept, so a configured softphone keeps working.
    saved = WORK / "sip-passwords.json"
    passwords = json.loads(saved.read_text()) if saved.exists() else {}
    for employee in config["employees"]:
        for account in employee["sip_accounts"]:
            account["password"] = passwords.setdefault(account["login"],
                                                       secrets.token_urlsafe(18))
    saved.write_text(json.dumps(passwords, indent=2))
    saved.chmod(0o600)
    return config


def banner(config: dict, state: dict) -> str:
    lines = ["", "callctl demo is running. Register any softphone (UDP) with:",
             f"  server 127.0.0.1:{state['staff_port']}"]
    for e in config["employees"]:
        for a in e["sip_accounts"]:
            lines.append(f"  {e['name']:<12} ext {e['extension']}  login {a['login']:<8}"
                         f" password {a['password']}")
    lines.append("Then dial:")
    for e in config["employees"]:
        lines.append(f"  {e['extension']:<10} to ring {e['name']}")
    for n in config["numbers"]:
        lines.append(f"  {n['number']:<10} the company number, rings {n['employee']}")
    lines += [f"Health: http://127.0.0.1:{config['http']['port']}/health  "
              f"Log: below. Ctrl-C stops callctl and the sandbox.", ""]
    return "\n".join(lines)


def main() -> int:
    WORK.mkdir(parents=True, exist_ok=True)
    was_running = subprocess.call([str(SANDBOX), "status"], stdout=subprocess.DEVNULL) == 0
    subprocess.run([str(SANDBOX), "start"], check=True)
    state = json.loads(subprocess.run([str(SANDBOX), "env"], check=True, capture_output=True,
                                      text=True).stdout)
    config = demo_config(state)
    path = WORK / "callctl.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    print(banner(config, state), flush=True)
    daemon = subprocess.Popen([str(Path(sys.executable).parent / "callctl"), "run", "-c",
                               str(path)])
    signal.signal(signal.SIGTERM, lambda *_: daemon.send_signal(signal.SIGTERM))
    try:
        code = daemon.wait()
    except KeyboardInterrupt:  # the daemon got the same SIGINT from the terminal
        code = daemon.wait()
    finally:
        if not was_running:
            subprocess.call([str(SANDBOX), "stop"])
    return code


if __name__ == "__main__":
    sys.exit(main())
