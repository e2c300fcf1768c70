"""The drawing canvas as a reader uses it: JupyterLab on localhost, driven in headless Chromium by Playwright.

The test starts its own JupyterLab server (with a token) and browser, and stops them. The notebook it
opens is made of the tutorial's own cells: setup and helpers, then a model this test trains for one
epoch (about half a minute; the full notebook's run is not needed), then the tagged cell that shows
the canvas. It draws single digits with the mouse, a finger (touch) and a pen, and numbers (2025 with
the mouse, 71 by touch), along stroke paths; checks the number the widget displays, one image per
digit, and the boxes drawn on the pad; saves a screenshot of each into outputs/canvas/; and checks
that Clear empties the pad and takes the boxes away. On failure it prints the browser's console and the server's log.

Chromium comes from Debian's `chromium` package (`apt install chromium`); Playwright launches that
executable, not a browser of its own, and flags keep it off the network. Without Chromium the test
is skipped, unless MNIST_CNN_BROWSER_TEST=required (as .ci/run sets), where it fails.
"""

import itertools
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import keras
import pytest
from notebook_code import cell_sources
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "outputs" / "canvas"
STAY_OFFLINE = ["--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-default-apps", "--no-sandbox"]
# Each digit's strokes as points in a unit square (x right, y down); a number puts the squares side by side.
OVAL = [(0.5 + 0.22 * math.sin(2 * math.pi * k / 24), 0.5 - 0.33 * math.cos(2 * math.pi * k / 24)) for k in range(25)]
STROKES = {
    7: [[(0.25, 0.22), (0.75, 0.22), (0.42, 0.85)]],
    1: [[(0.5, 0.15), (0.5, 0.85)]],
    0: [OVAL],
    4: [[(0.35, 0.15), (0.25, 0.57), (0.75, 0.57)], [(0.62, 0.3), (0.62, 0.87)]],
    2: [[(0.28, 0.3), (0.36, 0.18), (0.5, 0.14), (0.64, 0.18), (0.72, 0.3), (0.68, 0.45), (0.28, 0.85), (0.76, 0.85)]],
    5: [[(0.34, 0.15), (0.31, 0.48), (0.5, 0.42), (0.67, 0.5), (0.72, 0.65), (0.65, 0.8), (0.5, 0.86), (0.3, 0.8)],
        [(0.36, 0.15), (0.72, 0.15)]],  # the flag, a second stroke
}
# What the test draws, and with which pointer: single digits as before numbers were read, then two numbers.
DRAWN = [
    ("7", "mouse"),
    ("1", "touch"),
    ("0", "pen"),
    ("4", "mouse"),
    ("2025", "mouse"),
    ("71", "touch"),
]
PAD_ASPECT = 2  # the pad is twice as wide as it is tall


def number_strokes(number):
    """The strokes of a number's digits in fractions of the pad: squares 0.8 of the pad's height (smaller if the
    number needs it), 0.6 of a square apart, centred."""
    side = min(0.8, PAD_ASPECT * 0.9 / (0.6 * (len(number) - 1) + 1))  # in pad heights
    left = (PAD_ASPECT - side * (0.6 * (len(number) - 1) + 1)) / 2
    return [[[((left + 0.6 * side * index + x * side) / PAD_ASPECT, 0.5 + (y - 0.5) * side) for x, y in stroke]
             for stroke in STROKES[int(digit)]] for index, digit in enumerate(number)]


def find_chromium():
    candidates = [os.environ.get("CHROMIUM"), "/usr/lib/chromium/chromium", shutil.which("chromium"),
                  shutil.which("chromium-browser")]
    return next((c for c in candidates if c and os.path.isfile(c) and os.access(c, os.X_OK)), None)


CHROMIUM = find_chromium()
if CHROMIUM is None:
    message = "no Chromium: install Debian's package (apt install chromium) or set CHROMIUM to its executable"
    if os.environ.get("MNIST_CNN_BROWSER_TEST") == "required":
        raise RuntimeError(message)
    pytest.skip(message, allow_module_level=True)


@pytest.fixture(scope="module")
def model_path(nb, tmp_path_factory):
    """A recipe CNN trained for one epoch: enough to read clearly drawn digits."""
    (train_raw,), _ = nb["load_mnist"](["train"])
    keras.utils.set_random_seed(0)
    model = nb["build_recipe_model"]()
    model.fit(nb["make_training_pipeline"](train_raw, 64, 0), epochs=1, verbose=0, shuffle=False)  # shuffled by tf.data
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    model.save(path)
    return path


def code_cell(index, source):
    return {"cell_type": "code", "id": f"cell-{index}", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source}


