"""The workbench by keyboard alone, in Debian's Chromium against the real app, chain and queue.

For the sign-in form, one form of each role and the market authority's new screens: Tab
(from the top of the page) reaches every field of the form and its button in order, each
with a visible focus outline; the fields are filled from the keyboard (typing, arrow keys in
lists, Space on a file field opens the file chooser); Enter or Space sends the form. A form
sent with a mistake comes back with the focus on the first wrong field, its error tied to it
(``aria-describedby``) or announced (``role=alert``). The authority's screens are checked
with axe-core at a phone's width and at a desk's, and photographed."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from ledger.demo.market import GREENS_GTIN
from tests.support.axe import axe_violations
from tests.workbench.conftest import PASSWORD, Bench
from tests.workbench.test_browser import ARTIFACTS, DESK, PHONE

#: What the focused element is, and whether its focus shows (an outline of 2 px or more).
_FOCUSED = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  return {
    tag: e.tagName.toLowerCase(), name: e.getAttribute('name'), type: e.getAttribute('type'),
    form: e.form ? e.form.getAttribute('action') : null, label: (e.innerText || '').trim().slice(0, 80),
    visible: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2, outline: s.outline,
  };
}"""
#: The controls of the form posting to `action` a person can reach: not hidden, not disabled.
_CONTROLS = """(action) => {
  const form = [...document.forms].find(f => f.getAttribute('action') === action);
  return [...form.elements]
    .filter(e => e.type !== 'hidden' && !e.disabled && e.offsetParent !== null)
    .filter(e => !['fieldset', 'object', 'output'].includes(e.tagName.toLowerCase()))
    .map(e => ({tag: e.tagName.toLowerCase(), name: e.getAttribute('name'), type: e.getAttribute('type')}));
}"""
_ERROR_OF_FOCUSED = """() => {
  const e = document.activeElement;
  const ids = (e.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
  const errors = ids.map(id => document.getElementById(id)).filter(x => x && x.classList.contains('error'));
  return {name: e.getAttribute('name'), invalid: e.getAttribute('aria-invalid'),
          error: errors.map(x => x.innerText.trim()).join(' ')};
}"""


