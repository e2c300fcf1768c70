"""pytest configuration for the notebook run (nbval).

TensorFlow's C++ runtime writes start-up lines (oneDNN, CUDA probes) straight to file
descriptor 2 when it is imported, with timestamps. By default ipykernel copies whatever
reaches that descriptor into the running cell's stderr, so those lines would be stored in the
notebook and would differ on every run. Start nbval's kernel with
``--IPKernelApp.capture_fd_output=False``, as ``jupyter nbconvert`` does through
``jupyter_nbconvert_config.py``: those lines then go to the kernel's own stderr, while
Python-level output on stderr (warnings, tracebacks) is still captured into the cell and
compared, so a stray warning fails the run.
"""

import nbval.kernel

_start_new_kernel = nbval.kernel.start_new_kernel


def _start_kernel_without_fd_capture(*args, **kwargs):
    kwargs.setdefault("extra_arguments", ["--IPKernelApp.capture_fd_output=False"])
    return _start_new_kernel(*args, **kwargs)


nbval.kernel.start_new_kernel = _start_kernel_without_fd_capture