def write_notebook(folder, model_path):
    cells = [*cell_sources(["setup", "parameters", "helpers"]),
             f"reloaded_model = keras.models.load_model({str(model_path)!r})",
             *cell_sources(["canvas"])]
    notebook = {"cells": [code_cell(index, source) for index, source in enumerate(cells)],
                "nbformat": 4, "nbformat_minor": 5,
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}}
    (folder / "canvas.ipynb").write_text(json.dumps(notebook), encoding="utf-8")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def lab(model_path, tmp_path_factory):
    """A JupyterLab server on localhost serving the test notebook; yields (base URL, token, log path)."""
    folder = tmp_path_factory.mktemp("lab")
    write_notebook(folder, model_path)
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(folder / ".settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(folder / ".workspaces"), "JUPYTER_RUNTIME_DIR": str(folder / ".runtime")}
    news = folder / ".settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text('{"fetchNews": "false"}')  # no "get notified about Jupyter news?" toast over the canvas
    log = folder / ".server.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
             f"--ServerApp.root_dir={folder}", "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
             "--ServerApp.allow_root=True"],  # CI machines run as root
            env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, f"JupyterLab stopped:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"JupyterLab did not start in 90 s:\n{log.read_text()}"
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5):
                    break
            except OSError:
                time.sleep(0.5)
        yield base, token, log
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server and the kernels it started
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def stroke_points(box, stroke, spacing=4.0):
    """The stroke's corners in page pixels, with points every `spacing` pixels between them."""
    corners = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
    points = [corners[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(corners):
        steps = max(1, round(math.dist((x0, y0), (x1, y1)) / spacing))
        points += [(x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps) for k in range(1, steps + 1)]
    return points


def draw(page, cdp, box, strokes, pointer):
    """Draw with real input events: Playwright's mouse, or Chromium's touch and pen input (DevTools protocol)."""
    for stroke in strokes:
        points = stroke_points(box, stroke)
        if pointer == "mouse":
            page.mouse.move(*points[0])
            page.mouse.down()
            for x, y in points[1:]:
                page.mouse.move(x, y)
            page.mouse.up()
        elif pointer == "touch":
            for kind, (x, y) in [("touchStart", points[0]), *[("touchMove", p) for p in points[1:]]]:
                cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        else:
            events = [("mousePressed", points[0]), *[("mouseMoved", p) for p in points[1:]],
                      ("mouseReleased", points[-1])]
            for kind, (x, y) in events:
                cdp.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "buttons": 1,
                                                      "clickCount": 1, "pointerType": "pen"})


ANSWERED = """([widget, status]) => widget.dataset.pending !== undefined
    && widget.dataset.answered === widget.dataset.pending && widget.dataset.status === status"""
PAD_IS_BLANK = """(pad) => pad.getContext("2d").getImageData(0, 0, pad.width, pad.height)
    .data.every((value) => value === 255)"""
BOXES_DRAWN = """(overlay) => overlay.getContext("2d").getImageData(0, 0, overlay.width, overlay.height)
    .data.some((value, index) => index % 4 === 3 && value > 0)"""


def wait_for_answer(page, widget, status):
    """Wait until the widget shows Python's answer to its latest message, with this status."""
    try:
        page.wait_for_function(ANSWERED, arg=[widget.element_handle(), status], timeout=30_000)
    except PlaywrightTimeoutError:
        shown = widget.evaluate("(w) => JSON.stringify({...w.dataset, text: w.innerText})",
                                timeout=5_000)
        raise AssertionError(f"no answer with status {status!r} in 30 s; the widget shows {shown}") from None


def test_drawn_digits_and_numbers_are_read_and_clear_empties_the_pad(lab, nb):
    base, token, log = lab
    console = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=STAY_OFFLINE, timeout=60_000)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900}, has_touch=True)
            page = context.new_page()
            page.on("console", lambda entry: entry.type == "debug" or console.append(f"{entry.type}: {entry.text}"))
            page.on("pageerror", lambda error: console.append(f"page error: {error}"))
            cdp = context.new_cdp_session(page)
            page.goto(f"{base}/lab/tree/canvas.ipynb?token={token}", timeout=90_000)
            page.wait_for_function("() => window.jupyterapp?.shell.currentWidget?.sessionContext", timeout=90_000)
            page.evaluate("""async () => {
                const notebook = window.jupyterapp.shell.currentWidget;
                const ready = Promise.all([notebook.context.ready, notebook.sessionContext.ready]);
                const late = new Promise((_, fail) => setTimeout(() => fail(new Error("no kernel in 90 s")), 90000));
                await Promise.race([ready, late]);
                void window.jupyterapp.commands.execute("notebook:run-all-cells");  // runs on; not awaited
            }""")
            widget, failed = page.locator(".digit-canvas"), page.locator(".jp-OutputArea-output[data-mime-type*=error]")
            widget.or_(failed).first.wait_for(timeout=180_000)
            assert failed.count() == 0, f"a cell failed:\n{failed.first.inner_text()}"
            assert widget.get_attribute("data-status") == "empty"
            assert widget.locator(".dc-answer").inner_text() == nb["CANVAS_HINT"]
            pad = widget.locator(".dc-draw")
            pad.scroll_into_view_if_needed()
            read = {}
            for number, pointer in DRAWN:
                for strokes in number_strokes(number):
                    draw(page, cdp, pad.bounding_box(), strokes, pointer)
                wait_for_answer(page, widget, "ok")
                assert widget.get_attribute("data-pointer") == pointer, "the pad should have seen this kind of input"
                read[number] = widget.get_attribute("data-number")
                assert widget.locator(".dc-tile").count() == len(read[number]), "one image per digit read"
                assert widget.locator(".dc-bars").is_visible() == (len(read[number]) == 1), "bars for one digit only"
                assert widget.locator(".dc-boxes").evaluate(BOXES_DRAWN), "each digit's box is drawn on the pad"
                widget.screenshot(path=SCREENSHOTS / f"canvas_{number}.png")
                widget.locator(".dc-clear").click()
                wait_for_answer(page, widget, "empty")
                assert pad.evaluate(PAD_IS_BLANK), "Clear should leave a white pad"
                assert not widget.locator(".dc-boxes").evaluate(BOXES_DRAWN), "Clear should take the boxes away"
                assert widget.locator(".dc-answer").inner_text() == nb["CANVAS_HINT"]
                assert widget.locator(".dc-predicted").count() == 0
            assert read == {number: number for number, _ in DRAWN}, f"drawn: read {read}"
        except BaseException:
            print("Browser console:", *console, sep="\n  ")
            print("JupyterLab log (last 60 lines):", *log.read_text().splitlines()[-60:], sep="\n  ")
            raise
        finally:
            browser.close()
