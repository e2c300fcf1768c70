"""Unit tests of the notebook's part-1 functions, run without executing the notebook."""

import importlib.metadata
import itertools
import socket
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

# --- normalize_image ------------------------------------------------------------------------

def test_normalize_maps_uint8_range_to_float32_unit_interval(nb):
    image = tf.constant(np.arange(256, dtype=np.uint8).reshape(16, 16, 1))
    scaled, label = nb["normalize_image"](image, tf.constant(7, tf.int64))
    assert scaled.dtype == tf.float32
    assert scaled.shape == (16, 16, 1)
    assert float(tf.reduce_min(scaled)) == 0.0
    assert float(tf.reduce_max(scaled)) == 1.0
    np.testing.assert_allclose(scaled.numpy().ravel(), np.arange(256) / 255, rtol=1e-6)
    assert int(label) == 7


# --- input pipelines ------------------------------------------------------------------------

def _toy_dataset(count=10):
    images = np.stack([np.full((28, 28, 1), i, np.uint8) for i in range(count)])
    return tf.data.Dataset.from_tensor_slices((images, np.arange(count, dtype=np.int64)))


def test_training_pipeline_batches_normalised_shuffled_and_repeatable(nb):
    ds = nb["make_training_pipeline"](_toy_dataset(), batch_size=4, seed=1)
    epoch_1 = [labels.numpy().tolist() for _, labels in ds]
    epoch_2 = [labels.numpy().tolist() for _, labels in ds]
    assert [len(batch) for batch in epoch_1] == [4, 4, 2]
    assert sorted(label for batch in epoch_1 for label in batch) == list(range(10))
    assert epoch_1 != epoch_2, "each epoch should be reshuffled"
    again = nb["make_training_pipeline"](_toy_dataset(), batch_size=4, seed=1)
    assert [labels.numpy().tolist() for _, labels in again] == epoch_1, "same seed, same order"
    images, _ = next(iter(ds))
    assert images.dtype == tf.float32 and float(tf.reduce_max(images)) <= 1.0


def test_pipelines_and_to_numpy_refuse_a_dataset_of_unknown_size(nb):
    filtered = _toy_dataset().filter(lambda image, label: label > 2)  # cardinality unknown (-2)
    with pytest.raises(ValueError, match=r"known size.*-2"):
        nb["make_training_pipeline"](filtered, batch_size=4, seed=1)
    with pytest.raises(ValueError, match=r"known size.*-2"):
        nb["to_numpy"](filtered)
    images, labels = nb["to_numpy"](_toy_dataset(7))
    assert images.shape == (7, 28, 28, 1) and labels.tolist() == list(range(7))


# --- the parameters' check ------------------------------------------------------------------

def _parameters():
    sys.path.insert(0, str(Path(__file__).parent))
    from notebook_code import load_notebook_code
    return load_notebook_code(tags=("setup", "parameters"))  # setup: the imports the check uses


@pytest.mark.parametrize("name, value, message", [
    ("SEED", -1, "SEED must be a whole number from 0"), ("BATCH_SIZE", 0, "BATCH_SIZE must be a whole number from 1"),
    ("RECIPE_BATCH_SIZE", 32.0, "RECIPE_BATCH_SIZE must be a whole number"), ("MAX_EPOCHS", 0, "MAX_EPOCHS must be"),
    ("STRONG_EPOCHS", True, "STRONG_EPOCHS must be"), ("VALIDATION_PERCENT", 60, "VALIDATION_PERCENT must be"),
    ("ACCURACY_THRESHOLD", "0.96", "ACCURACY_THRESHOLD must be a number from 0 to 1"),
    ("PEAK_LEARNING_RATE", 0, "PEAK_LEARNING_RATE must be"), ("DROPOUT_RATE", 1, "DROPOUT_RATE must be"),
    ("MODEL_PATH", "model.h5", "MODEL_PATH must end with .keras"),
    ("AUGMENTATION", {"max_shift_pixels": 2}, "AUGMENTATION must be a dict with the keys"),
])
def test_a_parameter_out_of_range_is_named(name, value, message):
    values = {**_parameters(), name: value}
    with pytest.raises(ValueError, match=message):
        nb_check(values)


