"""Reading and working fast in the dashboard, in a real browser (Debian's chromium driven by Playwright).

A real program (the official openai client against the stand-in model, traced by neatlogs into
a local store) makes the session: a tool loop, a Markdown message with images, a long message.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time

import pytest

CHROMIUM = "/usr/bin/chromium"
SESSION = "reading-session"
PNG = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
MARKDOWN = textwrap.dedent("""\
    Here is my setup:

    - first item
    - second item

    ```python
    print("hello")
    ```

    | name | qty |
    |------|-----|
    | bolt | 12  |
""")
HOSTILE = ("<img src=x onerror=\"window.__pwned = 1\"> [click me](javascript:window.__pwned=2) "
           "<script>window.__pwned = 3</script> ![pic](javascript:window.__pwned=4) "
           "<a href=\"#\" onclick=\"window.__pwned = 5\">a</a> [fine](https://example.com/docs)")

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no browser: {CHROMIUM} is missing")

PROGRAM = textwrap.dedent("""\
    import json, os, sys
    import neatlogs, openai

    neatlogs.init(session_id=os.environ["SESSION"], workflow_name="reader", instrumentations=["openai"])
    client = openai.OpenAI(base_url=os.environ["BASE_URL"], api_key="sk-test", max_retries=0)
    tools = [{"type": "function", "function": {"name": "lookup_order", "description": "Find an order",
              "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}}]
    messages = [{"role": "user", "content": "Where is order 1042?"}]
    first = client.chat.completions.create(model="gpt-4o", messages=messages, tools=tools)
    call = first.choices[0].message.tool_calls[0]
    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"status": "shipped"})}]
    client.chat.completions.create(model="gpt-4o", messages=messages, tools=tools)
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": [
        {"type": "text", "text": os.environ["MARKDOWN"]},
        {"type": "image_url", "image_url": {"url": os.environ["PNG"]}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
    ]}])
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": os.environ["LONG"]}])
    neatlogs.shutdown()
