"""Turns measurements into the summary keys of latest.json and the table of latest.md."""
from __future__ import annotations


def p3_summary(steps: list[dict], limit: str, idle_rtt: dict) -> dict:
    """The figures of the largest step that held every call."""
    good = [s for s in steps if s["passed"]]
    top = good[-1] if good else {}
    own = [top.get(k) for k in ("ramp_loop_lag_p99_ms", "hold_loop_lag_p99_ms")]
    rtt = max((top.get(k, {}).get("p99_ms") or 0 for k in ("ramp_health_rtt",
                                                           "hold_health_rtt")), default=None)
    return {"calls": top.get("calls", 0), "rss_mb": top.get("rss_mb"),
            # Bounded from outside, exactly over this step's ramp and hold; the daemon's own
            # figure (/health) is the p99 of its last minute, which reaches into the steps
            # (and the P2 overload) before.
            "loop_lag_p99_ms": rtt if top else None,
            "daemon_loop_lag_p99_ms": max(own) if top and None not in own else None,
            "cpu_pct": top.get("hold_cpu_pct"), "cpu_pct_ramp": top.get("ramp_cpu_pct"),
            "health_rtt_idle_p99_ms": idle_rtt["p99_ms"], "limit": limit, "steps": steps}


def _ms(v) -> str:
    return "–" if v is None else f"{v:.1f} ms"


def _plus(v) -> str:
    return "–" if v is None else f"{v:+.1f} ms"


