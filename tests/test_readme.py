"""README.md shows only images that exist and that the notebook (or the canvas's browser test) makes,
and the commands CI runs.

Its numbers are checked by tests/test_prose.py, like the notebook's markdown.
"""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_images_exist_and_are_made_by_the_notebook_or_the_browser_test():
    images = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", README)
    assert images, "README.md should show the notebook's figures"
    sources = "".join("".join(cell["source"]) for cell in
                      json.loads((ROOT / "mnist_cnn.ipynb").read_text(encoding="utf-8"))["cells"])
    browser_test = (ROOT / "tests" / "test_canvas_browser.py").read_text(encoding="utf-8")
    assert 'SCREENSHOTS / f"canvas_{number}.png"' in browser_test
    drawn = re.findall(r'^    \("(\d+)", "(?:mouse|touch|pen)"\),$', browser_test, re.MULTILINE)
    for image in images:
        assert (ROOT / image).is_file(), f"README.md shows {image}, which does not exist"
        name = Path(image).name
        screenshot = re.fullmatch(r"canvas_(\d+)\.png", name)
        if screenshot:
            assert screenshot[1] in drawn, f"the browser test does not draw the number of {name}"
        else:
            assert f'Path(OUTPUT_DIR) / "{name}"' in sources, f"the notebook does not write {name} into OUTPUT_DIR"


def test_readme_gives_the_install_and_test_commands_that_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -r requirements.txt -c constraints.txt" in README
    assert "-r requirements.txt -c constraints.txt" in ci
    assert re.search(r"^```bash\npytest\n```$", README, flags=re.MULTILINE), "README.md should give `pytest`"
    assert re.search(r"^pytest$", ci, flags=re.MULTILINE), "CI should run the README's test command"
