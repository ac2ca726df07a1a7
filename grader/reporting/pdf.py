"""Printing our own HTML to PDF with headless Chromium: the print CSS in the templates
decides the layout, Chromium only prints. Trusted side: the pages hold no script and
student text only escaped, and Chromium runs offline on a private profile."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from grader.errors import GraderFault, UsageError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
FLAGS = (
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",  # no date, file URL or page title in the margins
)


def find_browser(given: str | None) -> str:
    """The Chromium to print with: ``given``, else the first of BROWSERS on PATH."""
    for name in [given] if given else BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    looked = given or ", ".join(BROWSERS)
    raise UsageError(
        f"no Chromium to print with (looked for {looked}): install it (Debian/Ubuntu: "
        "apt-get install chromium; ./setup.sh does) or pass --chromium PATH"
    )


def print_html(browser: str, page: str, html_path: Path, pdf_path: Path, timeout: float) -> None:
    """Write ``page`` to ``html_path`` (where its relative links resolve), print it to
    ``pdf_path`` atomically, and remove the HTML again."""
    html_path.write_text(page, encoding="utf-8")
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    partial = pdf_path.with_name(f".{pdf_path.name}.part")
    try:
        with tempfile.TemporaryDirectory(prefix="grader-chromium-") as profile:
            command = [
                browser,
                *FLAGS,
                f"--user-data-dir={profile}",  # never a profile another Chromium holds
                f"--print-to-pdf={partial}",
                html_path.resolve().as_uri(),
            ]
            if os.geteuid() == 0:  # Chromium refuses to start as root with its sandbox
                command.insert(1, "--no-sandbox")
            _run(command, timeout)
        if not partial.is_file() or partial.read_bytes()[:5] != b"%PDF-":
            raise GraderFault(f"{browser} wrote no PDF for {html_path}")
        os.replace(partial, pdf_path)
    finally:
        html_path.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)


def _run(command: list[str], timeout: float) -> None:
    """Chromium in a session of its own, so a hung one is stopped with all its helpers."""
    child = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        said, _ = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        raise GraderFault(f"{command[0]} did not finish printing in {timeout:g} s") from None
    if child.returncode != 0:
        tail = said.decode(errors="replace")[-1500:]
        raise GraderFault(f"{command[0]} failed to print (exit {child.returncode}):\n{tail}")
