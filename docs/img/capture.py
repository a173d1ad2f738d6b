"""The screenshots of docs/howto-choice-day.md, taken with the system Chromium.

    PYTHONPATH=src .venv/bin/python docs/img/capture.py

Serves the shipped example (its internes named) with a fresh journal on a free
port, plays 40 entries by procuration, and captures the room's screen (/ecran) at 1920x1080 and
1280x720 and the operator's console at 390 and 1440 px wide, into docs/img/.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from affectation.datasets import example
from affectation.io import save_instance

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("AFFECTATION_CHROMIUM", "/usr/bin/chromium")
TOKEN = "capture-token-0123456789"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "choix.json"
        save_instance(example(), source)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        env = dict(os.environ, AFFECTATION_JETON=TOKEN)
        server = subprocess.Popen([sys.executable, "-m", "affectation", "live", str(source),
                                   "--journal", str(Path(tmp) / "j.jsonl"), "--port", str(port),
                                   "--operateur", "ARS"], env=env)
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/api/state", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.1)
            auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
            for _ in range(40):
                options = json.load(urllib.request.urlopen(urllib.request.Request(
                    f"{base}/api/options", headers=auth)))
                body = json.dumps({"interne": "+".join(options["internes"]),
                                   "seq": options["seq"]}).encode()
                urllib.request.urlopen(urllib.request.Request(
                    f"{base}/api/procuration", data=body, headers=auth, method="POST")).read()
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                for width, height in ((1920, 1080), (1280, 720)):
                    page = browser.new_page(viewport={"width": width, "height": height})
                    page.goto(f"{base}/ecran")
                    page.wait_for_selector("#appel[data-seq='40']")
                    page.wait_for_timeout(6500)  # the highlight fades
                    page.screenshot(path=str(HERE / f"ecran-{width}x{height}.png"))
                    page.close()
                for width, height in ((390, 844), (1440, 900)):
                    page = browser.new_page(viewport={"width": width, "height": height})
                    page.goto(f"{base}/operateur#jeton={TOKEN}")
                    page.wait_for_selector("#appel[data-seq='40']")
                    page.screenshot(path=str(HERE / f"console-{width}.png"))
                    page.close()
                browser.close()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(10)


if __name__ == "__main__":
    main()
