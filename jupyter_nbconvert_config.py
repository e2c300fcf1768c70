# Read by `jupyter nbconvert` when run from this folder. TensorFlow's C++ start-up lines are
# written straight to file descriptor 2; keep them out of the stored notebook (see conftest.py).
c = get_config()  # noqa: F821
c.ExecutePreprocessor.extra_arguments = ["--IPKernelApp.capture_fd_output=False"]
# The drawing canvas is a widget: its state (random model ids, its JavaScript) means nothing in a
# stored notebook, whose output for it is a note and a picture, so do not store it.
c.ExecutePreprocessor.store_widget_state = False
