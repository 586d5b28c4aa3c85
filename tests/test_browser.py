"""
The page in a real browser: Debian's headless Chromium driven by Playwright
against ``dosecalc serve``'s application under uvicorn on 127.0.0.1. The
tests fill the form as a person would (typing, Tab, Enter), read the rendered
dose, and check that nothing breaks the Content-Security-Policy, nothing is
fetched from anywhere but the server, and the page fits a 375 px phone.

Needs ``/usr/bin/chromium`` (Debian's ``chromium`` package) and the
``playwright`` Python package; Playwright's own browser download is never
used. With ``DOSECALC_SCREENSHOT=path.png`` the result page is also saved
there (the README's picture: ``docs/img/web-page.png``).
"""

import json
import os
import shutil
import threading
import time
import warnings

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
uvicorn = pytest.importorskip("uvicorn")

from dosecalc.web import create_app  # noqa: E402  (after the importorskip of its dependencies)

DISCLAIMER = "dosecalc is decision support: every dose must be verified by a clinician."


@pytest.fixture(scope="module")
def server():
    """The application under uvicorn on 127.0.0.1 (a free port), in a thread, for the module's tests."""
    running = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    port = running.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        with sync_api.sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh, empty profile
                executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
                args=ARGS,
                headless=True,
                viewport={"width": 375, "height": 812},
            )
            yield context
            context.close()


@pytest.fixture
def page(browser, server):
    """A new tab on the page, with what it logged, failed and requested."""
    tab = browser.new_page()
    tab.seen = {"console": [], "errors": [], "requests": []}
    tab.on("console", lambda message: tab.seen["console"].append(f"{message.type}: {message.text}"))
    tab.on("pageerror", lambda error: tab.seen["errors"].append(str(error)))
    tab.on("request", lambda request: tab.seen["requests"].append(request.url))
    tab.goto(server + "/")
    tab.wait_for_selector("form[data-ready=true]")
    yield tab
    # nothing refused by the Content-Security-Policy, no script error, nothing from elsewhere
    refused = "Failed to load resource: the server responded with a status of 422"  # bad input, shown on the page
    assert not [
        line
        for line in tab.seen["console"]
        if "Content Security Policy" in line or line.startswith("error") and refused not in line
    ]
    assert tab.seen["errors"] == []
    assert all(url.startswith(server + "/") for url in tab.seen["requests"]), tab.seen["requests"]
    tab.close()


def _text(found) -> str | list[str]:
    """Text as read, a no-break space (between a number and its unit) as a space."""
    if isinstance(found, list):
        return [item.replace("\xa0", " ") for item in found]
    return found.replace("\xa0", " ")


def _fits(page) -> bool:
    """Nothing wider than the window, no table either (each would scroll in its box)."""
    return page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
        " && [...document.querySelectorAll('.scroll')].every((box) => box.scrollWidth <= box.clientWidth)"
    )


def _enter_dose(page, dose="75 mg/m2", height="175cm", weight="70 kg"):
    page.fill("#dose", dose)
    page.fill("#height", height)
    page.fill("#weight", weight)
    page.press("#weight", "Enter")  # Enter submits


def _enter_protocol(page, protocol="r-chop-21", height="175 cm", weight="80 kg", **fields):
    page.check("#mode-protocol")
    page.select_option("#protocol", protocol)
    page.fill("#height", height)
    page.fill("#weight", weight)
    for field, text in fields.items():
        page.fill("#" + field.replace("_", "-"), text)
    page.press("#weight", "Enter")


def test_dose_typed_and_entered_shows_every_step(page):
    _enter_dose(page)
    answer = page.wait_for_selector("#answer")
    # Mosteller (1987) by hand: sqrt(175 × 70 / 3600) = 1.84466 m²; × 75 mg/m² = 138.35 mg, 4 figures
    assert _text(answer.text_content()) == "138.3 mg"
    result = page.text_content("#result")
    assert "Dose to give" in result
    assert DISCLAIMER in result
    # the text as typed beside the value read
    row = page.locator("#result tr", has_text="175cm")
    assert _text(row.locator("td").all_text_contents()) == ["175cm", "175 cm"]
    # every step, its formula and reference
    assert "Patient's dose: weight basis and caps" in result
    assert "Mosteller" in result and "doi:10.1056/NEJM198710223171717" in result
    assert page.query_selector("#attention") is None  # an ordinary result: exit code 0
    assert _fits(page)