def test_an_augmentation_setting_out_of_range_is_named():
    values = _parameters()
    values["AUGMENTATION"] = {**values["AUGMENTATION"], "low_resolution_share": 1.5}
    with pytest.raises(ValueError, match=r"AUGMENTATION\['low_resolution_share'\] must be a number from 0 to 1"):
        nb_check(values)
    nb_check(_parameters())  # the defaults pass
    nb_check({**_parameters(), "SEED": np.int64(7), "PEAK_LEARNING_RATE": np.float32(1e-3)})  # NumPy numbers too


def nb_check(values):
    """Run the notebook's folded parameter-check cell on these values."""
    import json
    cells = json.loads((Path(__file__).parent.parent / "mnist_cnn.ipynb").read_text(encoding="utf-8"))["cells"]
    source = "".join(next(c for c in cells if c["id"] == "params-check")["source"])
    exec(source, values)


def test_evaluation_pipeline_keeps_order(nb):
    ds = nb["make_evaluation_pipeline"](_toy_dataset(), batch_size=4)
    labels = np.concatenate([labels.numpy() for _, labels in ds])
    assert labels.tolist() == list(range(10))


# --- the recipe model -----------------------------------------------------------------------

def test_recipe_model_layers_and_parameter_count(nb):
    model = nb["build_recipe_model"]()
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D",
        "Flatten", "Dense", "Dense", "Dense"]
    assert [getattr(layer, "filters", getattr(layer, "units", None)) for layer in model.layers] == [
        32, None, 64, None, 128, None, None, 64, 128, 10]
    assert model.count_params() == 110_538
    assert model.input_shape == (None, 28, 28, 1)
    assert model.output_shape == (None, 10)
    assert type(model.optimizer).__name__ == "RMSprop"
    assert type(model.loss).__name__ == "SparseCategoricalCrossentropy"


# --- the threshold callback -----------------------------------------------------------------

class _FakeModel:
    stop_training = False


def _callback(nb, threshold=0.96, **kwargs):
    callback = nb["StopAtAccuracy"](threshold, **kwargs)
    callback.set_model(_FakeModel())
    return callback


def test_callback_stops_exactly_when_threshold_is_exceeded(nb, capsys):
    callback = _callback(nb)
    for epoch, accuracy in enumerate([0.50, 0.9599, 0.96]):
        callback.on_epoch_end(epoch, {"loss": 0.1, "accuracy": accuracy})
        assert not callback.model.stop_training, f"stopped at accuracy {accuracy}, not above 0.96"
    callback.on_epoch_end(3, {"loss": 0.1, "accuracy": 0.9601})
    assert callback.model.stop_training
    assert callback.stopped_epoch == 4
    assert "after epoch 4" in capsys.readouterr().out


def test_callback_stops_a_real_fit(nb):
    inputs = np.zeros((8, 28, 28, 1), np.float32)
    labels = np.zeros(8, np.int64)
    model = nb["build_recipe_model"]()
    callback = nb["StopAtAccuracy"](0.5)
    history = model.fit(inputs, labels, epochs=5, callbacks=[callback], verbose=0)
    assert len(history.epoch) == 1 and callback.stopped_epoch == 1


def test_callback_names_the_keys_it_found_when_the_metric_is_missing(nb):
    callback = _callback(nb, monitor="acc")
    with pytest.raises(ValueError) as error:
        callback.on_epoch_end(0, {"loss": 0.3, "accuracy": 0.9})
    message = str(error.value)
    assert "'acc'" in message and "['accuracy', 'loss']" in message


# --- loading without data and without internet ----------------------------------------------

@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the test touched the network")
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def _assert_actionable(message, data_dir):
    assert "MNIST is not in the TFDS data folder" in message
    assert str(data_dir) in message
    assert "TFDS_DATA_DIR" in message
    assert "export TFDS_DATA_DIR=" in message
    assert "internet" in message


def test_offline_error_when_download_is_off(nb, tmp_path, no_network):
    with pytest.raises(nb["DatasetUnavailableError"]) as error:
        nb["load_mnist"]("test", data_dir=tmp_path, download=False)
    _assert_actionable(str(error.value), tmp_path)


# --- is the download server reachable? Directly, or through the proxy the environment names ------

class _Connection:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def connections(monkeypatch):
    """Record where internet_is_reachable connects, without touching the network."""
    for variable in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
                     "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(variable, raising=False)
    calls = []

    def connect(address, timeout=None):
        calls.append(address)
        return _Connection()

    monkeypatch.setattr(socket, "create_connection", connect)
    monkeypatch.setattr(socket.socket, "connect", lambda *args: pytest.fail("opened a raw socket"))
    return calls


