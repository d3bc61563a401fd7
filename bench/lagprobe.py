"""Times GET /health round-trips against the daemon until SIGTERM, then prints them (ms) as
JSON. A process of its own, so the load generator's busy loop does not inflate the times.

The daemon has no event-loop lag metric; a /health answer needs one free turn of its loop,
so the round-trip's excess over the idle round-trip bounds the loop lag from above.

    python bench/lagprobe.py PORT [INTERVAL_S]
"""
import http.client
import json
import signal
import sys
import time

stop = False


def on_term(*_):
    global stop
    stop = True


def main() -> None:
    port, interval = int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.02
    signal.signal(signal.SIGTERM, on_term)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    rtts, errors = [], 0
    while not stop:
        t = time.perf_counter()
        try:
            conn.request("GET", "/health")
            conn.getresponse().read()
            rtts.append((time.perf_counter() - t) * 1000)
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        time.sleep(max(0.0, interval - (time.perf_counter() - t)))
    json.dump({"rtt_ms": rtts, "errors": errors}, sys.stdout)


if __name__ == "__main__":
    main()