def markdown(r: dict) -> str:
    runs = r.get("runs", {})
    lines = ["# callctl benchmarks: latest results", "",
             "Every figure compares callctl with plain Asterisk doing the same job in its own "
             "dialplan (`Dial(PJSIP/<phone>)`), measured in the same run on the same sandbox "
             "and the same phone. *plain* and *callctl* calls are interleaved while the daemon "
             "runs; *plain alone* is measured at the end on the same Asterisk restarted "
             "without callctl's Stasis app, to show that the daemon costs nothing to calls "
             "it never handles (a fresh Asterisk spends less CPU a call than one that has "
             "handled the run's calls before: see the method). "
             "Method: [bench/README.md](../README.md).", "",
             "| figure | plain alone | plain | callctl | callctl adds |", "|---|---|---|---|---|"]
    for key, label in (("p1", "1 at a time"), ("p1_c20", "20 concurrent")):
        p = r.get(key)
        if p:
            alone = p.get("plain_without_daemon", {})
            lines.append(f"| P1 ring-start median, {label} ({p['callctl']['n']} calls each) | "
                         f"{_ms(alone.get('median_ms'))} | {_ms(p['plain']['median_ms'])} | "
                         f"{_ms(p['callctl']['median_ms'])} | {_plus(p['added_median_ms'])} |")
            lines.append(f"| P1 ring-start p99, {label} | {_ms(alone.get('p99_ms'))} | "
                         f"{_ms(p['plain']['p99_ms'])} | {_ms(p['callctl']['p99_ms'])} | "
                         f"{_plus(p['added_p99_ms'])} |")
    if "p2" in r:
        p = r["p2"]
        alone = p.get("plain_cps_without_daemon")
        lines.append(f"| P2 highest steady call rate (≥ 99.9 % ok, setup p99 ≤ 1 s) | "
                     f"{'–' if alone is None else f'{alone:g} cps'} | {p['plain_cps']:g} cps | "
                     f"{p['callctl_cps']:g} cps | ratio {p['ratio']} (to plain alone: "
                     f"{p.get('ratio_to_plain_without_daemon', '–')}) |")
    if "p3" in r:
        p = r["p3"]
        lines.append(f"| P3 concurrent bridged calls held | – | – | {p['calls']} | – |")
        lines.append(f"| P3 daemon RSS at {p['calls']} calls | – | – | {p['rss_mb']} MB "
                     "| – |")
        lines.append(f"| P3 daemon CPU, calls held / being set up | – | – | {p['cpu_pct']} % / "
                     f"{p['cpu_pct_ramp']} % of a core | – |")
        lines.append(f"| P3 event-loop lag p99, bounded by /health round-trips from outside "
                     f"(idle: {_ms(p['health_rtt_idle_p99_ms'])}) | – | – | "
                     f"{_ms(p['loop_lag_p99_ms'])} | – |")
        lines.append(f"| P3 the daemon's own loop-lag p99 (/health, its last minute) | – | – | "
                     f"{_ms(p.get('daemon_loop_lag_p99_ms'))} | – |")
    if "p4" in r:
        lines.append(f"| P4 `plan_call`, 10 blocks × 3 branches (median) | – | – | "
                     f"{r['p4']['plan_us_median']} µs | – |")
    for key, label in (("soak", "Soak"), ("soak_long", "Long soak (`--soak --long`)")):
        s = r.get(key)
        if s:
            lines.append(f"| {label}: {s['calls']} calls: failed; left in ARI (channels, "
                         f"bridges) | – | – | {s['failed']}; {s['ari_channels_after']}, "
                         f"{s['ari_bridges_after']} | – |")
            lines.append(f"| {label}: daemon RSS start → end | – | – | {s['rss_start_mb']} → "
                         f"{s['rss_end_mb']} MB ({s['rss_growth_pct']:+.2f} %) | – |")
    if "queue" in r:
        q = r["queue"]
        gap = q["free_to_ring_ms"]
        lines.append(f"| Queue: operator free → their phone rings with the next caller, median "
                     f"/ p99 ({q['operators']} operators, {q['calls']} calls) | – | – | "
                     f"{_ms(gap['median_ms'])} / {_ms(gap['p99_ms'])} | – |")
        lines.append(f"| Queue: double offers; answered / calls; left in ARI | – | – | "
                     f"{q['double_offers']}; {q['answered']} / {q['calls']}; "
                     f"{q['left_in_ari'][0]}, {q['left_in_ari'][1]} | – |")
    if "prompts" in r:
        p = r["prompts"]
        lines.append(f"| Prompt: mp3 upload (API) → Asterisk playing it, median / max "
                     f"({p['rounds']} uploads) | – | – | {_ms(p['upload_to_playing_median_ms'])}"
                     f" / {_ms(p['upload_to_playing_max_ms'])} | – |")
        lines.append(f"| Prompt: converting a {p['convert_mp3_bytes'] / 1e6:.1f} MB, "
                     f"{p['convert_mp3_seconds_audio']} s stereo mp3 (median) | – | – | "
                     f"{p['convert_median_s']} s | – |")
    if "screen_pop" in r:
        p = r["screen_pop"]
        lines.append(f"| Screen pop: carrier INVITE → card visible in the page, median / p90 "
                     f"({p['calls']} calls; goal ≤ {p['goal_ms']} ms) | – | – | "
                     f"{_ms(p.get('median_ms'))} / {_ms(p.get('p90_ms'))} | – |")
    lines += ["", "## What limited the load"]
    for key in ("p1", "p1_c20"):
        p = r.get(key)
        if p and "asterisk_overload_warnings" in p:
            lines.append(f"- P1 at {p['concurrency']} concurrent: INVITEs resent (no answer "
                         f"within 500 ms) plain {p['plain']['invite_retransmissions']}, "
                         f"callctl {p['callctl']['invite_retransmissions']}; Asterisk overload "
                         f"warnings {p['asterisk_overload_warnings']}.")
    if "p2" in r:
        for path, why in r["p2"]["limit"].items():
            lines.append(f"- P2 {path}: {why}.")
        lines += ["", "P2 steps (CPU in % of one core; the machine has "
                  f"{runs.get('p2', {}).get('cpus', '?')}; overload = Asterisk taskprocessor "
                  "high-water warnings, during which PJSIP ignores new INVITEs):", "",
                  "| path | cps | ok / calls | setup p99 | Asterisk | daemon (its loop) "
                  "| generator | INVITEs resent | overload | |", "|---" * 10 + "|"]
        for s in r["p2"]["steps"]:
            cpu, planned = s["cpu_pct"], s.get("planned", s["calls"])
            lines.append(f"| {s['path']} | {s['cps']:g} | {s['ok']} / {planned} | "
                         f"{_ms(s['setup_p99_ms'])} | {cpu['asterisk']} % | "
                         f"{cpu.get('daemon', '–')} % ({cpu.get('daemon_loop', '–')} %) | "
                         f"{cpu['generator']} % | "
                         f"{s.get('invite_retransmissions', '–')} | "
                         f"{s.get('asterisk_overload_warnings', '–')} | "
                         f"{'pass' if s['passed'] else 'FAIL'} |")
        lines += ["", "![P2: offered rate -> success and setup p99, plain and callctl, our "
                  "generator and SIPp](p2.png)", ""]
    if "p3" in r:
        lines.append(f"- P3: {r['p3']['limit']}.")
        for s in r["p3"]["steps"]:
            lines.append(f"  - {s['calls']} calls ({s['ramp_cps']:g}/s): {s['up']} held, "
                         f"{s['ok']} ok; "
                         f"Asterisk {s.get('asterisk_cpu_pct')} % CPU, {s.get('asterisk_rss_mb')}"
                         f" MB, {s.get('asterisk_fds')} fds (limit {s.get('asterisk_fd_limit')}),"
                         f" {s.get('asterisk_threads')} threads;"
                         f" daemon RSS {s.get('rss_mb')} MB, "
                         f"CPU held {s.get('hold_cpu_pct')} % / ramp {s['ramp_cpu_pct']} %, "
                         f"loop lag p99 held {_ms(s.get('hold_loop_lag_p99_ms'))} / ramp "
                         f"{_ms(s.get('ramp_loop_lag_p99_ms'))}, /health round-trip p99 held "
                         f"{_ms((s.get('hold_health_rtt') or {}).get('p99_ms'))}"
                         f" / ramp {_ms(s['ramp_health_rtt']['p99_ms'])}"
                         f"{'' if s['passed'] else ' — failed'}")
    if "sipp" in r:
        lines += sipp_lines(r["sipp"])
    if "trace" in r:
        t = r["trace"]
        lines += ["", "## Where a callctl call's time goes (`--trace`, one call at a time)", "",
                  "| ring-start step | median |", "|---|---|"]
        lines += [f"| {k[2:]} | {_ms(v)} |" for k, v in t["ring_start_steps_median_ms"].items()]
        lines += ["", "| per call | plain | callctl |", "|---|---|---|"]
        for label, key in (("ARI events to the daemon", "ari_events_per_call"),
                           ("ARI requests by the daemon", "ari_requests_per_call")):
            lines.append(f"| {label} | {t['plain'][key]} | {t['callctl'][key]} |")
        for part in ("event loop", "other threads"):
            lines.append(f"| daemon CPU, {part} | "
                         f"{t['plain']['daemon_cpu_ms_per_call'].get(part, 0)} ms | "
                         f"{t['callctl']['daemon_cpu_ms_per_call'].get(part, 0)} ms |")
        lines += ["", "ARI requests per callctl call: " + ", ".join(
            f"`{k}` ×{v['per_call']} ({_ms(v['median_ms'])})"
            for k, v in t["callctl"]["ari_requests"].items()) + "."]
        lines += ["", "Events per call by type, callctl: " + ", ".join(
            f"{k} {v}" for k, v in t["callctl"]["ari_events_by_type"].items()) +
            "; plain (calls the daemon never handles): " + ", ".join(
            f"{k} {v}" for k, v in t["plain"]["ari_events_by_type"].items()) + "."]
    if "screen_pop" in r:
        p = r["screen_pop"]
        lines += ["", "## Screen pop (`--screen-pop`): carrier INVITE to the card in the page",
                  "", f"Median {_ms(p.get('median_ms'))} (new callers "
                  f"{_ms(p.get('median_new_caller_ms'))}, known callers "
                  f"{_ms(p.get('median_known_caller_ms'))}), p90 {_ms(p.get('p90_ms'))}, max "
                  f"{_ms(p.get('max_ms'))}; {p['popped']} of {p['calls']} calls popped; goal: "
                  f"median ≤ {p['goal_ms']} ms{'' if p.get('met_goal') else ' — missed'}."]
    lines += ["", "## Runs", ""]
    by_run: dict[str, list[str]] = {}
    for key, m in sorted(runs.items()):
        by_run.setdefault(m["at"], []).append(key)
    for at, keys in sorted(by_run.items()):
        m = runs[keys[0]]
        lines.append(f"- {', '.join(f'`{k}`' for k in keys)}: `{m['profile']}` run at {at} "
                     f"(commit {m['commit']}, {m['asterisk']}, Python {m['python']}, "
                     f"{m['cpus']} CPUs, load average {m['load_avg_at_start'][0]:.2f} at start), "
                     f"{m['seconds']:.0f} s in all")
    return "\n".join(lines) + "\n"


