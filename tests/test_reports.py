"""HTML reports for graded and failed submissions, parsed and loaded in headless Chromium
(no console errors, no network requests, nothing injected), and the exports validated
against their formats. Screenshots go to test-artifacts/ to be looked at."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from bs4 import BeautifulSoup
from junitparser import JUnitXml
from markdown_it import MarkdownIt

from tests.conftest import EXAMPLES, ROOT, cli, tiny_batch

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
ARTIFACTS = ROOT / "test-artifacts"
XSS_NAME = "x<b>bold<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def graded(tmp_path_factory, data_path):
    folder = tmp_path_factory.mktemp("class")
    for name in ("good_cnn.py", "keras1_cheatsheet.py"):
        shutil.copy(EXAMPLES / name, folder / name)
    xss = (HERE / "reports" / "xss.py").read_text() + (EXAMPLES / "good_cnn.py").read_text()
    (folder / f"{XSS_NAME}.py").write_text(xss)
    summary = tmp_path_factory.mktemp("summary") / "step_summary.md"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary)}
    junit = tmp_path_factory.mktemp("junit") / "junit.xml"
    out, spec, done = tiny_batch(  # strict: keras1_cheatsheet fails, as a failed report
        tmp_path_factory, data_path, [folder], "--junit", str(junit), env=env, mode="strict"
    )
    shutil.move(summary, out / "step_summary.md")
    shutil.move(junit, out / "junit.xml")
    gradescope = out / "results.json"
    single = cli(
        "check",
        str(folder / "keras1_cheatsheet.py"),
        "--out",
        str(out / "gs"),
        "--data",
        data_path,
        "--assignment",
        str(spec),
        "--gradescope",
        str(gradescope),
    )
    assert single.returncode == 1
    return out, done


def _pages(out: Path) -> dict[str, Path]:
    return {
        "index": out / "index.html",
        "graded": out / "good_cnn" / "report.html",
        "failed": out / "keras1_cheatsheet" / "report.html",
        "injection": out / XSS_NAME / "report.html",
    }


def test_pages_exist_and_parse(graded):
    out, _ = graded
    for kind, page in _pages(out).items():
        soup = BeautifulSoup(page.read_text(), "html.parser")
        assert soup.title and soup.title.string, kind
        assert not soup.find_all(["link", "iframe"]), kind  # self-contained: no fetched files
        for tag in soup.find_all(src=True):
            assert tag["src"].startswith("data:"), (kind, tag)
    failed = BeautifulSoup(_pages(out)["failed"].read_text(), "html.parser")
    assert "`padding`" in failed.get_text() and "border_mode" in failed.get_text()
    graded_page = BeautifulSoup(_pages(out)["graded"].read_text(), "html.parser")
    assert graded_page.find("svg") is not None  # curves and confusion matrix
    assert "confusion matrix" in graded_page.get_text()
    result = json.loads((out / "good_cnn" / "result.json").read_text())
    threshold = f"full points from {result['calibration']['threshold']:.3f}"
    assert threshold in graded_page.get_text()
    assert result["calibration"]["file"] in graded_page.get_text()


def test_no_per_image_labels_in_a_students_report(graded):
    out, _ = graded
    text = _pages(out)["graded"].read_text()
    result = json.loads((out / "good_cnn" / "result.json").read_text())
    assert "predictions" not in result and "labels" not in result
    assert text.count("<tr>") < 60  # summaries only: no row per test image


def test_injection_changes_neither_title_nor_dom(graded):
    out, _ = graded
    soup = BeautifulSoup(_pages(out)["injection"].read_text(), "html.parser")
    assert soup.title.string.startswith(XSS_NAME + ":")
    assert soup.find_all("script") == [] and soup.find_all("img") == []
    assert soup.find("h1").get_text() == XSS_NAME
    assert "<script>document.title" in soup.find("pre").get_text()  # shown, as text
    index = BeautifulSoup(_pages(out)["index"].read_text(), "html.parser")
    assert len(index.find_all("script")) == 1 and index.find_all("img") == []


def _browser():
    missing = [name for name in ("chromium", "chromedriver") if not shutil.which(name)]
    if missing and not os.environ.get("CI"):  # CI installs them: there it must run
        pytest.skip(f"not installed: {', '.join(missing)} (./setup.sh installs them as root)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1000,1400",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def test_pages_load_in_chromium_offline_and_clean(graded):
    out, _ = graded
    ARTIFACTS.mkdir(exist_ok=True)
    driver = _browser()
    try:
        for kind, page in _pages(out).items():
            driver.get(page.as_uri())
            assert "pwned" not in driver.title
            errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            assert errors == [], (kind, errors)
            requests = []
            for entry in driver.get_log("performance"):
                message = json.loads(entry["message"])["message"]
                if message["method"] == "Network.requestWillBeSent":
                    url = message["params"]["request"]["url"]
                    if not url.startswith(("file:", "data:")):
                        requests.append(url)
            assert requests == [], (kind, requests)
            height = driver.execute_script("return document.body.scrollHeight")
            driver.set_window_size(1000, min(max(height, 800), 6000))
            driver.save_screenshot(str(ARTIFACTS / f"report-{kind}.png"))
        driver.get(_pages(out)["injection"].as_uri())
        assert driver.title.startswith(XSS_NAME)
        assert driver.execute_script("return document.scripts.length") == 0
        driver.set_window_size(390, 844)  # a phone
        driver.get(_pages(out)["graded"].as_uri())
        wide = driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1"
        )
        assert wide, "the report must fit a phone's width"
        driver.save_screenshot(str(ARTIFACTS / "report-graded-phone.png"))
    finally:
        driver.quit()


def test_gradescope_file_validates_against_the_schema(graded):
    out, _ = graded
    doc = json.loads((out / "results.json").read_text())
    schema = json.loads((HERE / "schemas" / "gradescope_results.json").read_text())
    jsonschema.validate(doc, schema)
    assert doc["score"] == 0 and doc["tests"][0]["name"] == "runs"
    assert doc["tests"][0]["status"] == "failed" and "`padding`" in doc["output"]
    assert sum(t["max_score"] for t in doc["tests"]) == 100


def test_junit_file_parses_with_a_junit_reader(graded):
    out, _ = graded
    xml = JUnitXml.fromfile(str(out / "junit.xml"))
    suites = {suite.name: suite for suite in xml}
    assert set(suites) == {"good_cnn", "keras1_cheatsheet", XSS_NAME}
    broken = suites["keras1_cheatsheet"]
    assert broken.tests == 11 and broken.failures == 11
    assert {case.name for case in broken} >= {"runs", "convolutions (required)", "accuracy"}


def test_step_summary_is_markdown_with_the_score(graded):
    out, _ = graded
    text = (out / "step_summary.md").read_text()
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    result = json.loads((out / "good_cnn" / "result.json").read_text())
    assert f"good_cnn: {result['score']:g} / 100" in " ".join(headings)
    assert any(t.type == "table_open" for t in tokens)


def test_progress_shows_a_bar_on_a_terminal_and_stays_quiet_otherwise(graded, data_path):
    out, done = graded
    assert "\x1b[" not in done.stdout and "good_cnn" in done.stdout  # not a terminal
    command = (
        f"{sys.executable} -m grader grade {EXAMPLES / 'good_cnn.py'} --out {out / 'tty'} "
        f"--data {data_path} --assignment {out / 'none'}"
    )
    shown = subprocess.run(
        ["script", "-qec", command.replace(f"--assignment {out / 'none'}", ""), "/dev/null"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert "good_cnn" in shown.stdout and "grading" in shown.stdout


def _autograde(tmp_path: Path, data_path: str, files: dict[str, str]) -> dict:
    bundle = tmp_path / "autograder.zip"
    assert cli("gradescope-bundle", "--output", str(bundle)).returncode == 0
    source = tmp_path / "source"
    shutil.unpack_archive(bundle, source)
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    env = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "GRADER_COMMAND": str(Path(sys.executable).parent / "grader"),  # activated or not
        "GRADER_EXTRA_ARGS": f"--data {data_path}",
    }
    done = subprocess.run(
        ["bash", str(source / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads((root / "results" / "results.json").read_text())
    schema = json.loads((HERE / "schemas" / "gradescope_results.json").read_text())
    jsonschema.validate(doc, schema)
    return doc


def test_gradescope_bundle_grades_a_submission(tmp_path, data_path):
    """Keras 1 code: graded through the translations, which cost the current_api test."""
    doc = _autograde(
        tmp_path, data_path, {"hw.py": (EXAMPLES / "keras1_cheatsheet.py").read_text()}
    )
    assert doc["extra_data"]["status"] == "graded" and doc["score"] > 0
    assert [t["name"] for t in doc["tests"]][:3] == ["runs", "current_api", "input"]
    current = doc["tests"][1]
    assert current["status"] == "failed" and "output_dim" in current["output"]
    assert doc["extra_data"]["calibration"].startswith("cifar10_cnn-")


def test_gradescope_bundle_without_a_notebook(tmp_path, data_path):
    doc = _autograde(tmp_path, data_path, {"essay.pdf": "%PDF"})
    assert doc["score"] == 0 and "holds no notebook" in doc["output"]


def test_what_the_class_got_wrong_counts_match_the_results_in_chromium(graded):
    """The overview's shared problems, read from the page Chromium renders, against the
    results on disk; problems.csv beside grades.csv says the same."""
    from selenium.webdriver.common.by import By

    from grader.reporting import insights, results

    out, _ = graded
    found = results.all_results(out)
    wanted = {(p.category, p.what): len(p.submissions) for p in insights.common_problems(found)}
    failures = [r.failure["kind"] for r in found if r.failure]  # keras1_cheatsheet, strict
    assert failures and wanted[("failure", failures[0])] == failures.count(failures[0])
    driver = _browser()
    try:
        driver.get(_pages(out)["index"].as_uri())
        rows = driver.find_elements(By.CSS_SELECTOR, "#problems tr")[1:]
        shown = {}
        for row in rows:
            problem, count, who, _ = row.find_elements(By.TAG_NAME, "td")
            category, what = problem.text.split(": ", 1)
            shown[(category, what)] = int(count.text)
            assert len(who.find_elements(By.TAG_NAME, "a")) == int(count.text)
        assert shown == wanted
        shifts = driver.find_elements(By.CSS_SELECTOR, "#shifts tr")
        assert any("(today)" in row.text and row.text.endswith("+0") for row in shifts)
    finally:
        driver.quit()
    with (out / insights.PROBLEMS).open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert {(r["category"], r["problem"]): int(r["count"]) for r in rows} == wanted
