import pytest
from notebook_code import load_notebook_code


@pytest.fixture(scope="session")
def nb():
    """The notebook's setup and helper cells, executed once per test session."""
    return load_notebook_code()


@pytest.fixture(scope="session")
def trained_recipe(nb):
    """The recipe trained for one epoch on the full training split (about 20 s on 2 CPU cores): a model whose
    answers on clear digits are known, for tests that must check an answer, not compare two paths."""
    nb["keras"].utils.set_random_seed(0)
    (train_raw, test_raw), _ = nb["load_mnist"](["train", "test"])
    model = nb["build_recipe_model"]()
    model.fit(nb["make_training_pipeline"](train_raw, 32, seed=0), epochs=1, shuffle=False, verbose=0)
    return model, nb["to_numpy"](test_raw)