def test_reachable_checks_the_download_server_without_a_proxy(nb, connections):
    assert nb["internet_is_reachable"]() is True
    assert connections == [("storage.googleapis.com", 443)]


@pytest.mark.parametrize("variable, value, expected", [
    ("HTTPS_PROXY", "http://proxy.example:3128", ("proxy.example", 3128)),
    ("https_proxy", "proxy.example:8080", ("proxy.example", 8080)),
    ("ALL_PROXY", "http://proxy.example", ("proxy.example", 80)),
])
def test_reachable_asks_the_proxy_that_the_download_would_use(nb, connections, monkeypatch, variable, value,
                                                               expected):
    monkeypatch.setenv(variable, value)
    assert nb["internet_is_reachable"]() is True
    assert connections == [expected], "behind a proxy the download goes through the proxy, so ask the proxy"


def test_reachable_ignores_the_proxy_for_hosts_in_no_proxy(nb, connections, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,.googleapis.com")
    assert nb["internet_is_reachable"]() is True
    assert connections == [("storage.googleapis.com", 443)]


def test_unreachable_proxy_means_no_download(nb, connections, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")

    def refuse(address, timeout=None):
        raise OSError("connection refused")

    monkeypatch.setattr(socket, "create_connection", refuse)
    assert nb["internet_is_reachable"]() is False


def test_offline_error_when_the_server_is_unreachable(nb, tmp_path, no_network, monkeypatch):
    monkeypatch.setitem(nb, "internet_is_reachable", lambda: False)
    with pytest.raises(nb["DatasetUnavailableError"]) as error:
        nb["load_mnist"]("test", data_dir=tmp_path)
    _assert_actionable(str(error.value), tmp_path)


# --- a protobuf too old for TensorFlow Datasets (Colab, 2026) ---------------------------------

def test_protobuf_advice_names_the_one_command(nb):
    error = Exception("Detected incompatible Protobuf Gencode/Runtime versions when loading "
                      "tensorflow_metadata/proto/v0/schema.proto: gencode 6.31.1 runtime 5.29.6. Runtime version "
                      "cannot be older than the linked gencode version.")
    advice = nb["protobuf_advice"](error)
    assert "needs protobuf 6.31.1 or newer, but protobuf 5.29.6 is installed" in advice
    assert advice.endswith("\n    %pip install protobuf==6.31.1"), "%pip installs into the kernel's environment"
    assert "restart" in advice


def test_protobuf_gencode_version_is_read_from_tensorflow_metadata_without_importing_it(nb):
    from tensorflow_metadata.proto.v0 import schema_pb2

    source = Path(schema_pb2.__file__).read_text()
    assert nb["protobuf_gencode_version"]() in {"6.31.1"} and "6,\n    31,\n    1," in source


class FakeSubprocess:
    def __init__(self, returncode=0):
        self.calls, self.returncode = [], returncode

    def run(self, command, **kwargs):
        self.calls.append(command)
        return types.SimpleNamespace(returncode=self.returncode, stderr="no network")


@pytest.fixture
def colab(nb, monkeypatch):
    """A session that looks like Colab's, with Colab's old protobuf, where pip is never really run."""
    fake = FakeSubprocess()
    monkeypatch.setitem(nb, "subprocess", fake)
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    real_version = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version",
                        lambda name: "5.29.6" if name == "protobuf" else real_version(name))
    return fake


def test_the_protobuf_fix_installs_nothing_outside_colab(nb, monkeypatch, capsys):
    fake = FakeSubprocess()
    monkeypatch.setitem(nb, "subprocess", fake)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    nb["fix_protobuf_on_colab"]()
    assert fake.calls == [] and capsys.readouterr().out == ""


def test_the_protobuf_fix_on_colab_installs_the_version_tfds_needs_before_protobuf_is_loaded(nb, colab, monkeypatch,
                                                                                            capsys):
    monkeypatch.delitem(sys.modules, "google.protobuf")
    nb["fix_protobuf_on_colab"]()
    assert colab.calls == [[sys.executable, "-m", "pip", "install", "--quiet", "protobuf==6.31.1"]]
    assert capsys.readouterr().out.startswith("On Colab: installed protobuf 6.31.1 in place of Colab's 5.29.6")


def test_the_protobuf_fix_on_colab_asks_for_a_restart_when_protobuf_is_already_loaded(nb, colab, capsys):
    assert "google.protobuf" in sys.modules
    nb["fix_protobuf_on_colab"]()
    assert len(colab.calls) == 1 and "restart the session" in capsys.readouterr().out


def test_the_protobuf_fix_on_colab_says_when_pip_fails(nb, colab, capsys):
    colab.returncode = 1
    nb["fix_protobuf_on_colab"]()
    assert "installing protobuf 6.31.1 failed" in capsys.readouterr().out


# --- layer names do not depend on what the session built before -------------------------------

EVERY_AUGMENTATION = dict(max_shift_pixels=2, max_rotation_degrees=12, max_zoom=0.15, max_shear=0.2,
                          low_resolution_share=0.5)


def test_layer_names_are_fixed(nb):
    for _ in range(2):  # building twice must give the same names
        recipe = nb["build_recipe_model"]()
        strong = nb["build_strong_model"](1e-3, EVERY_AUGMENTATION, 0.3)
    assert [layer.name for layer in recipe.layers] == [
        "conv_1", "pool_1", "conv_2", "pool_2", "conv_3", "pool_3", "flatten", "dense_1", "dense_2", "probabilities"]
    assert [layer.name for layer in strong.layers] == [
        "image", "rotate", "zoom", "shear", "shift", "low_resolution", "conv_1", "pool_1", "conv_2", "pool_2",
        "conv_3", "flatten", "dropout", "probabilities"]


# --- part 2's augmentation ------------------------------------------------------------------------

def test_augmentation_leaves_out_what_is_set_to_zero(nb):
    no_geometry = EVERY_AUGMENTATION | dict(max_rotation_degrees=0, max_zoom=0, max_shear=0)
    assert [layer.name for layer in nb["augmentation_layers"](**no_geometry)] == ["shift", "low_resolution"]
    assert nb["augmentation_layers"](**dict.fromkeys(EVERY_AUGMENTATION, 0)) == []


def a_sharp_digit():
    images = np.zeros((4, 28, 28, 1), np.float32)
    images[:, 4:24, 12:16] = 1.0  # a 1, four pixels wide
    return images


def test_low_resolution_changes_images_only_in_training(nb):
    images = a_sharp_digit()
    layer = nb["RandomLowResolution"](1.0)
    assert np.array_equal(np.asarray(layer(images, training=False)), images)
    assert np.array_equal(np.asarray(nb["RandomLowResolution"](0.0)(images, training=True)), images)
    low = np.asarray(layer(images, training=True))
    assert low.shape == images.shape and low.dtype == np.float32
    assert 0 <= low.min() and low.max() <= 1 + 1e-6
    assert not np.array_equal(low, images), "every image shrunk to 16x16 or less must lose its sharp edges"
    assert abs(low.sum() - images.sum()) / images.sum() < 0.15, "shrinking and enlarging keeps about the same ink"


def test_a_saved_model_with_the_low_resolution_layer_reloads(nb, tmp_path):
    keras = nb["keras"]
    keras.utils.set_random_seed(0)
    model = nb["build_strong_model"](1e-3, EVERY_AUGMENTATION, 0.3)
    model.save(tmp_path / "strong.keras")
    reloaded = keras.models.load_model(tmp_path / "strong.keras")  # safe_mode, as part 3 loads it
    assert reloaded.get_layer("low_resolution").get_config()["share"] == 0.5
    images = a_sharp_digit()
    np.testing.assert_array_equal(reloaded.predict(images, verbose=0), model.predict(images, verbose=0))


# --- the schedule works for any number of epochs -------------------------------------------------

@pytest.mark.parametrize("epochs", [1, 2, 12])
def test_schedule_warms_up_then_decays_to_zero(nb, epochs):
    schedule = nb["warmup_cosine_schedule"](10, epochs, 3e-3)
    rates = [float(schedule(step)) for step in range(10 * epochs + 1)]
    peak = int(np.argmax(rates))
    assert peak == min(10, 10 * epochs // 2)
    assert rates[peak] == pytest.approx(3e-3)
    assert rates[0] == 0.0 and rates[-1] == pytest.approx(0.0, abs=1e-9)
    assert all(a <= b for a, b in itertools.pairwise(rates[:peak + 1])), "warm-up only rises"
    assert all(a >= b for a, b in itertools.pairwise(rates[peak:])), "decay only falls"
