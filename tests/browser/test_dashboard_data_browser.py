"""Filters, costs, the Overview's charts and the Users page in a real browser (Debian's chromium, Playwright)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import dashboard_data
import pytest

CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no browser: {CHROMIUM} is missing (apt-get install chromium)")


@pytest.fixture(scope="module")
def data_dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from neatlogs_cli.ui import DashboardServer

    path = dashboard_data.build(str(Path(tmp_path_factory.mktemp("data-ui")) / "traces.db"))
    with DashboardServer(path) as server:
        yield server.url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 and "favicon" not in r.url else None)
    yield page
    context.close()
    assert missing == []
    assert [e for e in errors if "404" not in e] == []  # no CSP violation, no script error


def _session_ids(page) -> list[str]:
    return page.locator("tr.session-row").evaluate_all("rows => rows.map(r => r.dataset.sessionId)")


def test_filters_from_the_url_are_applied_shown_and_changed_with_the_form(data_dashboard, page):
    from playwright.sync_api import expect

    page.goto(data_dashboard + "/?model=gpt-4o&status=ok")
    expect(page.locator("tr.session-row")).to_have_count(2)
    assert _session_ids(page) == ["alpha-session", "gamma-session"]
    expect(page.locator("select[name=model]")).to_have_value("gpt-4o")
    expect(page.locator("select[name=status]")).to_have_value("ok")

    page.select_option("select[name=status]", "error")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/?model=gpt-4o&status=error")  # the empty fields are tidied out of the address
    expect(page.locator("tr.session-row")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("No session matches these filters")

    page.fill("input[name=user]", "bob")
    page.select_option("select[name=model]", "")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/?status=error&user=bob")
    assert _session_ids(page) == ["beta-session"]
    page.click("a.clear-filters")
    expect(page.locator("tr.session-row")).to_have_count(3)


def test_a_column_header_sorts_and_keeps_the_filters(data_dashboard, page):
    from playwright.sync_api import expect

    page.goto(data_dashboard + "/?workflow=support")
    page.click("a.sort[data-sort=cost]")
    page.wait_for_url("**/?workflow=support&sort=-cost")
    expect(page.locator("tr.session-row")).to_have_count(2)
    assert _session_ids(page) == ["gamma-session", "alpha-session"]
    page.click("a.sort[data-sort=cost]")
    page.wait_for_url("**sort=cost")
    assert _session_ids(page) == ["alpha-session", "gamma-session"]


def test_cost_is_shown_per_session_trace_and_user_and_summed(data_dashboard, page):
    from playwright.sync_api import expect

    page.goto(data_dashboard + "/")
    cost = {sid: page.locator(f"tr.session-row[data-session-id={sid}] td.cost").inner_text()
            for sid in ("alpha-session", "beta-session", "gamma-session")}
    assert cost == {"alpha-session": "$0.0080", "beta-session": "$0.0083", "gamma-session": "$0.50 + no price"}

    page.goto(data_dashboard + "/traces?workflow=support&sort=started")
    expect(page.locator("tr.trace-row")).to_have_count(4)
    assert page.locator("tr.trace-row td.cost").all_inner_texts() == ["no price", "$0.50", "$0.0040", "$0.0040"]

    page.goto(data_dashboard + "/sessions/alpha-session")
    header = page.locator(".page-head .facts")
    expect(header.locator(".session-cost")).to_have_text("cost $0.0080")  # its two calls, summed
    expect(header.locator(".call-count")).to_have_text("2 model calls")
    expect(header.locator(".session-latency")).to_contain_text("p95")
    # each model call's own cost in its turn's span tree (the wrapper repeating its tokens shows none)
    costs = page.locator("li.turn").first.locator(".call-cost")
    assert [c.text_content() for c in costs.all()] == ["$0.0040"]


def test_the_overview_draws_its_charts_with_data(data_dashboard, page):
    from playwright.sync_api import expect

    page.goto(data_dashboard + "/overview?range=7d&bucket=day&split=model")
    charts = page.locator("figure.chart")
    expect(charts).to_have_count(5)
    for measure in ("traces", "errors", "tokens", "cost", "latency"):
        chart = page.locator(f"figure.chart[data-measure={measure}]")
        expect(chart).to_have_attribute("data-has-data", "1")
        assert chart.locator("svg rect.bar").count() >= 1
        box = chart.locator("svg rect.bar").first.bounding_box()
        assert box is not None and box["height"] > 0  # drawn, not only present
    cost = page.locator("figure.chart[data-measure=cost]")
    expect(cost.locator(".chart-total")).to_have_text("$0.52")  # 0.008 + 0.00825 + 0.5
    expect(cost.locator("ul.legend")).to_contain_text("gpt-4o")
    expect(cost.locator("ul.legend")).to_contain_text("claude-3-5-sonnet-20241022")
    expect(page.locator("figure.chart[data-measure=traces] .chart-total")).to_have_text("5")
    page.goto(data_dashboard + "/overview?range=1h")
    expect(page.locator("figure.chart[data-measure=traces] .chart-total")).to_have_text("2")


def test_the_users_page_lists_end_users_and_leads_to_their_sessions(data_dashboard, page):
    from playwright.sync_api import expect

    page.goto(data_dashboard + "/")
    page.click("header.top nav a[href='/users']")
    page.wait_for_url("**/users")
    rows = page.locator("tr.user-row")
    expect(rows).to_have_count(2)
    alice = page.locator("tr.user-row[data-user-id=alice]")
    assert alice.locator("td").all_inner_texts()[1:3] == ["1", "2"]  # sessions, turns
    expect(alice.locator("td.cost")).to_have_text("$0.0080")
    alice.locator("a.user-link").click()
    page.wait_for_url("**/?user=alice")
    assert _session_ids(page) == ["alpha-session"]
