"""Input encodings (diehl_cook.encodings): known answers on hand-made images."""

import numpy as np
import pytest

from diehl_cook.encodings import (
    Encoding,
    contrast_normalise,
    difference_of_gaussians,
    drive_matching_gain,
    load_encoding,
    normalise_drive,
    on_off_responses,
    parse_encoding,
    shipped_encoding_names,
    signed_on_off_map,
    split_channels,
)
from diehl_cook.errors import ConfigError

#: Largest |response| accepted for a uniform image, in pixel values (rounding only: the two
#: normalised Gaussians each reproduce a constant to ~1e-14 of its value).
UNIFORM_TOLERANCE = 1e-9


def _on_off(
    gain=1.0, contrast=False, floor=10.0, sigma_centre=1.0, sigma_surround=2.0, drive=False
):
    return Encoding(
        "on_off",
        {
            "sigma_centre": sigma_centre,
            "sigma_surround": sigma_surround,
            "gain": gain,
            "contrast_normalise": contrast,
            "contrast_floor": floor,
            "border_mode": "reflect",
            "drive_normalise": drive,
        },
    )


def _kernel_1d(sigma, truncate=4.0):
    """scipy.ndimage's sampled Gaussian: radius int(4 sigma + 0.5), normalised to unit sum."""
    radius = int(truncate * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1)
    values = np.exp(-(offsets**2) / (2 * sigma**2))
    return dict(zip(offsets.tolist(), (values / values.sum()).tolist(), strict=True))


def _dog_of_dot(shape, centre, amplitude, sigma_centre=1.0, sigma_surround=2.0):
    """Closed-form DoG of a single bright pixel far from the border (separable kernels)."""
    k_centre, k_surround = _kernel_1d(sigma_centre), _kernel_1d(sigma_surround)
    dog = np.zeros(shape)
    for row in range(shape[0]):
        for col in range(shape[1]):
            dy, dx = row - centre[0], col - centre[1]
            dog[row, col] = amplitude * (
                k_centre.get(dy, 0.0) * k_centre.get(dx, 0.0)
                - k_surround.get(dy, 0.0) * k_surround.get(dx, 0.0)
            )
    return dog


# --------------------------------------------------------------------------------------------
# the filter
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(28, 28), (32, 32)])
@pytest.mark.parametrize("level", [0.0, 37.3, 128.0, 255.0])
@pytest.mark.parametrize("contrast", [False, True])
def test_uniform_image_gives_no_drive_anywhere(shape, level, contrast):
    images = np.full((3, shape[0] * shape[1]), level)
    encoded = _on_off(gain=50.0, contrast=contrast).encode(images, shape)
    assert encoded.shape == (3, 2 * shape[0] * shape[1])
    assert np.all(encoded == 0.0)  # borders included (reflect mode); rounding snapped to 0
    raw = difference_of_gaussians(images, shape, 1.0, 2.0)
    assert np.abs(raw).max() <= UNIFORM_TOLERANCE


def test_zero_padding_would_not_keep_uniform_images_silent():
    # why the border mode matters: the same filter with zero padding lights up the border
    from scipy.ndimage import gaussian_filter

    image = np.full((1, 28, 28), 200.0)
    padded = gaussian_filter(image, (0, 1, 1), mode="constant") - gaussian_filter(
        image, (0, 2, 2), mode="constant"
    )
    assert np.abs(padded[0, 0]).max() > 1.0
    reflected = difference_of_gaussians(image, (28, 28), 1.0, 2.0, "reflect")
    assert np.abs(reflected).max() <= UNIFORM_TOLERANCE


