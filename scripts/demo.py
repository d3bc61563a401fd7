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
    return config


def callctl(*args: str) -> str:
    exe = Path(sys.executable).parent / "callctl"
    return subprocess.run([str(exe), *args, "-c", str(WORK / "callctl.yaml")], check=True,
                          capture_output=True, text=True).stdout


def sip_passwords() -> dict[str, str]:
    """The demo accounts' passwords: generated once (shown once by callctl), kept here so a
    configured softphone keeps working across runs."""
    saved = WORK / "sip-passwords.json"
    passwords = json.loads(saved.read_text()) if saved.exists() else {}
    for account in json.loads(callctl("sip", "list", "--json")):
        if account["login"] not in passwords:
            reset = json.loads(callctl("sip", "edit", account["login"], "--reset-password",
                                       "--json"))
            passwords[account["login"]] = reset["password"]
    saved.write_text(json.dumps(passwords, indent=2))
    saved.chmod(0o600)
    return passwords


# Who signs in to the workspace in the demo, and the softphone ("on PC") account each gets.
WORKSPACE_PEOPLE = (("Bob Jones", "bob-pc"), ("Alice Smith", "alice-pc"))


def workspace_sign_ins() -> list[tuple[str, str, str, str]]:
    """(name, e-mail, access level, password) for each demo person, with an "on PC" SIP
    account for the page's softphone. Passwords are made once and kept here (the real
    way in is the invitation e-mail's link: the demo has no mailer)."""
    from callctl.config import load  # the venv's callctl: this script runs in it
    from callctl.directory.service import DirectoryService
    from callctl.store.db import make_engine, sessions

    saved = WORK / "workspace-passwords.json"
    passwords = json.loads(saved.read_text()) if saved.exists() else {}
    logins = {a["login"] for a in json.loads(callctl("sip", "list", "--json"))}
    engine = make_engine(load(WORK / "callctl.yaml").database.url)
    directory = DirectoryService(sessions(engine))
    people = []
    for name, login in WORKSPACE_PEOPLE:
        if login not in logins:
            callctl("sip", "add", "--employee", name, "--login", login, "--pc")
        password = passwords.setdefault(name, secrets.token_urlsafe(9))
        directory.accept_invitation(directory.invite(name).invitation_token, password)
        employee = directory.get_employee(name)
        people.append((name, employee["email"], employee["access_level"], password))
    engine.dispose()
    saved.write_text(json.dumps(passwords, indent=2))
    saved.chmod(0o600)
    return people


def banner(state: dict, http_port: int) -> str:
    people = workspace_sign_ins()
    passwords = sip_passwords()
    employees = json.loads(callctl("employees", "list", "--json"))
    accounts = {a["login"]: a for a in json.loads(callctl("sip", "list", "--json"))}
    lines = ["", "callctl demo is running. Register any softphone (UDP) with:",
             f"  server 127.0.0.1:{state['staff_port']}"]
    for login, account in accounts.items():
        if account["on_pc"]:  # WebRTC: the workspace's softphone, below, takes it
            continue
        lines.append(f"  {account['employee'] or '-':<12} login {login:<8} "
                     f"password {passwords[login]}")
    lines.append("Then dial:")
    for e in employees:
        lines.append(f"  {e['extension']:<10} to ring {e['full_name']}")
    for d in json.loads(callctl("departments", "list", "--json")):
        lines.append(f"  {d['extension']:<10} to ring the {d['name']} department")
    served = {number: f"walks the '{s['name']}' forwarding scheme"
              for s in json.loads(callctl("schemes", "list", "--json"))
              for number in s.get("numbers", [])}
    served.update((number, f"is answered by the '{m['name']}' menu")
                  for m in json.loads(callctl("menus", "list", "--json"))
                  for number in m["numbers"])
    for n in json.loads(callctl("numbers", "list", "--json")):
        where = served.get(n["number"], f"rings {n['employee']}")
        lines.append(f"  {n['number']:<10} the company number: {where}")
    lines += ["", f"The workspace (open it in Chromium or Chrome): "
                  f"http://127.0.0.1:{http_port}/workspace/"]
    for name, email, level, password in people:
        lines.append(f"  {name} ({level}): e-mail {email}  password {password}")
    (first, *_), (second, *_) = people
    lines += [f"  Sign in as {first}: the lamp says ON LINE (click it to go off line) and the",
              "  softphone in the page registers. In a private window (a second sign-in), sign",
              f"  in as {second} and dial {first}'s extension, or a company number with the",
              "  dial box: the page rings (Answer), the card pops, today's calls fill in.",
              "  Reports (managers, admins): calls per employee with a chart.",
              f"Health: http://127.0.0.1:{http_port}/health  "
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
    callctl("project", "import", str(REPO / "config" / "demo-project.yaml"))
    print(banner(state, config["http"]["port"]), flush=True)
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
