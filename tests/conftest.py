import pytest
from notebook_code import load_notebook_code


@pytest.fixture(scope="session")
def nb():
    """The notebook's setup and helper cells, executed once per test session."""
    return load_notebook_code()
