"""The web console in a real headless Chromium (Debian's ``chromium``, driven by Playwright
through its executable path): log in through the IdP's page, drill the dashboard down to a
block, approve a pending member from My Task, raise and resolve a ticket, and see a request's
timeline. Every page is screenshotted and checked with axe-core (WCAG 2 A/AA)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import DEMO_PASSWORD, DEMO_USER, Api
from tests.e2e.helpdesk.helpdesk_helpers import PW, Desk, h, make_desk
from tests.e2e.profiles.profile_helpers import Block, make_block, member_body, new_shg, submit
from tests.e2e.test_thin_flow import wait_for

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.getbasetemp() / "console-screenshots"
    folder.mkdir(exist_ok=True)
    print(f"\nconsole screenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def world(api: Api) -> dict[str, Any]:
    """A block with a Block Program Manager, an SHG, a member waiting for her, and the help desk."""
    blk: Block = make_block(api)
    shg = new_shg(api.http, blk.admin, blk)
    r = api.http.post("/v1/members", json=member_body(str(shg["id"]), 2), headers=h(blk.admin))
    assert r.status_code == 201, r.text
    member = r.json()
    s = submit(api.http, blk.admin, "member", member)
    assert s.status_code == 201, s.text
    return {
        "blk": blk,
        "submission": s.json()["id"],
        "member_request": r.headers["x-request-id"],
        "desk": make_desk(api),
    }


def check_accessibility(page: Page) -> None:
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']}))"
        ".violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    assert violations == [], json.dumps(violations, indent=1)


def snap(page: Page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    check_accessibility(page)


def sign_in(browser: Browser, api: Api, entry: str, user: str, password: str) -> Page:
    # bypass_csp: only so that the test can inject axe-core (the last test runs without it).
    context = browser.new_context(bypass_csp=True, viewport={"width": 412, "height": 915})
    page = context.new_page()
    page.goto(f"{api.platform.gateway_url}/console/")
    page.click(f"#signin-{entry}")
    page.wait_for_selector("#kc-login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#kc-login")
    page.wait_for_selector("#nav a")
    return page


def test_dashboard_drills_down_to_a_block(
    browser: Browser, api: Api, world: dict[str, Any], shots: Path
) -> None:
    """State → district → block → the block's SHGs, a page at a time: each panel shows what
    the reports API gives, and the downloads are the reports API's files, in Hindi too."""
    blk: Block = world["blk"]
    # Ten more SHGs (no members, no bank account): the list has a second page of ten.
    for n in range(10):
        new_shg(api.http, blk.admin, blk, f"Sakhi SHG {n:02}")

    def block_panels() -> dict[str, int]:
        r = api.get("/v1/reports/dashboard", block_lgd_code=blk.block)
        assert r.status_code == 200, r.text
        return dict(r.json()["panels"])

    assert wait_for(
        lambda: (block_panels()["shgs_formed"], block_panels()["members"]) == (11, 1), 90
    )
    want = block_panels()
    shg_ids = {
        s["shg_id"] for s in api.get("/v1/reports/shgs", block_lgd_code=blk.block).json()["shgs"]
    }
    assert len(shg_ids) == 11

    page = sign_in(browser, api, "state", DEMO_USER, DEMO_PASSWORD)
    expect(page.locator("#shgs-formed")).to_be_visible()
    snap(page, shots, "dashboard-state")
    page.click(f'a[data-code="{blk.district}"]')
    row = page.locator(f'#drill tr[data-code="{blk.block}"]')
    expect(row.locator("td").nth(1)).to_have_text("11")
    expect(page.locator("#p-chart + figure svg rect.bar")).to_have_count(1)
    snap(page, shots, "dashboard-district")

    page.click(f'a[data-code="{blk.block}"]')
    expect(page.locator("#p-shgs")).to_be_visible()
    # One number of each panel: SHGs information, bank status, transaction status.
    expect(page.locator("#shgs-formed")).to_have_text(str(want["shgs_formed"]))
    expect(page.locator("#f-obc-members")).to_have_text(str(want["obc_members"]))
    expect(page.locator("#f-without-bank-account")).to_have_text(str(want["without_bank_account"]))
    expect(page.locator("#f-without-transactions")).to_have_text(str(want["without_transactions"]))
    expect(page.locator("#f-compulsory-savings")).to_have_text("₹ 0")
    expect(page.locator("#shgs tbody tr")).to_have_count(11)
    snap(page, shots, "dashboard-block")

    page.select_option("#page-size", "10")
    expect(page.locator("#shg-range")).to_have_text("SHGs 1–10")
    first = set(page.locator("#shgs tbody tr").evaluate_all("rs => rs.map(r => r.dataset.shg)"))
    page.click("#page-next")
    expect(page.locator("#shg-range")).to_have_text("SHGs 11–11")
    last = set(page.locator("#shgs tbody tr").evaluate_all("rs => rs.map(r => r.dataset.shg)"))
    assert len(first) == 10 and first | last == shg_ids
    expect(page.locator("#page-next")).to_have_count(0)
    snap(page, shots, "dashboard-block-page-2")
    page.set_viewport_size({"width": 1280, "height": 800})
    snap(page, shots, "dashboard-block-wide")
    page.set_viewport_size({"width": 412, "height": 915})

    with page.expect_download() as download:
        page.click("#dl-shgs-csv")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
    assert rows[0][:3] == ["SHG ID", "SHG Code", "SHG Name"]
    assert {r[0] for r in rows[1:]} == shg_ids
    with page.expect_download() as download:
        page.click("#dl-dashboard-xlsx")
    assert download.value.suggested_filename == f"dashboard-{blk.block}.xlsx"
    sheet = zipfile.ZipFile(download.value.path()).read("xl/worksheets/sheet1.xml").decode()
    assert '<t xml:space="preserve">SHG Formed</t></is></c><c><v>11</v></c>' in sheet, sheet

    page.click("#lang")
    expect(page.locator("#p-shgs")).to_have_text("प्रखंड के एसएचजी")
    expect(page.locator("#p-bank")).to_have_text("एसएचजी बैंक स्थिति")
    with page.expect_download() as download:
        page.click("#dl-shgs-csv")
    header = Path(download.value.path()).read_text("utf-8-sig").splitlines()[0]
    assert header.startswith("एसएचजी आईडी,एसएचजी कोड,एसएचजी का नाम")
    snap(page, shots, "dashboard-block-hindi")
    page.context.close()


