"""pytest configuration for the notebook run (nbval), and the order of the checks after it.

TensorFlow's C++ runtime writes start-up lines (oneDNN, CUDA probes) straight to file
descriptor 2 when it is imported, with timestamps. By default ipykernel copies whatever
reaches that descriptor into the running cell's stderr, so those lines would be stored in the
notebook and would differ on every run. Start nbval's kernel with
``--IPKernelApp.capture_fd_output=False``, as ``jupyter nbconvert`` does through
``jupyter_nbconvert_config.py``: those lines then go to the kernel's own stderr, while
Python-level output on stderr (warnings, tracebacks) is still captured into the cell and
compared, so a stray warning fails the run.
"""

import time

import nbval.kernel

_start_new_kernel = nbval.kernel.start_new_kernel


def _start_kernel_without_fd_capture(*args, **kwargs):
    kwargs.setdefault("extra_arguments", ["--IPKernelApp.capture_fd_output=False"])
    return _start_new_kernel(*args, **kwargs)


nbval.kernel.start_new_kernel = _start_kernel_without_fd_capture


def pytest_configure(config):
    import test_results  # tests/ is on pythonpath (pyproject.toml)

    config.stash[test_results.SESSION_STARTED] = time.time()


def pytest_collection_modifyitems(config, items):
    """tests/test_results.py checks the results file the notebook's run writes: run it after nbval, and tell it
    whether the notebook ran in this session at all."""
    import test_results

    last = [item for item in items if item.path.name == "test_results.py"]
    items[:] = [item for item in items if item.path.name != "test_results.py"] + last
    config.stash[test_results.NOTEBOOK_RAN] = any(item.path.suffix == ".ipynb" for item in items)
