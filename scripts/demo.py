"""Runs the demo: sandbox Asterisk + callctl with config/demo.yaml and generated secrets.

    scripts/demo                                  runs it (Ctrl-C stops it)
    scripts/demo call [NUMBER] [--from CALLER]    a customer calls a company number (the
                                                  demo has no carrier: see customer_call)
"""
import argparse
import asyncio
import json
import re
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


DEMO_CUSTOMER = "+15557650100"  # the demo caller's number when none is given
INBOUND_CONTEXT = "callctl-inbound"  # where the carrier trunk's calls start (dialplan/)
CUSTOMER_RING_MS = 60_000  # how long the demo caller waits for an answer


def customer_call(state: dict, number: str, caller: str, sound: str = "demo-congrats") -> None:
    """A customer calls `number` from `caller`, for a demo without a carrier: Asterisk itself
    places the call into the trunk's context, where a carrier's calls arrive, with the
    customer's caller ID (a Local channel, kept whole with /n). When someone answers, the
    customer plays `sound` to them and hangs up."""
    from callctl.ops.ami import AmiSession  # the venv's callctl: this script runs in it

    async def place() -> None:
        async with AmiSession("127.0.0.1", state["ami_port"], state["ami_user"],
                              state["ami_secret"]) as ami:
            await ami.action("Originate", background=True,
                             Channel=f"Local/{number}@{INBOUND_CONTEXT}/n",
                             Application="Playback", Data=sound,
                             CallerID=f'"Demo customer" <{caller}>',
                             Timeout=str(CUSTOMER_RING_MS), Async="true")
    asyncio.run(place())


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
              "  A customer from outside: `scripts/demo call` (another terminal) calls the",
              f"  first company number from {DEMO_CUSTOMER}; `--from` another number is",
              "  another client (a new card pops the first time).",
              f"Health: http://127.0.0.1:{http_port}/health  "
              f"Log: below. Ctrl-C stops callctl and the sandbox.", ""]
    return "\n".join(lines)


def sandbox_state() -> dict:
    return json.loads(subprocess.run([str(SANDBOX), "env"], check=True, capture_output=True,
                                     text=True).stdout)


def call(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scripts/demo call", description="A customer "
                                     "calls a company number of the running demo.")
    parser.add_argument("number", nargs="?", help="the company number (default: the first)")
    parser.add_argument("--from", dest="caller", default=DEMO_CUSTOMER,
                        help=f"the customer's number (default {DEMO_CUSTOMER})")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"\+?[0-9]{3,15}", args.caller):
        print(f"scripts/demo call: --from {args.caller!r}: not a phone number (digits, "
              f"an optional + first)", file=sys.stderr)
        return 2
    if not (WORK / "callctl.yaml").exists() or \
            subprocess.call([str(SANDBOX), "status"], stdout=subprocess.DEVNULL) != 0:
        print("scripts/demo call: the demo is not running (start it with scripts/demo)",
              file=sys.stderr)
        return 1
    numbers = [n["number"] for n in json.loads(callctl("numbers", "list", "--json"))]
    number = args.number or numbers[0]
    if number not in numbers:
        print(f"scripts/demo call: {number} is not a company number of the demo "
              f"({', '.join(numbers)})", file=sys.stderr)
        return 2
    customer_call(sandbox_state(), number, args.caller)
    print(f"{args.caller} is calling {number}: answer in the workspace (or any phone rung).")
    return 0


def main() -> int:
    if sys.argv[1:2] == ["call"]:
        return call(sys.argv[2:])
    WORK.mkdir(parents=True, exist_ok=True)
    was_running = subprocess.call([str(SANDBOX), "status"], stdout=subprocess.DEVNULL) == 0
    subprocess.run([str(SANDBOX), "start"], check=True)
    state = sandbox_state()
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