def test_a_block_program_manager_approves_a_member_from_my_task(
    browser: Browser, api: Api, world: dict[str, Any], shots: Path
) -> None:
    blk: Block = world["blk"]
    page = sign_in(browser, api, "state", blk.bpm_id, PW)
    page.goto(f"{api.platform.gateway_url}/console/#/mytask")
    row = page.locator(f'tr[data-submission="{world["submission"]}"]')
    expect(row).to_be_visible()
    snap(page, shots, "mytask")
    row.locator("input.verified").check()
    row.locator("button.approve").click()
    expect(row.locator('[role="status"]')).to_have_text("Approved")
    snap(page, shots, "mytask-approved")
    r = api.http.get(f"/v1/submissions/{world['submission']}", headers=h(blk.bpm))
    assert r.json()["status"] == "approved", r.text
    page.context.close()


def test_the_help_desk_raises_and_resolves_a_ticket_and_sees_a_timeline(
    browser: Browser, api: Api, world: dict[str, Any], shots: Path
) -> None:
    desk: Desk = world["desk"]
    page = sign_in(browser, api, "national", desk.agent_id, PW)
    page.goto(f"{api.platform.gateway_url}/console/#/tickets")
    title = f"Member not approved {uuid.uuid4().hex[:6]}"
    page.fill("#t-title", title)
    page.select_option("#t-category", "profile")
    page.fill("#t-request", world["member_request"])
    snap(page, shots, "tickets")
    with page.expect_download() as download:
        page.click("#report")
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert report.startswith("state,category,status,age_band,tickets,breached,")
    page.click("#raise button[type=submit]")
    expect(page.locator("#ticket-status")).to_have_text("open")
    page.click("#act-assign")
    expect(page.locator("#ticket-status")).to_have_text("assigned")
    page.fill("#action-text", "Approved by the BPM today")
    page.click("#act-resolve")
    expect(page.locator("#ticket-status")).to_have_text("resolved")
    expect(page.locator("#history li")).to_have_count(3)
    snap(page, shots, "ticket-resolved")

    page.click(f'a[href="#/search?request_id={world["member_request"]}"]')
    expect(page.locator("#trace")).to_be_visible(timeout=30_000)
    assert page.locator("#trace .lane").count() > 3
    expect(page.locator("#trace")).to_contain_text("gateway")
    snap(page, shots, "request-timeline")
    page.context.close()


def test_the_console_works_under_its_own_content_security_policy(
    browser: Browser, api: Api, world: dict[str, Any]
) -> None:
    """No CSP bypass here: the IdP's page, the redirect back, the token call to the IdP and the
    timeline's bars (placed through the CSSOM) all pass the pages' own policies."""
    refused: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page = context.new_page()
    page.goto(f"{api.platform.gateway_url}/console/#/search?request_id={world['member_request']}")
    page.click("#signin-national")
    page.fill("#username", world["desk"].agent_id)
    page.fill("#password", PW)
    page.click("#kc-login")
    # Back on the page asked for before the login, with the request's timeline.
    expect(page.locator("#trace .lane").first).to_be_visible(timeout=30_000)
    width = page.locator("#trace .bar").first.evaluate("b => b.style.width")
    assert width.endswith("%")
    assert refused == []
    context.close()