def test_dose_per_kg(page):
    page.fill("#dose", "6.1 mg/kg")
    page.fill("#weight", "154 lb")
    page.press("#dose", "Enter")
    answer = page.wait_for_selector("#answer")
    # 154 lb = 69.853 kg (0.45359237 kg/lb); × 6.1 mg/kg = 426.1 mg
    assert _text(answer.text_content()) == "426.1 mg"
    assert _text(page.locator("#result tr", has_text="154 lb").locator("td").all_text_contents()) == [
        "154 lb",
        "69.85 kg",
    ]


def test_protocol_plan_shows_the_schedule_caps_and_limits(page):
    assert page.is_hidden("#age") and page.is_hidden("#cycles")  # a dose by itself needs neither
    page.check("#mode-protocol")
    assert page.is_visible("#age") and page.is_visible("#creatinine") and page.is_visible("#prior")
    _enter_protocol(page, weight="70 kg", cycles="6", prior="doxorubicin=150mg/m2")
    assert page.wait_for_selector("#answer").text_content() == "R-CHOP-21"
    # BSA by Mosteller (1987): 1.845 m²; vincristine 1.4 mg/m² × 1.845 m² = 2.58 mg, capped at 2 mg (R-CHOP-21)
    vincristine = page.locator("#result table").first.locator("tr", has_text="vincristine")
    assert _text(vincristine.locator("td").nth(1).text_content()).startswith("2 mg")
    assert vincristine.locator("td small").text_content() == "capped"
    steps = _text(page.locator("#steps section", has_text="vincristine").text_content())
    assert "max dose" in steps and "2.583 mg" in steps
    # doxorubicin: 150 + 6 × 50 = 450 mg/m² of the 550 mg/m² lifetime limit
    cumulative = _text(
        page.locator("#result table", has_text="Cumulative after 6 cycles")
        .locator("tr", has_text="doxorubicin")
        .text_content()
    )
    assert "450 mg/m²" in cumulative and "550 mg/m²" in cumulative
    assert page.query_selector("#attention") is None  # 450 of 550 mg/m²: not reached
    assert DISCLAIMER in page.text_content("#result")
    assert _fits(page)


def test_an_ordered_dose_is_verified(page):
    page.fill("#ordered", "138 mg")
    _enter_dose(page)
    assert page.wait_for_selector("#answer").text_content() == "Every order verified"
    row = _text(page.locator("#result table").first.locator("tr", has_text="138 mg").locator("td").all_text_contents())
    # computed 75 mg/m² × 1.84466 m² = 138.35 mg; (138 − 138.35) / 138.35 = −0.2527 %, within ±5 %
    assert row == ["138 mg", "138.3 mg", "within tolerance-0.2527 %"]
    assert "tolerance pct: 5 %" in page.text_content("#result")


def test_protocol_orders_outside_the_tolerance_are_flagged(page):
    _enter_protocol(page, ordered_list="doxorubicin=120mg\nvincristine=2mg")
    assert page.wait_for_selector("#answer").text_content() == "1 to look at"
    table = page.locator("#result table").first
    # doxorubicin 50 mg/m² × sqrt(175 × 80 / 3600) m² = 98.60 mg; 120 mg is +21.7 %
    assert _text(table.locator("tr", has_text="doxorubicin").locator("td").all_text_contents()) == [
        "120mg",
        "98.6 mg",
        "too high+21.7 %",
    ]
    assert (
        _text(table.locator("tr", has_text="vincristine").locator("td").all_text_contents())[2] == "within tolerance0 %"
    )
    assert "doxorubicin: 98.6 mg" in _text(page.text_content("#steps"))
    # the command exits 4: a warning above the result says what to look at
    warning = page.text_content("#attention")
    assert warning.startswith("Needs attention") and "doxorubicin: too high" in warning
    assert _fits(page)


