"""The metrics module's own rules: ids never become label values; a call's figures."""
from prometheus_client.parser import text_string_to_metric_families

from callctl import metrics


def test_given_ari_paths_with_ids_then_the_label_is_a_template():
    assert metrics.path_template("/channels/callctl-17.3-ab12/answer") == "/channels/{id}/answer"
    assert metrics.path_template("/bridges/callctl-1.2/addChannel") == "/bridges/{id}/addChannel"
    assert metrics.path_template("/endpoints/PJSIP/u7f3k2") == "/endpoints/{id}/{id}"
    assert metrics.path_template("/asterisk/config/dynamic/res_pjsip/auth/u7f3k2") == \
        "/asterisk/config/dynamic/{id}/{id}/{id}"
    assert metrics.path_template("/applications/callctl/eventFilter") == \
        "/applications/{id}/eventFilter"
    assert metrics.path_template("/channels") == "/channels"


def sample(name: str, **labels) -> float:
    body, _ = metrics.render(None)
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return 0.0


def test_given_a_call_that_rings_twice_and_ends_then_ring_start_counts_once():
    active, rings = sample("callctl_calls_active"), sample("callctl_ring_start_seconds_count")
    done = sample("callctl_calls_total", outcome="answered")
    call = metrics.call_started()
    assert sample("callctl_calls_active") == active + 1
    call.ring_started()
    call.ring_started()  # a second leg, or the next block
    call.ended("answered")
    assert sample("callctl_calls_active") == active
    assert sample("callctl_ring_start_seconds_count") == rings + 1
    assert sample("callctl_calls_total", outcome="answered") == done + 1


def test_given_a_call_left_up_when_the_daemon_stops_then_it_is_not_counted_as_finished():
    kept = sum(sample("callctl_calls_total", outcome=o) for o in ("answered", "missed"))
    metrics.call_started().ended(None)
    assert sum(sample("callctl_calls_total", outcome=o) for o in ("answered", "missed")) == kept


def test_given_an_openmetrics_scraper_then_it_gets_openmetrics():
    body, content_type = metrics.render("application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert body.rstrip().endswith(b"# EOF")


def test_given_the_grafana_dashboard_then_every_query_names_a_metric_the_daemon_exports():
    import json
    import re
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "config" / "grafana" / "callctl-dashboard.json"
    exprs = [t["expr"] for p in json.loads(path.read_text())["panels"] for t in p["targets"]]
    suffixes = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_count",
                                                                      "_sum")}
    exported = {family.name + suffix for family in metrics.REGISTRY.collect()
                for suffix in suffixes[family.type]}
    used = {name for e in exprs for name in re.findall(r"callctl_[a-z_]+", e)}
    assert used and used <= exported, used - exported