""")
LONG = "\n".join(f"line {n} of a very long message" for n in range(200)) + "\nTHE-END"


@pytest.fixture(scope="module")
def reading_store(tmp_path_factory: pytest.TempPathFactory, standin_model) -> str:
    home = tmp_path_factory.mktemp("reading-home")
    script = home / "program.py"
    script.write_text(PROGRAM)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env.update(NEATLOGS_HOME=str(home), SESSION=SESSION, BASE_URL=standin_model.base_url, MARKDOWN=MARKDOWN,
               PNG=PNG, LONG=LONG, OPENAI_API_KEY="sk-test")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=home,
                            timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    return str(home / "traces.db")


@pytest.fixture
def dashboard(reading_store: str):
    from neatlogs_cli.ui import DashboardServer

    with DashboardServer(reading_store) as server:
        yield server


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def _session_page(page, dashboard):
    page.goto(f"{dashboard.url}/sessions/{SESSION}")
    return page.locator("ol.turns > li.turn")


def test_tool_calls_and_results_are_bubbles_between_the_turns_messages(dashboard, page):
    turns = _session_page(page, dashboard)
    assert turns.count() == 3  # the tool loop's second call folds into the first turn
    bubbles = turns.nth(0).locator(".bubbles > .bubble")
    kinds = [re.sub(r"^bubble ", "", b.get_attribute("class") or "") for b in bubbles.all()]
    assert kinds == ["user", "tool-step tool-call", "tool-step tool-result", "reply"], kinds
    assert bubbles.nth(0).locator(".text").inner_text() == "Where is order 1042?"
    call = bubbles.nth(1)
    assert call.locator(".who").inner_text() == "called lookup_order"
    assert json.loads(call.locator("pre.call").inner_text().removeprefix("lookup_order(").removesuffix(")")) == {
        "query": "stand-in"}
    result = bubbles.nth(2)
    assert result.locator(".who").inner_text() == "lookup_order returned"
    assert json.loads(result.locator("pre").inner_text()) == {"status": "shipped"}
    assert bubbles.nth(3).locator(".text").inner_text().startswith("[stand-in model]")


def test_markdown_is_rendered_and_the_raw_text_is_a_toggle_away(dashboard, page):
    from playwright.sync_api import expect

    turns = _session_page(page, dashboard)
    user = turns.nth(1).locator(".bubble.user")
    rendered = user.locator(".rendered")
    expect(rendered.locator("ul > li")).to_have_count(2)
    assert rendered.locator("ul > li").all_inner_texts() == ["first item", "second item"]
    assert rendered.locator("pre > code").inner_text().strip() == 'print("hello")'
    assert rendered.locator("table th").all_inner_texts() == ["name", "qty"]
    assert rendered.locator("table td").all_inner_texts() == ["bolt", "12"]
    raw = user.locator("pre.raw")
    expect(raw).to_be_hidden()
    user.locator("button.toggle-raw").click()
    expect(raw).to_be_visible()
    expect(rendered).to_be_hidden()
    assert "- first item" in raw.inner_text() and "| bolt | 12  |" in raw.inner_text()
    expect(user.locator("button.toggle-raw")).to_have_attribute("aria-pressed", "true")
    user.locator("button.toggle-raw").click()
    expect(rendered).to_be_visible()
    expect(raw).to_be_hidden()


def test_images_in_a_message_show_as_thumbnails_and_links(dashboard, page):
    from playwright.sync_api import expect

    turns = _session_page(page, dashboard)
    user = turns.nth(1).locator(".bubble.user")
    thumb = user.locator("img.thumb")
    expect(thumb).to_have_count(1)
    assert thumb.get_attribute("src") == PNG
    expect(thumb).to_have_js_property("naturalWidth", 1)  # decoded: the CSP let the data URL through
    link = user.locator("a.image-link")
    assert link.get_attribute("href") == "https://example.com/cat.png"  # linked, never fetched
    assert page.locator("img[src^='http']").count() == 0
    thumb.click()
    expect(thumb).to_have_class(re.compile(r"\benlarged\b"))


def test_a_long_message_starts_collapsed_and_show_all_opens_it(dashboard, page):
    from playwright.sync_api import expect

    turns = _session_page(page, dashboard)
    user = turns.nth(2).locator(".bubble.user")
    content = user.locator(".content")
    expect(content).to_have_class(re.compile(r"\bcollapsible\b"))
    collapsed = content.bounding_box()["height"]
    user.locator("button.show-all").click()
    expect(content).to_have_class(re.compile(r"\bexpanded\b"))
    expect(user.locator("button.show-all")).to_have_text("show less")
    assert content.bounding_box()["height"] > collapsed * 3
    assert user.locator(".text").inner_text().rstrip().endswith("THE-END")


def test_j_k_enter_slash_and_escape(dashboard, page):
    from playwright.sync_api import expect

    page.goto(dashboard.url + "/")
    page.keyboard.press("/")
    expect(page.locator("input[type=search]")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("input[type=search]")).not_to_be_focused()
    page.keyboard.press("j")
    rows = page.locator("table.sessions tbody tr")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/sessions/{SESSION}")

    turns = page.locator("ol.turns > li.turn")
    page.keyboard.press("j")
    expect(turns.nth(0)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(turns.nth(2)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("k")
    expect(turns.nth(1)).to_have_class(re.compile(r"\bselected\b"))
    expect(turns.nth(2)).not_to_have_class(re.compile(r"\bselected\b"))
    spans = turns.nth(1).locator("details.spans")
    expect(spans).not_to_have_attribute("open", "")
    page.keyboard.press("Enter")
    expect(spans).to_have_attribute("open", "")
    page.keyboard.press("Escape")  # first Esc drops the selection, the next goes back
    expect(turns.nth(1)).not_to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("Escape")
    page.wait_for_url(dashboard.url + "/")


def test_dark_mode_follows_the_system_setting(dashboard, page):
    from playwright.sync_api import expect

    page.emulate_media(color_scheme="light")
    page.goto(f"{dashboard.url}/sessions/{SESSION}")
    expect(page.locator("body")).to_have_css("background-color", "rgb(246, 247, 251)")
    light_card = page.locator("li.turn").first.evaluate("el => getComputedStyle(el).backgroundColor")
    page.emulate_media(color_scheme="dark")
    expect(page.locator("body")).to_have_css("background-color", "rgb(15, 19, 27)")
    expect(page.locator("li.turn").first).to_have_css("background-color", "rgb(23, 28, 39)")
    assert light_card == "rgb(255, 255, 255)"


def test_copy_buttons_put_ids_and_values_on_the_clipboard(browser, dashboard):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        page.goto(f"{dashboard.url}/sessions/{SESSION}")
        head_copy = page.locator(".page-head h1 button.copy")
        head_copy.click()
        assert page.evaluate("navigator.clipboard.readText()") == SESSION
        from playwright.sync_api import expect

        expect(head_copy).to_have_text("copied")
        page.locator("li.turn").nth(0).locator(".bubble.tool-result button.copy").click()
        assert json.loads(page.evaluate("navigator.clipboard.readText()")) == {"status": "shipped"}
        page.locator("li.turn").nth(1).locator(".bubble.user button.copy").click()
        assert page.evaluate("navigator.clipboard.readText()").startswith("Here is my setup:\n\n- first item")
    finally:
        context.close()


def _turn(session_id: str, n: int) -> list:
    from neatlogs import semconv, store

    now = time.time_ns()
    return [store.SpanRecord(f"{n:032x}", f"{n:016x}", None, "chat_turn", now, now + 1_000_000, kind="AGENT",
                             attributes={semconv.SESSION_ID: session_id, semconv.INPUT_VALUE: f"question {n}"})]


def test_the_sessions_list_refreshes_itself_until_paused(page, tmp_path):
    from playwright.sync_api import expect

    from neatlogs import store
    from neatlogs_cli.ui import DashboardServer

    path = str(tmp_path / "traces.db")
    conn = store.connect(path)
    store.insert_spans(conn, _turn("first", 1))
    with DashboardServer(path) as server:
        page.goto(server.url + "/")
        page.evaluate("window.__same_page = true")
        rows = page.locator("tr.session-row")
        expect(rows).to_have_count(1)
        store.insert_spans(conn, _turn("second", 2))
        expect(rows).to_have_count(2, timeout=15000)
        assert rows.nth(0).get_attribute("data-session-id") == "second"
        assert page.evaluate("window.__same_page") is True  # rows swapped in, no reload

        button = page.locator("button.auto-refresh")
        button.click()
        expect(button).to_have_text("Resume live updates")
        refreshed = page.locator("body").get_attribute("data-refreshed-at")
        store.insert_spans(conn, _turn("third", 3))
        page.wait_for_timeout(7000)  # two refresh periods: a running refresh would have shown it
        expect(rows).to_have_count(2)
        assert page.locator("body").get_attribute("data-refreshed-at") == refreshed
        page.reload()
        expect(page.locator("button.auto-refresh")).to_have_text("Resume live updates")  # remembered
        expect(rows).to_have_count(3)
        store.insert_spans(conn, _turn("fourth", 4))
        page.locator("button.auto-refresh").click()
        expect(page.locator("button.auto-refresh")).to_have_text("Pause live updates")
        expect(rows).to_have_count(4, timeout=15000)
    conn.close()


def test_hostile_markdown_stays_inert(page, tmp_path):
    from playwright.sync_api import expect

    from neatlogs import semconv, store
    from neatlogs_cli.ui import DashboardServer

    path = str(tmp_path / "traces.db")
    conn = store.connect(path)
    now = time.time_ns()
    store.insert_spans(conn, [store.SpanRecord(
        "a" * 32, "b" * 16, None, "chat gpt-4o", now, now + 1_000_000, kind="LLM",
        attributes={semconv.SESSION_ID: "hostile", semconv.message_key(semconv.LLM_INPUT_MESSAGES, 0, semconv.MESSAGE_ROLE): "user",
                    semconv.message_key(semconv.LLM_INPUT_MESSAGES, 0, semconv.MESSAGE_CONTENT): HOSTILE,
                    semconv.message_key(semconv.LLM_OUTPUT_MESSAGES, 0, semconv.MESSAGE_ROLE): "assistant",
                    semconv.message_key(semconv.LLM_OUTPUT_MESSAGES, 0, semconv.MESSAGE_CONTENT): HOSTILE})])
    conn.close()
    with DashboardServer(path) as server:
        page.goto(server.url + "/sessions/hostile")
        for bubble in (page.locator(".bubble.user"), page.locator(".bubble.reply")):
            text = bubble.locator(".text")
            expect(text).to_contain_text('<img src=x onerror="window.__pwned = 1">')
            expect(text).to_contain_text("<script>window.__pwned = 3</script>")
            expect(text).to_contain_text("[click me](javascript:window.__pwned=2)")  # no link: kept as text
            assert text.locator("a").all_inner_texts() == ["fine"]
            assert text.locator("a").get_attribute("href") == "https://example.com/docs"
            assert text.locator("a").get_attribute("rel") == "noopener noreferrer nofollow"
        assert page.locator("main script, main img, main [onclick], main [onerror]").count() == 0
        assert page.locator("a[href^='javascript']").count() == 0
        page.locator(".bubble.user .toggle-raw").click()
        expect(page.locator(".bubble.user pre.raw")).to_have_text(HOSTILE)
        assert page.evaluate("window.__pwned") is None