def sipp_lines(s: dict) -> list[str]:
    """`--sipp`: the same P1/P2 driven by SIPp, beside our generator's figures."""
    lines = ["", "## Cross-check with SIPp (`--sipp`)", "",
             "SIPp times setup (INVITE sent → 200 OK read by the carrier; the phone answers at "
             "once), not ring start: its carrier and phone are two processes. Our generator's "
             "setup medians are from the same run, just before SIPp took the phone's "
             "registration over.", "",
             "| figure | plain | callctl | callctl adds | our generator: plain / callctl |",
             "|---|---|---|---|---|"]
    for key, label in (("p1", "1 at a time"), ("p1_c20", "20 concurrent")):
        p = s.get(key)
        if p:
            own = p.get("own_generator_setup_median_ms", {})
            lines.append(f"| P1 setup median, {label} ({p['callctl']['n']} calls each) | "
                         f"{_ms(p['plain']['median_ms'])} | {_ms(p['callctl']['median_ms'])} | "
                         f"{_plus(p['added_median_ms'])} | {_ms(own.get('plain'))} / "
                         f"{_ms(own.get('callctl'))} |")
            lines.append(f"| P1 setup p99, {label} | {_ms(p['plain']['p99_ms'])} | "
                         f"{_ms(p['callctl']['p99_ms'])} | {_plus(p['added_p99_ms'])} | |")
    if "p2" in s:
        p = s["p2"]
        lines.append(f"| P2 highest steady call rate | {p['plain_cps']:g} cps | "
                     f"{p['callctl_cps']:g} cps | ratio {p['ratio']} | see P2 above |")
        lines += ["", "SIPp P2 steps:", "", "| path | cps | ok / calls | setup p99 | Asterisk | "
                  "daemon (its loop) | SIPp carrier / phone | retransmissions | overload | |",
                  "|---" * 10 + "|"]
        for st in p["steps"]:
            cpu = st["cpu_pct"]
            lines.append(f"| {st['path']} | {st['cps']:g} | {st['ok']} / {st['planned']} | "
                         f"{_ms(st['setup_p99_ms'])} | {cpu['asterisk']} % | "
                         f"{cpu['daemon']} % ({cpu['daemon_loop']} %) | {cpu['generator']} % / "
                         f"{cpu.get('phone', '–')} % | "
                         f"{st['invite_retransmissions']} | {st['asterisk_overload_warnings']} | "
                         f"{'pass' if st['passed'] else 'FAIL ' + str(st['errors'] or '')} |")
    return lines