class Keyboard:
    """One person's browser, driven by keys only (but for reading what the page shows)."""

    def __init__(self, browser: Browser, bench: Bench, viewport: dict = PHONE) -> None:
        self.bench = bench
        # en-US: a date field takes its digits month first. bypass_csp: axe-core is injected.
        self.context: BrowserContext = browser.new_context(viewport=viewport, locale="en-US", bypass_csp=True)
        self.page: Page = self.context.new_page()

    def open(self, path: str) -> None:
        self.page.goto(self.bench.base + path)

    def send(
        self, action: str, values: dict[str, str], *, submit_key: str = "Space", files: dict[str, dict] | None = None
    ) -> None:
        """Tab from the top of the page through the form posting to `action`: every control
        must be reached, in order, with its focus visible; type each of `values` into its
        field when it is reached, then press `submit_key` on the form's button (or "Enter"
        in its last field when `submit_key` is "Enter in field")."""
        page = self.page
        expected = page.evaluate(_CONTROLS, action)
        page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
        reached: list[dict] = []
        for _ in range(200):
            page.keyboard.press("Tab")
            focused = page.evaluate(_FOCUSED)
            assert focused["tag"] != "body", ("Tab left the page before the form's button", action, reached)
            assert focused["visible"], ("focus not visible", focused)
            if focused["form"] != action:
                continue
            control = {k: focused[k] for k in ("tag", "name", "type")}
            if reached and reached[-1] == control:
                continue  # a date field's parts (month, day, year, its calendar button)
            reached.append(control)
            name = focused["name"]
            if focused["tag"] == "button" or focused["type"] == "submit":
                break
            if name in (files or {}):
                self._choose_file(files[name])
            elif name in values:
                self._enter(focused["tag"], values[name])
                if submit_key == "Enter in field" and name == list(values)[-1]:
                    self._reached_all(expected, reached, stop_at_field=True)
                    with page.expect_navigation():
                        page.keyboard.press("Enter")
                    return
        self._reached_all(expected, reached)
        with page.expect_navigation():  # every form of the workbench answers with a page
            page.keyboard.press(submit_key)

    def _choose_file(self, upload: dict) -> None:
        """Open the focused file field's chooser from the keyboard and pick `upload`. Space
        activates a file field, as Enter does; a loaded headless Chromium has let one press
        pass without a chooser, so another is tried before calling the field unusable."""
        for key in ("Space", "Enter", "Space"):
            try:
                with self.page.expect_file_chooser(timeout=10_000) as chooser:
                    self.page.keyboard.press(key)
            except PlaywrightTimeout:
                continue
            chooser.value.set_files(files=[upload])
            return
        raise AssertionError("no file chooser opened from the keyboard")

    @staticmethod
    def _reached_all(expected: list[dict], reached: list[dict], stop_at_field: bool = False) -> None:
        if stop_at_field:
            assert reached == expected[: len(reached)], (expected, reached)
        else:
            assert reached == expected, ("Tab order", expected, reached)

    def _enter(self, tag: str, value: str) -> None:
        page = self.page
        if tag == "select":
            for key in ["Home"] + ["ArrowDown"] * 60:
                page.keyboard.press(key)
                if page.evaluate("() => document.activeElement.value") == value:
                    return
            raise AssertionError(f"no option {value!r} reached with the arrow keys")
        page.keyboard.press("ControlOrMeta+A")
        page.keyboard.press("Delete")
        if value:
            page.keyboard.type(value)

    def focused_error(self) -> dict:
        """The focused field's name, aria-invalid and the error text tied to it, once the page
        that answered the form has focused an invalid field (on a loaded machine the answer
        can still be on its way when the submit key returns)."""
        self.page.wait_for_function(
            "() => document.activeElement && document.activeElement.getAttribute('aria-invalid') === 'true'"
        )
        return self.page.evaluate(_ERROR_OF_FOCUSED)

    def sign_in(self, name: str) -> None:
        self.open("/workbench/sign-in")
        code = self.bench.code_for(name)
        values = {"username": self.bench.usernames[name], "password": PASSWORD}
        self.send("/workbench/sign-in", {**values, "code": code} if code else values)
        self.page.wait_for_url(f"{self.bench.base}/workbench")

    def check(self, shot: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
        violations = axe_violations(self.page)
        assert violations == [], (shot, json.dumps(violations, indent=1))
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= self.page.viewport_size["width"], (shot, "scrolls sideways", width)

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def lot(bench: Bench) -> str:
    """A harvest of the farm (through the API), shipped to the stall: the lab can test it,
    the stall can accept it."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).replace(hour=0, minute=0, second=0)
    with httpx.Client(base_url=bench.base, timeout=90) as api:
        farm = {"Authorization": f"Bearer {bench.keys['farm']}"}
        body = {
            "gtin": GREENS_GTIN,
            "lot": "KB-1",
            "quantity": 40,
            "harvested_at": int(today.timestamp()) - 3600,
            "origin": "geo:30.27,120.15",
        }
        made = api.post("/harvests", json=body, headers=farm)
        assert made.status_code == 201, made.text
        batch_id = made.json()["batch_ids"][0]
        shipped = api.post(f"/batches/{batch_id}/handoff", json={"to": bench.addresses["vendor"]}, headers=farm)
        assert shipped.status_code == 200, shipped.text
    bench.sync()
    return batch_id


def test_sign_in_by_keyboard_and_its_refusal_is_announced(browser: Browser, bench: Bench) -> None:
    person = Keyboard(browser, bench)
    person.open("/workbench/sign-in")
    person.send("/workbench/sign-in", {"username": "farm.one", "password": "not the password"}, submit_key="Enter")
    alert = person.page.get_by_role("alert")
    assert alert.inner_text() == "The username or password is wrong."
    person.sign_in("farm")
    assert person.page.get_by_role("heading", name="Workbench").is_visible()
    person.close()


def test_supplier_registers_a_harvest_by_keyboard_after_a_mistake(browser: Browser, bench: Bench) -> None:
    person = Keyboard(browser, bench)
    person.sign_in("farm")
    person.open("/workbench/supplier/harvest")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    values = {
        "gtin": GREENS_GTIN,
        "lot": "BAD LOT!",
        "quantity": "25",
        "unit": "KGM",
        "harvested_on": today.strftime("%m%d%Y"),
        "place": "30.2741,120.1551",
    }
    person.send("/workbench/supplier/harvest", values)
    wrong = person.focused_error()
    assert wrong == {"name": "lot", "invalid": "true", "error": "Use letters, digits and '-' (at most 20)."}
    person.page.keyboard.press("ControlOrMeta+A")
    person.page.keyboard.type("KB-2")
    person.page.keyboard.press("Enter")
    person.page.wait_for_url("**/workbench/intents/*")
    person.page.get_by_text("Recorded on the ledger in block").wait_for(timeout=60_000)
    person.close()


def test_customs_sends_a_declaration_file_by_keyboard(browser: Browser, bench: Bench) -> None:
    person = Keyboard(browser, bench)
    person.sign_in("customs")
    person.open("/workbench/customs")
    declaration = (
        "declaration_number,entry_port,cleared_at,importer,line,gtin,lot,quantity,unit,origin_country,hs_code,document\n"
        f"310120261000777001,CNNGB,2026-11-24T09:30:00+08:00,{bench.addresses['wholesaler']},1,08850000000010,"
        "KB-DUR,300,KGM,TH,0810600000,\n"
    )
    upload = {"name": "declaration.csv", "mimeType": "text/csv", "buffer": declaration.encode()}
    person.send("/workbench/customs/declarations", {}, files={"file": upload}, submit_key="Enter")
    person.page.get_by_text("1 lines recorded on the ledger").wait_for(timeout=60_000)
    person.close()


def test_lab_records_a_test_by_keyboard(browser: Browser, bench: Bench, lot: str) -> None:
    person = Keyboard(browser, bench)
    person.sign_in("lab")
    action = f"/workbench/lab/lots/{lot}/test"
    person.open(action)
    person.send(action, {"measured_0": "1"})
    person.page.wait_for_url("**/workbench/intents/*")
    person.page.get_by_text("Recorded on the ledger in block").wait_for(timeout=60_000)
    person.close()


def test_vendor_accepts_a_shipment_with_the_space_bar(browser: Browser, bench: Bench, lot: str) -> None:
    person = Keyboard(browser, bench)
    person.sign_in("vendor")
    person.send(f"/workbench/shipments/{lot}/accept", {})
    person.page.wait_for_url("**/workbench/intents/*")
    person.page.get_by_text("Recorded on the ledger in block").wait_for(timeout=60_000)
    person.close()


def test_regulator_traces_a_lot_by_keyboard(browser: Browser, bench: Bench, lot: str) -> None:
    person = Keyboard(browser, bench)
    person.sign_in("regulator")
    person.open("/workbench/regulator")
    person.send("/workbench/regulator/trace", {"lot": "KB-1"}, submit_key="Enter")
    person.page.wait_for_url("**/workbench/regulator/**")
    assert "KB-1" in person.page.locator("main").inner_text()
    person.close()


def test_authority_screens_by_keyboard_with_axe_at_both_widths(browser: Browser, bench: Bench) -> None:
    desk = Keyboard(browser, bench, viewport=DESK)
    desk.sign_in("authority")
    # a person account: the participant list by arrow keys, the second factor's box by Space
    desk.open("/workbench/authority")
    desk.check("authority-participants")
    person = {
        "participant": bench.addresses["regulator"],
        "username": "regulator.two",
        "display_name": "Second inspector",
        "password": "a long enough secret",
        "language": "zh",
    }
    desk.send("/workbench/authority/people", person)
    desk.page.get_by_text("Account regulator.two created.").wait_for()

    # an API key: a mistake (no label) first, then the key shown once
    keys = f"/workbench/authority/participants/{bench.addresses['lab']}/keys"
    desk.open(keys)
    desk.send(keys, {"label": " "}, submit_key="Enter in field")
    assert desk.focused_error() == {"name": "label", "invalid": "true", "error": "Fill this in."}
    desk.page.keyboard.type("the lab's LIMS")
    desk.page.keyboard.press("Enter")
    desk.page.get_by_text("issued for Market Lab").wait_for()
    desk.page.keyboard.press("Tab")  # the key's box is reachable, to select and copy
    desk.check("authority-key-issued")
    secret = desk.page.get_by_label("The key (shown this once: copy it now)").input_value()
    assert secret.startswith("fl_")
    desk.open(keys)
    assert secret not in desk.page.content()
    desk.check("authority-keys")
    key_id = secret.split("_")[1]
    desk.send(f"{keys}/{key_id}/revoke", {}, submit_key="Enter")
    desk.page.get_by_text(f"Key {key_id} revoked").wait_for()

    # the catalog: a wrong check digit, then the right one
    catalog = "/workbench/authority/catalog"
    desk.open(catalog)
    product = {"gtin": "06901234000122", "name": "Pak choi", "name_en": "Pak choi", "name_zh": "青梗菜"}
    desk.send(catalog, {**product, "gtin": "06901234000121"})
    wrong = desk.focused_error()
    assert wrong["name"] == "gtin" and wrong["error"].startswith("Not a GTIN")
    desk.check("authority-catalog-error")
    desk.page.keyboard.press("ControlOrMeta+A")
    desk.page.keyboard.type("06901234000122")
    desk.page.keyboard.press("Enter")
    desk.page.get_by_text("Pak choi (06901234000122) saved.").wait_for()
    desk.check("authority-catalog")

    # the floor plan: a plan with problems, every one beside the field, then a good one
    floor = "/workbench/authority/floor-plan"
    desk.open(floor)
    bad = {"width": 40, "height": 24, "stalls": [], "entrances": [{"label": "Gate", "x": 5, "y": 5}]}
    desk.send(floor, {"plan": json.dumps(bad)})
    wrong = desk.focused_error()
    assert (
        wrong["name"] == "plan" and wrong["invalid"] == "true" and "problems: nothing was published" in wrong["error"]
    )
    desk.check("authority-floor-plan-problems")
    good = {
        "width": 40,
        "height": 24,
        "stalls": [{"stall": bench.addresses["vendor"], "x": 2, "y": 2, "w": 6, "h": 4}],
        "empty": [{"label": "A13", "x": 10, "y": 2, "w": 6, "h": 4}, {"label": "B01", "x": 2, "y": 12, "w": 6, "h": 4}],
        "entrances": [{"label": "North gate", "x": 20, "y": 0}],
        "lab": {"x": 32, "y": 16, "w": 6, "h": 6},
    }
    desk.open(floor)
    desk.send(floor, {"plan": json.dumps(good)})
    desk.page.get_by_text("Floor plan published on the ledger in block").wait_for(timeout=60_000)
    bench.sync()
    desk.open(floor)
    desk.check("authority-floor-plan")
    desk.close()

    phone = Keyboard(browser, bench, viewport=PHONE)
    phone.sign_in("authority")
    for path, shot in (
        ("/workbench/authority", "authority-participants-phone"),
        (keys, "authority-keys-phone"),
        (catalog + "?lang=ko", "authority-catalog-ko-phone"),
        (floor + "?lang=zh", "authority-floor-plan-zh-phone"),
    ):
        phone.open(path)
        phone.check(shot)
    phone.close()