def test_settings_choose_the_formula_and_the_caps(page):
    # the API's default, sent as none: a formula beside a given BSA is refused, the default is not
    assert page.input_value("#method") == "" and page.text_content("#method option") == "Mosteller (the default)"
    page.select_option("#method", "dubois")
    page.fill("#max_dose", "2 mg")
    _enter_dose(page, dose="1.4 mg/m2")
    # Du Bois & Du Bois (1916): 0.007184 × 175^0.725 × 70^0.425 = 1.8481 m²; × 1.4 mg/m² = 2.587 mg, capped at 2 mg
    assert _text(page.wait_for_selector("#answer").text_content()) == "2 mg"
    result = _text(page.text_content("#result"))
    assert "Du Bois" in result and "1.848 m²" in result and "2.587 mg" in result


def test_a_setting_the_protocol_plan_does_not_take_is_hidden(page):
    assert page.is_visible("#bsa_cap") and page.is_visible("#round_to")
    page.check("#mode-protocol")
    assert page.is_hidden("#bsa_cap") and page.is_hidden("#max_dose") and page.is_hidden("#round_to")
    assert page.is_visible("#method") and page.is_visible("#bsa")


def test_bad_value_is_named_and_focused(page):
    _enter_dose(page, height="1.75 cm")
    error = page.wait_for_selector("#error")
    text = error.text_content()
    assert "height" in text and "20-280 cm" in text and "did you mean 1.75 m?" in text
    assert page.get_attribute("#height", "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "height"
    assert page.query_selector("#answer") is None


@pytest.mark.parametrize(
    ("typed", "escaped", "character"),
    [("\u3000175 cm", "\\u3000175 cm", "U+3000 (IDEOGRAPHIC SPACE)"), ("175 cm\t", "175 cm\\x09", "U+0009")],
)
def test_a_value_is_sent_as_typed_and_its_refusal_shown_escaped(page, typed, escaped, character):
    # the page trimmed "\u3000175 cm\t" to "175 cm", answered it, and showed "175 cm" as typed
    with page.expect_request("**/api/dose") as sent:
        _enter_dose(page, height=typed)
    assert json.loads(sent.value.post_data)["height"] == typed
    error = page.wait_for_selector("#error")
    text = error.text_content()
    assert f"height='{escaped}'" in text and character in text
    assert page.get_attribute("#height", "aria-invalid") == "true"
    assert page.query_selector("#answer") is None


def test_a_space_typed_before_a_value_is_sent_and_shown(page):
    # the grammar reads " 175 cm" (a space before the number); the typed column shows what was received
    with page.expect_request("**/api/dose") as sent:
        _enter_dose(page, height=" 175 cm")
    assert json.loads(sent.value.post_data)["height"] == " 175 cm"
    page.wait_for_selector("#answer")
    read = page.locator("#result table", has_text="Values read").locator("tr", has_text="height")
    typed = read.locator("td").first
    assert typed.text_content() == " 175 cm"
    assert typed.evaluate("cell => getComputedStyle(cell.firstChild).whiteSpace") == "pre-wrap"


def test_a_list_is_sent_a_line_each_as_typed(page):
    # a line of spaces is a value the server refuses, never a line the page drops; the empty line after the last
    # line break holds none
    with page.expect_request("**/api/plan") as sent:
        _enter_protocol(page, weight="70 kg", cycles="6", prior="doxorubicin=150mg/m2\n  \n")
    assert json.loads(sent.value.post_data)["prior"] == ["doxorubicin=150mg/m2", "  "]
    text = page.wait_for_selector("#error").text_content()
    assert "prior='  '" in text and "drug=amount" in text  # the field named, the value as typed
    assert page.query_selector("#answer") is None


def test_a_list_is_split_at_line_breaks_only(page):
    # \r\n is one line break (a textarea's value has \n only; text may come from elsewhere); a lone \r, a tab and a
    # space stay in their line, for the server to read or refuse
    lines = page.evaluate("lines('a=1mg\\r\\nb=2mg\\n\\n c=3mg\\r\\t\\n\\n')")
    assert lines == ["a=1mg", "b=2mg", " c=3mg\r\t"]
    assert page.evaluate("lines('')") == []


def test_an_empty_list_is_not_given(page):
    with page.expect_request("**/api/plan") as sent:
        _enter_protocol(page, weight="70 kg", cycles="6", prior="")
    assert "prior" not in json.loads(sent.value.post_data)
    assert page.wait_for_selector("#answer").text_content() == "R-CHOP-21"


def test_a_lifetime_limit_reached_is_a_warning_above_the_result(page):
    # dosecalc plan r-chop-21 --height 175cm --weight 70kg --prior doxorubicin=150mg/m2 prints REACHED and exits 4:
    # 150 mg/m² + 8 cycles × 50 mg/m² = 550 mg/m², the lifetime limit (standard), at cycle 8
    with page.expect_response("**/api/plan") as answered:
        _enter_protocol(page, weight="70 kg", prior="doxorubicin=150mg/m2")
    assert answered.value.headers["dosecalc-exit-code"] == "4"
    warning = page.wait_for_selector("#attention")
    assert warning.get_attribute("role") == "alert"
    assert page.text_content("#attention .attention-headline") == "Lifetime limit reached"
    assert _text(page.locator("#attention li").all_text_contents()) == [
        "doxorubicin: lifetime limit of 550 mg/m² (standard, adults) REACHED at cycle 8, within this plan"
    ]
    # above the result: the first thing after its heading, before the schedule's headline
    assert page.evaluate("document.querySelector('#result h2').nextElementSibling.id") == "attention"
    assert page.evaluate(
        "Boolean(document.getElementById('attention').compareDocumentPosition(document.getElementById('headline'))"
        " & Node.DOCUMENT_POSITION_FOLLOWING)"
    )
    assert _fits(page)


def test_typed_markup_is_shown_as_text(page):
    _enter_dose(page, dose="<img src=x onerror=alert(1)>")
    error = page.wait_for_selector("#error")
    assert "<img src=x onerror=alert(1)>" in error.text_content()
    assert page.query_selector("#result img") is None


def test_keyboard_only(page):
    # Tab from the top reaches the fields in reading order; typing and Enter calculate
    page.focus("body")
    order = []
    for _ in range(5):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.name"))
    assert order == ["mode", "dose", "height", "weight", "sex"]
    for _ in range(3):
        page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "dose"
    page.keyboard.type("75 mg/m2")
    page.keyboard.press("Tab")
    page.keyboard.type("175 cm")
    page.keyboard.press("Tab")
    page.keyboard.type("70 kg")
    page.keyboard.press("Enter")
    assert _text(page.wait_for_selector("#answer").text_content()) == "138.3 mg"
    # the answer takes the focus, so a screen reader reads it next
    assert page.evaluate("document.activeElement.id") == "result"


def test_keyboard_switches_to_a_protocol(page):
    page.focus("input[name=mode][value=dose]")
    page.keyboard.press("ArrowRight")  # a radio group: one Tab stop, arrows choose
    assert page.is_checked("#mode-protocol")
    assert page.is_hidden("#dose") and page.is_visible("#protocol")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "protocol"


def test_screenshot(page, tmp_path):
    # the README's picture: a protocol's orders verified, on a laptop's width
    page.set_viewport_size({"width": 900, "height": 1000})
    _enter_protocol(page, ordered_list="doxorubicin=120mg\nvincristine=2mg")
    page.wait_for_selector("#answer")
    assert _fits(page)
    target = os.environ.get("DOSECALC_SCREENSHOT") or str(tmp_path / "web-page.png")
    page.screenshot(path=target, full_page=True)
    with open(target, "rb") as picture:
        assert picture.read(8) == b"\x89PNG\r\n\x1a\n"


def test_api_description_page(page, server):
    page.goto(server + "/docs")
    page.wait_for_selector("main[data-ready=true]")
    headings = page.locator("h2").all_text_contents()
    assert "POST /api/dose" in headings and "POST /api/carboplatin" in headings
    assert page.locator("#api-dose code", has_text="max_dose").count() == 1
    assert _fits(page)