def test_bright_dot_gives_on_centre_and_off_surround():
    shape, centre = (28, 28), (14, 14)
    image = np.zeros(shape)
    image[centre] = 255.0
    encoded = _on_off(gain=1.0).encode(image.ravel(), shape)
    assert encoded.shape == (2 * 784,)
    on, off = split_channels(encoded, shape, 2)
    expected = _dog_of_dot(shape, centre, 255.0)
    np.testing.assert_allclose(on, np.maximum(expected, 0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(off, np.maximum(-expected, 0), rtol=0, atol=1e-12)
    # specific pixels: ON at the centre and its 4 neighbours, no OFF there
    assert on[14, 14] > 20.0 and off[14, 14] == 0.0
    for pixel in [(13, 14), (15, 14), (14, 13), (14, 15)]:
        assert on[pixel] > 0.0 and off[pixel] == 0.0
    # OFF in the surround ring (3 to 5 pixels away), no ON there
    rows, cols = np.indices(shape)
    distance = np.hypot(rows - 14, cols - 14)
    ring = (distance >= 3) & (distance <= 5)
    assert np.all(off[ring] > 0.0) and np.all(on[ring] == 0.0)
    assert off[14, 17] > 0.0 and off[11, 14] > 0.0 and on[14, 17] == 0.0
    # the centre value is the closed form 255 * (k1(0)^2 - k2(0)^2)
    k_centre, k_surround = _kernel_1d(1.0), _kernel_1d(2.0)
    assert on[14, 14] == pytest.approx(255.0 * (k_centre[0] ** 2 - k_surround[0] ** 2), rel=1e-12)


def test_dark_dot_on_bright_background_is_the_mirror_image():
    shape = (28, 28)
    image = np.full(shape, 255.0)
    image[14, 14] = 0.0
    on, off = split_channels(_on_off().encode(image.ravel(), shape), shape, 2)
    expected = _dog_of_dot(shape, (14, 14), -255.0)  # uniform part gives nothing
    np.testing.assert_allclose(off, np.maximum(-expected, 0), atol=1e-9)
    np.testing.assert_allclose(on, np.maximum(expected, 0), atol=1e-9)
    assert off[14, 14] > 20.0 and on[14, 14] == 0.0


@pytest.mark.parametrize(("shape", "n_inputs"), [((28, 28), 1568), ((32, 32), 2048)])
def test_shapes_and_value_range(shape, n_inputs):
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, size=(5, shape[0] * shape[1])).astype(np.float64)
    encoding = _on_off(gain=40.0)  # large enough to clip
    assert encoding.n_inputs(shape) == n_inputs
    assert encoding.channel_names == ("on", "off")
    encoded = encoding.encode(images, shape)
    assert encoded.shape == (5, n_inputs) and encoded.dtype == np.float64
    assert encoded.min() >= 0.0 and encoded.max() == 255.0
    # (n, h, w) input gives the same result as flat rows
    np.testing.assert_array_equal(encoding.encode(images.reshape(5, *shape), shape), encoded)
    # ON and OFF are never both non-zero at one pixel
    on, off = encoded[:, : n_inputs // 2], encoded[:, n_inputs // 2 :]
    assert not np.any((on > 0) & (off > 0))


def test_batches_give_the_same_result_as_one_pass(monkeypatch):
    import diehl_cook.encodings as encodings

    rng = np.random.default_rng(4)
    images = rng.integers(0, 256, size=(23, 784)).astype(np.float64)
    whole = _on_off(gain=3.0).encode(images, (28, 28))
    monkeypatch.setattr(encodings, "_BATCH_IMAGES", 5)
    np.testing.assert_array_equal(_on_off(gain=3.0).encode(images, (28, 28)), whole)


def test_plain_is_the_identity():
    rng = np.random.default_rng(5)
    images = rng.integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    plain = load_encoding("plain")
    assert plain.kind == "plain" and plain.channel_names == ("pixel",)
    assert plain.n_inputs((28, 28)) == 784 and plain.n_inputs((32, 32)) == 1024
    encoded = plain.encode(images, (28, 28))
    assert encoded.dtype == np.float64
    np.testing.assert_array_equal(encoded, images.reshape(7, 784).astype(np.float64))
    assert plain.calibrated(images, (28, 28)) is plain
    assert not plain.needs_calibration


def test_encode_rejects_wrong_shapes_and_ranges():
    encoding = _on_off()
    with pytest.raises(ValueError, match="do not match image_shape"):
        encoding.encode(np.zeros((2, 784)), (32, 32))
    with pytest.raises(ValueError, match=r"\[0, 255\]"):
        encoding.encode(np.full((1, 784), 256.0), (28, 28))
    with pytest.raises(ValueError, match="calibrated"):
        load_encoding("on_off").encode(np.zeros((1, 784)), (28, 28))


# --------------------------------------------------------------------------------------------
# contrast normalisation
# --------------------------------------------------------------------------------------------


def test_contrast_normalisation_removes_contrast_and_offset():
    rng = np.random.default_rng(6)
    image = rng.uniform(0, 255, size=(1, 784))
    faded = 0.4 * image + 60.0  # std 0.4x (still above the floor of 10), offset
    args = ((28, 28), 1.0, 2.0)
    original = on_off_responses(image, *args, normalise_contrast=True, contrast_floor=10.0)
    np.testing.assert_allclose(
        on_off_responses(faded, *args, normalise_contrast=True, contrast_floor=10.0),
        original,
        atol=1e-12,
    )
    # without normalisation the faded image's response is 0.4 times the original
    np.testing.assert_allclose(
        on_off_responses(faded, *args), 0.4 * on_off_responses(image, *args), atol=1e-9
    )


def test_contrast_floor_limits_the_gain_of_flat_images():
    image = np.full((1, 28, 28), 100.0)
    image[0, 14, 14] = 104.0  # std about 0.14, far below the floor
    normalised = contrast_normalise(image, (28, 28), floor=10.0)
    np.testing.assert_allclose(normalised, (image - image.mean()) / 10.0, atol=1e-15)
    responses = on_off_responses(image, (28, 28), 1.0, 2.0, normalise_contrast=True)
    np.testing.assert_allclose(
        responses, on_off_responses(image, (28, 28), 1.0, 2.0) / 10.0, atol=1e-12
    )
    assert np.all(contrast_normalise(np.full((2, 784), 73.0), (28, 28), 10.0) == 0.0)


def test_drive_normalisation_gives_every_image_the_same_total():
    # a faint dot, a bright dot and a bright bar: totals differ by 20x without normalisation
    images = np.zeros((4, 28, 28))
    images[0, 10, 10] = 20.0
    images[1, 14, 14] = 255.0
    images[2, 5:23, 14] = 200.0
    images[3] = 90.0  # uniform: no response, and none after normalisation
    images = images.reshape(4, -1)
    raw = _on_off(gain=1.0).encode(images, (28, 28))
    assert raw[1].sum() / raw[0].sum() == pytest.approx(255.0 / 20.0)
    normalised = _on_off(gain=1000.0, drive=True).encode(images, (28, 28))
    # each image's responses divided by their sum, times the gain (no value reaches 255)
    assert normalised.max() < 255.0
    np.testing.assert_allclose(normalised[:3].sum(axis=1), 1000.0, rtol=1e-12)
    assert np.all(normalised[3] == 0.0)
    # the pattern is kept: the two dots give the same map, shifted
    np.testing.assert_allclose(
        normalised[0].reshape(2, 28, 28)[:, 10, 10], normalised[1].reshape(2, 28, 28)[:, 14, 14]
    )
    rows = np.array([[1.0, 3.0, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(normalise_drive(rows), [[0.25, 0.75, 0.0], [0.0, 0.0, 0.0]])


def test_drive_normalised_gain_matches_the_plain_drive():
    rng = np.random.default_rng(11)
    images = rng.uniform(0, 255, size=(30, 784)) * rng.uniform(0.02, 0.2, size=(30, 1))
    encoding = _on_off(gain="match_plain_drive", drive=True).calibrated(images, (28, 28))
    encoded = encoding.encode(images, (28, 28))
    assert encoded.sum(axis=1).mean() == pytest.approx(images.sum(axis=1).mean(), rel=1e-9)
    # the same total for every image (no value clipped here)
    assert encoding.calibration["clipped_fraction"] == 0.0
    np.testing.assert_allclose(encoded.sum(axis=1), images.sum(axis=1).mean(), rtol=1e-9)


# --------------------------------------------------------------------------------------------
# the gain rule
# --------------------------------------------------------------------------------------------


def test_drive_matching_gain_closed_forms():
    # no clipping: g = target / sum
    assert drive_matching_gain(np.array([[1.0, 2.0, 3.0]]), 12.0) == pytest.approx(2.0)
    # clipping: r = [1, 2, 10], ceiling 10, target 20 -> 10 + g + 2g = 20 -> g = 10/3
    gain = drive_matching_gain(np.array([[1.0, 2.0, 10.0]]), 20.0, ceiling=10.0)
    assert gain == pytest.approx(10.0 / 3.0, rel=1e-12)
    # two rows: mean over rows of the clipped sums; r rows [4, 0], [1, 1], ceiling 4, target 5
    # g = 2: row sums min(8,4)+0 = 4 and 2 + 2 = 4 -> mean 4; g = 3: 4 + 6 -> mean 5
    gain = drive_matching_gain(np.array([[4.0, 0.0], [1.0, 1.0]]), 5.0, ceiling=4.0)
    assert gain == pytest.approx(3.0, rel=1e-12)
    with pytest.raises(ValueError, match="cannot be reached"):
        drive_matching_gain(np.array([[1.0, 0.0]]), 300.0)
    with pytest.raises(ValueError, match="no ON/OFF response"):
        drive_matching_gain(np.zeros((2, 3)), 10.0)


def test_gain_rule_on_a_single_dot_is_one_over_the_kernel_mass():
    # one dot image: plain drive 255, rectified drive 255 * sum|DoG kernel| -> g = 1 / sum|K|
    image = np.zeros((1, 784))
    image[0, 14 * 28 + 14] = 255.0
    calibrated = load_encoding("on_off").calibrated(image, (28, 28))
    kernel_mass = np.abs(_dog_of_dot((28, 28), (14, 14), 1.0)).sum()
    assert calibrated.parameters["gain"] == pytest.approx(1.0 / kernel_mass, rel=1e-12)
    assert calibrated.calibration["clipped_fraction"] == 0.0
    assert calibrated.encode(image, (28, 28)).sum() == pytest.approx(255.0, rel=1e-12)


def test_gain_rule_matches_the_plain_drive_with_clipping():
    # a dot, a bright square, a black image and a uniform gray image (large plain drive,
    # no DoG response): the gain must be large, clip some values and still hit the target
    images = np.zeros((4, 28, 28))
    images[0, 14, 14] = 255.0
    images[1, 5:15, 5:15] = 255.0
    images[3] = 200.0
    target = images.reshape(4, -1).sum(axis=1).mean()  # (255 + 25500 + 0 + 156800) / 4
    assert target == pytest.approx(45638.75)
    calibrated = load_encoding("on_off").calibrated(images, (28, 28))
    encoded = calibrated.encode(images, (28, 28))
    assert encoded.sum(axis=1).mean() == pytest.approx(target, rel=1e-9)
    assert calibrated.calibration["mean_drive"] == pytest.approx(target, rel=1e-9)
    assert calibrated.calibration["target_mean_drive"] == pytest.approx(target, rel=1e-15)
    assert (encoded == 255.0).any() and calibrated.calibration["clipped_fraction"] > 0
    unclipped = target / on_off_responses(images, (28, 28), 1.0, 2.0).sum(axis=1).mean()
    assert calibrated.parameters["gain"] > unclipped
    # the same gain is used for other images (no re-calibration in encode)
    other = np.zeros((1, 784))
    other[0, 10 * 28 + 12] = 255.0
    k_centre, k_surround = _kernel_1d(1.0), _kernel_1d(2.0)
    centre_value = calibrated.parameters["gain"] * 255.0 * (k_centre[0] ** 2 - k_surround[0] ** 2)
    assert calibrated.encode(other, (28, 28))[0, 10 * 28 + 12] == pytest.approx(
        min(255.0, centre_value), rel=1e-12
    )
    assert calibrated.to_dict()["parameters"]["gain"] == calibrated.parameters["gain"]


def test_gain_calibration_rejects_images_without_response():
    with pytest.raises(ValueError, match="no ON/OFF response"):
        load_encoding("on_off").calibrated(np.full((3, 784), 90.0), (28, 28))


# --------------------------------------------------------------------------------------------
# loader
# --------------------------------------------------------------------------------------------

_GOOD_LINES = {
    "kind": 'kind = "on_off"',
    "header": "[parameters]",
    "sigma_centre": ('sigma_centre = {value = 1.0, unit = "pixel", source = "s", reason = "r"}'),
    "sigma_surround": (
        'sigma_surround = {value = 2.0, unit = "pixel", source = "s", reason = "r"}'
    ),
    "gain": 'gain = {value = "match_plain_drive", source = "s", reason = "r"}',
    "contrast_normalise": 'contrast_normalise = {value = false, source = "s", reason = "r"}',
    "contrast_floor": (
        'contrast_floor = {value = 10.0, unit = "pixel value", source = "s", reason = "r"}'
    ),
    "border_mode": 'border_mode = {value = "reflect", source = "s", reason = "r"}',
}


def _write(tmp_path, **replacements):
    """Write the good file with some lines replaced (None: removed); "extra" adds a top line."""
    lines = {"extra": None, **_GOOD_LINES, **replacements}
    order = ["kind", "extra", *(key for key in _GOOD_LINES if key != "kind")]
    path = tmp_path / "encoding.toml"
    path.write_text("\n".join(lines[key] for key in order if lines[key] is not None) + "\n")
    return path


def test_good_file_and_shipped_files_load(tmp_path):
    encoding = load_encoding(_write(tmp_path))
    assert encoding.kind == "on_off" and encoding.parameters["sigma_surround"] == 2.0
    assert encoding.source == (tmp_path / "encoding.toml").resolve()
    assert {"plain", "on_off"} <= set(shipped_encoding_names())
    shipped = load_encoding("on_off")
    assert shipped.parameters["sigma_centre"] == 1.0
    assert shipped.parameters["sigma_surround"] == 2.0
    assert shipped.needs_calibration
    assert load_encoding("plain").parameters == {}
    # drive_normalise may be left out of a file (false); the shipped on_off_drive sets it
    assert encoding.parameters["drive_normalise"] is False
    assert shipped.parameters["drive_normalise"] is False
    assert load_encoding("on_off_drive").parameters["drive_normalise"] is True


@pytest.mark.parametrize(
    ("replacements", "key"),
    [
        ({"extra": 'colour = "red"'}, "'colour'"),
        (
            {
                "sigma_centre": 'sigma_center = {value = 1.0, unit = "pixel", source = "s", '
                'reason = "r"}'
            },
            "parameters.sigma_center",
        ),
        (
            {
                "sigma_centre": 'sigma_centre = {value = "one", unit = "pixel", source = "s", '
                'reason = "r"}'
            },
            "parameters.sigma_centre",
        ),
        (
            {
                "sigma_centre": 'sigma_centre = {value = true, unit = "pixel", source = "s", '
                'reason = "r"}'
            },
            "parameters.sigma_centre",
        ),
        (
            {
                "sigma_surround": 'sigma_surround = {value = 1.0, unit = "pixel", source = "s", '
                'reason = "r"}'
            },
            "parameters.sigma_surround",
        ),
        (
            {
                "sigma_centre": 'sigma_centre = {value = -1.0, unit = "pixel", source = "s", '
                'reason = "r"}'
            },
            "parameters.sigma_centre",
        ),
        (
            {
                "contrast_floor": 'contrast_floor = {value = -3, unit = "pixel value", '
                'source = "s", reason = "r"}'
            },
            "parameters.contrast_floor",
        ),
        ({"gain": 'gain = {value = -2.0, source = "s", reason = "r"}'}, "parameters.gain"),
        ({"gain": 'gain = {value = "max", source = "s", reason = "r"}'}, "parameters.gain"),
        ({"gain": None}, "parameters.gain"),
        (
            {"contrast_normalise": 'contrast_normalise = {value = 1, source = "s", reason = "r"}'},
            "parameters.contrast_normalise",
        ),
        (
            {"border_mode": 'border_mode = {value = "constant", source = "s", reason = "r"}'},
            "parameters.border_mode",
        ),
        (
            {
                "border_mode": 'border_mode = {value = "reflect", source = "s", reason = "r"}\n'
                'drive_normalise = {value = "yes", source = "s", reason = "r"}'
            },
            "parameters.drive_normalise",
        ),
        ({"border_mode": 'border_mode = {value = "reflect", reason = "r"}'}, "'source'"),
        (
            {"border_mode": 'border_mode = {value = "reflect", source = "s", reason = ""}'},
            "'reason'",
        ),
        (
            {
                "sigma_centre": 'sigma_centre = {value = 1.0, unit = "mm", source = "s", '
                'reason = "r"}'
            },
            "'unit'",
        ),
        (
            {
                "sigma_centre": 'sigma_centre = {value = 1.0, unit = "pixel", source = "s", '
                'reason = "r", note = "n"}'
            },
            "'note'",
        ),
        ({"sigma_centre": "sigma_centre = 1.0"}, "parameters.sigma_centre"),
        ({"kind": 'kind = "gabor"'}, "kind"),
        ({"kind": None}, "'kind'"),
        ({"kind": 'kind = "plain"'}, "parameters.sigma_centre"),
        ({"kind": 'kind = "on_off'}, "invalid TOML"),
    ],
)
def test_loader_rejects_bad_files_naming_file_and_key(tmp_path, replacements, key):
    path = _write(tmp_path, **replacements)
    with pytest.raises(ConfigError) as raised:
        load_encoding(path)
    message = str(raised.value)
    assert str(path) in message
    assert key in message


def test_loader_rejects_unknown_names_and_missing_files(tmp_path):
    with pytest.raises(ConfigError, match="shipped encodings: .*on_off"):
        load_encoding("no_such_encoding")
    with pytest.raises(ConfigError, match="not found"):
        load_encoding(tmp_path / "missing.toml")


def test_parse_encoding_accepts_a_numeric_gain():
    table = {
        "kind": "on_off",
        "parameters": {
            "sigma_centre": {"value": 1, "unit": "pixel", "source": "s", "reason": "r"},
            "sigma_surround": {"value": 3, "unit": "pixel", "source": "s", "reason": "r"},
            "gain": {"value": 2.5, "source": "s", "reason": "r"},
            "contrast_normalise": {"value": True, "source": "s", "reason": "r"},
            "contrast_floor": {"value": 5, "unit": "pixel value", "source": "s", "reason": "r"},
            "border_mode": {"value": "nearest", "source": "s", "reason": "r"},
        },
    }
    encoding = parse_encoding(table, source="inline")
    assert encoding.parameters["sigma_centre"] == 1.0
    assert isinstance(encoding.parameters["sigma_centre"], float)
    assert encoding.parameters["gain"] == 2.5 and not encoding.needs_calibration
    with pytest.raises(TypeError):
        encoding.parameters["gain"] = 3.0  # read-only


# --------------------------------------------------------------------------------------------
# figure helpers
# --------------------------------------------------------------------------------------------


def test_split_channels_and_signed_map():
    shape = (3, 4)
    on = np.arange(12.0)
    off = 100.0 + np.arange(12.0)
    vector = np.concatenate([on, off])
    maps = split_channels(vector, shape, 2)
    assert maps.shape == (2, 3, 4)
    np.testing.assert_array_equal(maps[0], on.reshape(shape))
    np.testing.assert_array_equal(maps[1], off.reshape(shape))
    np.testing.assert_array_equal(signed_on_off_map(vector, shape), np.full(shape, -100.0))
    matrix = np.stack([vector, 2 * vector, -vector], axis=1)  # (inputs, maps)
    per_map = split_channels(matrix, shape, 2)
    assert per_map.shape == (3, 2, 3, 4)
    np.testing.assert_array_equal(per_map[1, 0], 2 * on.reshape(shape))
    np.testing.assert_array_equal(per_map[2, 1], -off.reshape(shape))
    np.testing.assert_array_equal(signed_on_off_map(matrix, shape)[2], np.full(shape, 100.0))
    assert split_channels(on, shape, 1).shape == (1, 3, 4)
    with pytest.raises(ValueError, match="expected"):
        split_channels(on, shape, 2)
