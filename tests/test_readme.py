"""README.md shows only results that the committed notebook run printed, and only images that exist."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def stored_output_text():
    """Every text output stored in the notebook, joined."""
    notebook = json.loads((ROOT / "mnist_cnn.ipynb").read_text(encoding="utf-8"))
    parts = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            parts.append("".join(output.get("text", "")))
            for mime in ("text/plain", "text/html"):
                parts.append("".join(output.get("data", {}).get(mime, "")))
    return "\n".join(parts)


def results_section():
    match = re.search(r"^## Results of the committed run\n(.*?)^## ", README, flags=re.DOTALL | re.MULTILINE)
    assert match, "README.md needs a '## Results of the committed run' section"
    return re.sub(r"\]\([^)]*\)", "]", match.group(1))  # ignore link and image targets


def test_every_number_in_the_readme_results_is_a_stored_notebook_output():
    outputs = stored_output_text()
    numbers = re.findall(r"\d[\d,]*(?:\.\d+)*", results_section())
    assert len(numbers) >= 10, "the results section should report the run's figures"
    missing = [number for number in numbers  # whole numbers only: "0.98" must not match inside "0.9813"
               if not re.search(rf"(?<!\d)(?<!\d[.,]){re.escape(number)}(?!\d|[.,]\d)", outputs)]
    assert not missing, f"README.md results not found in the notebook's stored outputs: {missing}"


def test_readme_images_exist_and_are_written_by_the_notebook():
    images = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", README)
    assert images, "README.md should show the notebook's figures"
    sources = "".join("".join(cell["source"]) for cell in
                      json.loads((ROOT / "mnist_cnn.ipynb").read_text(encoding="utf-8"))["cells"])
    for image in images:
        assert (ROOT / image).is_file(), f"README.md shows {image}, which does not exist"
        assert image in sources, f"{image} is not written by the notebook"
