"""Input encodings: images -> pixel-equivalent intensities for the Poisson rate law.

An *encoding* turns each image (0..255 pixel values, flat or 2-D) into a vector of
*pixel-equivalent intensities*, also in 0..255, that the network's existing rate law turns into
Poisson rates (``rate = intensity / 8 * protocol intensity`` Hz, see
:func:`diehl_cook.simulation.protocol.input_rates`).  Nothing downstream has to know which
encoding made the vector, except that it has ``n_channels * h * w`` entries.

Two kinds are shipped (``equations/encodings/*.toml``, loaded by :func:`load_encoding`):

``plain``
    The identity: the flat image as it is (784 or 1024 inputs).  The default.
``on_off``
    ON/OFF centre-surround channels.  Each image is filtered with a difference of Gaussians
    ``DoG = G(sigma_centre) * x - G(sigma_surround) * x`` on its 2-D grid; the ON channel is
    ``max(DoG, 0)`` (brighter than the surround), the OFF channel ``max(-DoG, 0)`` (darker than
    the surround), and the output is ``[ON (h*w), OFF (h*w)]`` (1568 or 2048 inputs), times a
    gain and clipped to 255.

Border handling
    The Gaussians are computed with ``scipy.ndimage.gaussian_filter`` and ``mode='reflect'``
    (the image is mirrored about its edge, ``d c b a | a b c d``).  Both Gaussians then see a
    constant continuation of a uniform image, so a uniform image gives a zero response
    everywhere, borders included (to rounding, ~1e-14 of the pixel value, which
    :func:`on_off_responses` sets to exactly 0); zero padding
    (``'constant'``) would instead make every bright border an ON edge.  ``'nearest'`` and
    ``'mirror'`` share that property and may be chosen in the TOML file.

Scaling rule (gain)
    The rectified responses are multiplied by one global gain ``g`` and clipped at 255.  The
    shipped rule, ``gain = "match_plain_drive"``, fixes ``g`` once from the training images so
    that the *mean total drive* is that of the plain encoding::

        mean_n sum_j min(g * r_nj, 255) = mean_n sum_i x_ni

    (``r``: rectified ON/OFF responses, ``x``: pixels), solved exactly, clipping included
    (:func:`drive_matching_gain`).  The mean total input rate of the network, and with it the
    number of input spikes per presentation, is then the same as with plain pixels, so the
    protocol's intensity schedule and spike-count threshold keep their meaning.  One fixed gain
    is used rather than per-image max scaling because per-image scaling blows up the noise of
    nearly flat images to full contrast and destroys the relative contrast between images.  The
    gain is calibrated on the training set (:meth:`Encoding.calibrated`) and the same value is
    then used for every split; a fixed number may be given instead.

Contrast normalisation (optional)
    With ``contrast_normalise = true`` each image is first replaced by
    ``(x - mean(x)) / max(std(x), contrast_floor)`` (its own mean and standard deviation over
    its pixels).  A uniform image has ``x - mean = 0`` and stays zero; the floor keeps nearly
    flat images (e.g. a CIFAR-10 sky) from being amplified to full contrast.  As the DoG is
    linear and removes constants, this is a per-image divisive contrast normalisation of the
    response; the global gain then maps the normalised responses back to 0..255.

Drive normalisation (optional)
    With ``drive_normalise = true`` each image's rectified responses are divided by their
    sum (an image with no response stays zero), so that every image has the same total ON+OFF
    response before the global gain; the gain then makes that common total the plain
    encoding's mean drive.  Every image then sends about as many input spikes per
    presentation (clipping at 255 aside), and the neurons compete on the pattern of an image
    rather than on how much it contains: a sandal and a coat drive the layer alike.  The
    k-means yardstick of ``shared/reference/accuracy-anchors.md`` normalises each image the
    same way.  The key is optional in an encoding file (default ``false``).

Image layout: ``images`` is ``(n, h*w)`` (rows as :mod:`diehl_cook.pipeline` passes them),
``(n, h, w)``, or one image ``(h*w,)``; ``image_shape`` is ``(h, w)``, e.g. ``(28, 28)`` for
MNIST and Fashion-MNIST, ``(32, 32)`` for gray CIFAR-10.
"""

from __future__ import annotations

import importlib.resources
import math
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike
from scipy.ndimage import gaussian_filter
from scipy.optimize import brentq

from .errors import ConfigError

__all__ = [
    "BORDER_MODES",
    "ENCODING_KINDS",
    "GAIN_RULE_MATCH_PLAIN_DRIVE",
    "MAX_INTENSITY",
    "ROUNDING_FLOOR",
    "Encoding",
    "contrast_normalise",
    "difference_of_gaussians",
    "drive_matching_gain",
    "encodings_dir",
    "load_encoding",
    "normalise_drive",
    "on_off_responses",
    "parse_encoding",
    "shipped_encoding_names",
    "signed_on_off_map",
    "split_channels",
]

#: Largest pixel-equivalent intensity (a white pixel).
MAX_INTENSITY = 255.0
#: Encoding kinds and their channel names, in output order.
ENCODING_KINDS = {"plain": ("pixel",), "on_off": ("on", "off")}
#: ``gain`` value asking for the data-derived gain of :func:`drive_matching_gain`.
GAIN_RULE_MATCH_PLAIN_DRIVE = "match_plain_drive"
#: Border modes of ``scipy.ndimage`` under which a uniform image has zero DoG response.
BORDER_MODES = ("reflect", "nearest", "mirror")

#: ``|DoG|`` below this (pixel values, or standard deviations with contrast normalisation) is
#: rounding error and set to 0, so that a uniform image gives exactly zero drive.
ROUNDING_FLOOR = 1e-9
#: Images filtered at a time (bounds the temporary memory to ~3 arrays of this many images).
_BATCH_IMAGES = 8192
_TOP_LEVEL_KEYS = {"kind", "description", "parameters"}
_ENTRY_KEYS = {"value", "unit", "source", "reason"}


@dataclass(frozen=True)
class _ParameterSpec:
    """What one parameter of an encoding file must look like."""

    kind: str  # "float", "bool", "str" or "gain" (float or the rule name)
    unit: str | None = None
    choices: tuple = ()
    #: the value of a parameter that a file may leave out (``_REQUIRED``: it must be given)
    default: object = None


#: ``_ParameterSpec.default`` of a parameter that every file must give.
_REQUIRED = None


_PARAMETER_SPECS = {
    "plain": {},
    "on_off": {
        "sigma_centre": _ParameterSpec("float", unit="pixel"),
        "sigma_surround": _ParameterSpec("float", unit="pixel"),
        "gain": _ParameterSpec("gain"),
        "contrast_normalise": _ParameterSpec("bool"),
        "contrast_floor": _ParameterSpec("float", unit="pixel value"),
        "border_mode": _ParameterSpec("str", choices=BORDER_MODES),
        "drive_normalise": _ParameterSpec("bool", default=False),
    },
}


# --------------------------------------------------------------------------------------------
# loading and validation
# --------------------------------------------------------------------------------------------


def encodings_dir() -> Path:
    """Return the folder of the shipped encoding files.

    Returns
    -------
    pathlib.Path
        ``encodings/`` inside the installed ``diehl_cook.equations`` folder (the repository's
        ``equations/encodings/``).
    """
    return Path(str(importlib.resources.files("diehl_cook.equations"))) / "encodings"


def shipped_encoding_names() -> list[str]:
    """Return the names of the shipped encoding files (without ``.toml``), sorted."""
    return sorted(path.stem for path in encodings_dir().glob("*.toml"))


def load_encoding(name_or_path: str | Path) -> Encoding:
    """Load and validate an encoding file.

    Parameters
    ----------
    name_or_path : str or pathlib.Path
        A shipped encoding name (``"plain"``, ``"on_off"``) or the path of a ``.toml`` file.

    Returns
    -------
    Encoding
        The validated encoding, with ``source`` set to the file it came from.

    Raises
    ------
    ConfigError
        If the file is missing, is not valid TOML or holds a bad entry; the message names the
        file and the offending key.
    """
    candidate = Path(name_or_path).expanduser()
    if candidate.suffix == ".toml" or candidate.is_file():
        path = candidate
        if not path.is_file():
            raise ConfigError(f"{path}: encoding file not found")
    else:
        path = encodings_dir() / f"{name_or_path}.toml"
        if not path.is_file():
            raise ConfigError(
                f"unknown encoding {str(name_or_path)!r}; shipped encodings: "
                f"{', '.join(shipped_encoding_names())} (or give the path of a .toml file)"
            )
    try:
        table = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    return parse_encoding(table, source=path.resolve())


def parse_encoding(table: Mapping, source: str | Path | None = None) -> Encoding:
    """Validate an encoding table (the contents of an encoding file).

    Parameters
    ----------
    table : mapping
        ``kind`` (str), optional ``description`` (str) and ``parameters``: one entry per
        parameter of the kind, each a table ``{value, source, reason}`` plus ``unit`` for
        parameters with a unit (``"pixel"`` for the sigmas, ``"pixel value"`` for
        ``contrast_floor``).  ``drive_normalise`` may be left out (false).
    source : str or pathlib.Path, optional
        Where the table came from; named in every error message and kept in the result.

    Returns
    -------
    Encoding
        The validated encoding.

    Raises
    ------
    ConfigError
        For an unknown or missing key, a value of the wrong type, a non-positive sigma, gain
        or floor, ``sigma_surround <= sigma_centre`` or an unknown border mode.
    """
    origin = str(source) if source is not None else "<encoding table>"
    if not isinstance(table, Mapping):
        raise ConfigError(f"{origin}: an encoding must be a table, got {type(table).__name__}")
    unknown = [key for key in table if key not in _TOP_LEVEL_KEYS]
    if unknown:
        raise ConfigError(
            f"{origin}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_TOP_LEVEL_KEYS))})"
        )
    kind = table.get("kind")
    if not isinstance(kind, str):
        raise ConfigError(f"{origin}: key 'kind' must be a string naming the encoding")
    if kind not in ENCODING_KINDS:
        raise ConfigError(
            f"{origin}: kind = {kind!r} is not a known encoding (known: "
            f"{', '.join(ENCODING_KINDS)})"
        )
    if "description" in table and not isinstance(table["description"], str):
        raise ConfigError(f"{origin}: key 'description' must be a string")
    entries = table.get("parameters", {})
    if not isinstance(entries, Mapping):
        raise ConfigError(f"{origin}: key 'parameters' must be a table")
    specs = _PARAMETER_SPECS[kind]
    unknown = [key for key in entries if key not in specs]
    if unknown:
        allowed = ", ".join(specs) if specs else "none"
        raise ConfigError(
            f"{origin}: unknown key 'parameters.{unknown[0]}' for kind {kind!r} "
            f"(allowed: {allowed})"
        )
    missing = [
        name for name, spec in specs.items() if name not in entries and spec.default is _REQUIRED
    ]
    if missing:
        raise ConfigError(f"{origin}: missing key 'parameters.{missing[0]}' for kind {kind!r}")
    values = {
        name: (
            _parse_entry(entries[name], spec, f"{origin}: parameters.{name}")
            if name in entries
            else spec.default
        )
        for name, spec in specs.items()
    }
    if kind == "on_off" and values["sigma_surround"] <= values["sigma_centre"]:
        raise ConfigError(
            f"{origin}: parameters.sigma_surround = {values['sigma_surround']} must be larger "
            f"than parameters.sigma_centre = {values['sigma_centre']} (the surround is the "
            "wider Gaussian)"
        )
    return Encoding(
        kind=kind,
        parameters=values,
        source=Path(source) if source is not None else None,
        description=table.get("description", ""),
    )


def _parse_entry(entry, spec, where):
    if not isinstance(entry, Mapping):
        raise ConfigError(
            f'{where}: must be a table {{value = ..., source = "...", reason = "..."}}'
        )
    unknown = [key for key in entry if key not in _ENTRY_KEYS]
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_ENTRY_KEYS))})"
        )
    for text_key in ("source", "reason"):
        if not isinstance(entry.get(text_key), str) or not entry[text_key].strip():
            raise ConfigError(f"{where}: key {text_key!r} must be a non-empty string")
    if spec.unit is not None and entry.get("unit") != spec.unit:
        raise ConfigError(f"{where}: key 'unit' must be {spec.unit!r}, got {entry.get('unit')!r}")
    if spec.unit is None and "unit" in entry:
        raise ConfigError(f"{where}: key 'unit' is not allowed (the value has no unit)")
    if "value" not in entry:
        raise ConfigError(f"{where}: missing key 'value'")
    value = entry["value"]
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: value must be true or false, got {value!r}")
        return value
    if spec.kind == "str":
        if not isinstance(value, str) or value not in spec.choices:
            raise ConfigError(
                f"{where}: value must be one of {', '.join(map(repr, spec.choices))}, "
                f"got {value!r}"
            )
        return value
    if spec.kind == "gain" and isinstance(value, str):
        if value != GAIN_RULE_MATCH_PLAIN_DRIVE:
            raise ConfigError(
                f"{where}: value must be a positive number or "
                f"{GAIN_RULE_MATCH_PLAIN_DRIVE!r}, got {value!r}"
            )
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: value must be a number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{where}: value must be positive and finite, got {value!r}")
    return float(value)


# --------------------------------------------------------------------------------------------
# the encoding object
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Encoding:
    """A validated input encoding.

    Attributes
    ----------
    kind : str
        ``"plain"`` or ``"on_off"``.
    parameters : mapping
        Read-only parameter values: for ``on_off``, ``sigma_centre`` and ``sigma_surround``
        (pixels), ``gain`` (dimensionless factor, or ``"match_plain_drive"`` until
        calibrated), ``contrast_normalise`` (bool), ``contrast_floor`` (pixel value, 0..255
        scale), ``border_mode`` (str) and ``drive_normalise`` (bool).  Empty for ``plain``.
    source : pathlib.Path or None
        File the encoding was loaded from.
    description : str
        Free text from the file.
    calibration : mapping or None
        Set by :meth:`calibrated`: ``rule``, ``n_images``, ``image_shape``,
        ``target_mean_drive`` (mean summed pixel value of the calibration images),
        ``mean_drive`` (the same for the encoded images) and ``clipped_fraction`` (fraction
        of non-zero encoded values clipped at 255).
    """

    kind: str
    parameters: Mapping = field(default_factory=dict)
    source: Path | None = None
    description: str = ""
    calibration: Mapping | None = None

    def __post_init__(self):
        if self.kind not in ENCODING_KINDS:
            raise ValueError(f"unknown encoding kind {self.kind!r}")
        object.__setattr__(self, "parameters", MappingProxyType(dict(self.parameters)))
        if self.calibration is not None:
            object.__setattr__(self, "calibration", MappingProxyType(dict(self.calibration)))

    @property
    def channel_names(self) -> tuple[str, ...]:
        """Names of the channels, in output order: ``('pixel',)`` or ``('on', 'off')``."""
        return ENCODING_KINDS[self.kind]

    @property
    def n_channels(self) -> int:
        """Number of channels (1 for ``plain``, 2 for ``on_off``)."""
        return len(self.channel_names)

    @property
    def needs_calibration(self) -> bool:
        """Whether the gain is still the data-derived rule (call :meth:`calibrated` first)."""
        return self.parameters.get("gain") == GAIN_RULE_MATCH_PLAIN_DRIVE

    def n_inputs(self, image_shape: tuple[int, int]) -> int:
        """Return the number of network inputs for images of ``image_shape``.

        Parameters
        ----------
        image_shape : tuple of int
            ``(h, w)`` in pixels.

        Returns
        -------
        int
            ``n_channels * h * w``: 784 or 1024 for ``plain``, 1568 or 2048 for ``on_off``.
        """
        height, width = _check_shape(image_shape)
        return self.n_channels * height * width

    def encode(self, images: ArrayLike, image_shape: tuple[int, int]) -> np.ndarray:
        """Encode images into pixel-equivalent intensities.

        Parameters
        ----------
        images : array_like
            ``(n, h*w)``, ``(n, h, w)`` or one image ``(h*w,)``; pixel values in 0..255.
        image_shape : tuple of int
            ``(h, w)`` in pixels.

        Returns
        -------
        numpy.ndarray of float64
            ``(n, n_channels*h*w)`` (``(n_channels*h*w,)`` for one image), values in
            [0, 255].  ``plain`` returns the images unchanged (as float64 rows; for a float64
            input this is a view of it, not a copy); ``on_off`` returns ``[ON, OFF]`` per row.

        Raises
        ------
        ValueError
            If the images do not match ``image_shape``, hold values outside 0..255, or the
            gain is still ``"match_plain_drive"`` (call :meth:`calibrated` first, on the
            training images, so that every split uses the same gain).
        """
        stack, single = _image_stack(images, image_shape)
        if self.kind == "plain":
            encoded = stack.reshape(len(stack), -1)
        else:
            if self.needs_calibration:
                raise ValueError(
                    f"encoding {self._name()} has gain = {GAIN_RULE_MATCH_PLAIN_DRIVE!r}: "
                    "call .calibrated(training_images, image_shape) first and encode every "
                    "split with the calibrated encoding"
                )
            gain = float(self.parameters["gain"])
            encoded = np.empty((len(stack), self.n_inputs(image_shape)))
            for start, responses in self._response_batches(stack):
                np.multiply(responses, gain, out=responses)
                np.minimum(responses, MAX_INTENSITY, out=encoded[start : start + len(responses)])
        return encoded[0] if single else encoded

    def calibrated(self, images: ArrayLike, image_shape: tuple[int, int]) -> Encoding:
        """Return a copy whose data-derived gain is fixed from ``images``.

        With ``gain = "match_plain_drive"`` the gain is solved so that the mean over
        ``images`` of the summed encoded intensities (clipping at 255 included) equals the
        mean summed pixel value of ``images`` (:func:`drive_matching_gain`).  Calibrate on the
        training images and encode every split with the result.  A ``plain`` encoding or one
        with a numeric gain is returned unchanged.

        Parameters
        ----------
        images : array_like
            Calibration images, ``(n, h*w)`` or ``(n, h, w)``, pixel values in 0..255.
        image_shape : tuple of int
            ``(h, w)`` in pixels.

        Returns
        -------
        Encoding
            The encoding with a numeric ``gain`` and ``calibration`` filled in.

        Raises
        ------
        ValueError
            If the images give no ON/OFF response at all (e.g. all uniform) or the target
            drive cannot be reached even with every responding input at 255.
        """
        if not self.needs_calibration:
            return self
        stack, _ = _image_stack(images, image_shape)
        target_total = float(stack.sum())
        response_total, n_positive, largest = 0.0, 0, 0.0
        for _, responses in self._response_batches(stack):
            response_total += float(responses.sum())
            n_positive += int(np.count_nonzero(responses))
            largest = max(largest, float(responses.max(initial=0.0)))

        def values_above(cutoff):
            return np.concatenate(
                [responses[responses > cutoff] for _, responses in self._response_batches(stack)]
            )

        try:
            gain = _solve_gain(
                target_total, response_total, n_positive, largest, values_above, MAX_INTENSITY
            )
        except ValueError as error:
            raise ValueError(f"encoding {self._name()}: {error}") from None
        encoded_total, n_clipped = 0.0, 0
        for _, responses in self._response_batches(stack):
            scaled = responses * gain
            n_clipped += int(np.count_nonzero(scaled >= MAX_INTENSITY))
            encoded_total += float(np.minimum(scaled, MAX_INTENSITY).sum())
        calibration = {
            "rule": GAIN_RULE_MATCH_PLAIN_DRIVE,
            "n_images": len(stack),
            "image_shape": list(_check_shape(image_shape)),
            "target_mean_drive": target_total / len(stack),
            "mean_drive": encoded_total / len(stack),
            "clipped_fraction": n_clipped / n_positive,
        }
        return replace(self, parameters={**self.parameters, "gain": gain}, calibration=calibration)

    def to_dict(self) -> dict:
        """Return a JSON-friendly description (kind, parameters, source, calibration)."""
        return {
            "kind": self.kind,
            "parameters": dict(self.parameters),
            "source": str(self.source) if self.source is not None else None,
            "calibration": dict(self.calibration) if self.calibration is not None else None,
        }

    def _name(self):
        return str(self.source) if self.source is not None else repr(self.kind)

    def _response_batches(self, stack) -> Iterator[tuple[int, np.ndarray]]:
        parameters = self.parameters
        for start in range(0, len(stack), _BATCH_IMAGES):
            responses = on_off_responses(
                stack[start : start + _BATCH_IMAGES],
                stack.shape[1:],
                parameters["sigma_centre"],
                parameters["sigma_surround"],
                normalise_contrast=parameters["contrast_normalise"],
                contrast_floor=parameters["contrast_floor"],
                border_mode=parameters["border_mode"],
            )
            if parameters.get("drive_normalise", False):
                responses = normalise_drive(responses)
            yield start, responses


# --------------------------------------------------------------------------------------------
# filters
# --------------------------------------------------------------------------------------------


def _check_shape(image_shape):
    shape = tuple(int(side) for side in image_shape)
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"image_shape must be (h, w) with positive sides, got {image_shape}")
    return shape


def _image_stack(images, image_shape, check_range=True):
    """Return ``(stack (n, h, w) float64, single)`` for flat, 2-D or stacked images."""
    height, width = _check_shape(image_shape)
    array = np.asarray(images, dtype=np.float64)
    single = array.ndim == 1 or array.shape == (height, width)
    if array.ndim == 1 and array.shape[0] == height * width:
        stack = array.reshape(1, height, width)
    elif array.shape == (height, width):
        stack = array.reshape(1, height, width)
    elif array.ndim == 2 and array.shape[1] == height * width:
        stack = array.reshape(len(array), height, width)
    elif array.ndim == 3 and array.shape[1:] == (height, width):
        stack = array
    else:
        raise ValueError(
            f"images of shape {array.shape} do not match image_shape {(height, width)} "
            f"(expected (n, {height * width}), (n, {height}, {width}) or ({height * width},))"
        )
    if check_range and stack.size:
        low, high = float(stack.min()), float(stack.max())
        if not (0.0 <= low and high <= MAX_INTENSITY):
            raise ValueError(
                f"pixel values must lie in [0, 255] (got min {low}, max {high}); the rate law "
                "expects 0..255 images"
            )
    return stack, single


def normalise_drive(responses: np.ndarray) -> np.ndarray:
    """Divide each row of ``responses`` by its sum, in place (rows summing to 0 stay 0).

    Parameters
    ----------
    responses : numpy.ndarray of float64
        ``(n, n_inputs)`` non-negative responses, one row per image.

    Returns
    -------
    numpy.ndarray
        ``responses``, each row now summing to 1 (or all 0).
    """
    totals = responses.sum(axis=1, keepdims=True)
    np.divide(responses, totals, out=responses, where=totals > 0)
    return responses


def contrast_normalise(
    images: ArrayLike, image_shape: tuple[int, int], floor: float
) -> np.ndarray:
    """Subtract each image's mean and divide by its standard deviation (floored).

    Parameters
    ----------
    images : array_like
        ``(n, h*w)`` or ``(n, h, w)`` (or one image), any real values.
    image_shape : tuple of int
        ``(h, w)`` in pixels.
    floor : float
        Smallest divisor, in the units of the images (pixel values, 0..255 scale); must be
        positive.  Images with a standard deviation below it are divided by ``floor``.

    Returns
    -------
    numpy.ndarray of float64
        ``(n, h, w)``: ``(x - mean(x)) / max(std(x), floor)`` per image (dimensionless,
        zero-mean; a uniform image gives exactly 0).
    """
    if not floor > 0:
        raise ValueError(f"floor must be positive, got {floor}")
    stack, _ = _image_stack(images, image_shape, check_range=False)
    centred = stack - stack.mean(axis=(1, 2), keepdims=True)
    spread = np.maximum(stack.std(axis=(1, 2), keepdims=True), floor)
    return centred / spread


def difference_of_gaussians(
    images: ArrayLike,
    image_shape: tuple[int, int],
    sigma_centre: float,
    sigma_surround: float,
    border_mode: str = "reflect",
) -> np.ndarray:
    """Filter images with a centre-minus-surround difference of Gaussians.

    Parameters
    ----------
    images : array_like
        ``(n, h*w)`` or ``(n, h, w)`` (or one image), any real values.
    image_shape : tuple of int
        ``(h, w)`` in pixels.
    sigma_centre, sigma_surround : float
        Standard deviations of the centre and surround Gaussians, in pixels
        (``0 < sigma_centre < sigma_surround``).
    border_mode : {'reflect', 'nearest', 'mirror'}
        How ``scipy.ndimage.gaussian_filter`` extends the image past its border; each keeps a
        uniform image uniform, so its DoG response is zero everywhere.

    Returns
    -------
    numpy.ndarray of float64
        ``(n, h, w)`` signed responses, in the units of the images.  Each Gaussian is the
        sampled kernel normalised to unit sum, truncated at 4 sigma (scipy's default), so
        the filter's coefficients sum to zero.
    """
    if not 0 < sigma_centre < sigma_surround:
        raise ValueError(
            f"need 0 < sigma_centre < sigma_surround, got {sigma_centre} and {sigma_surround}"
        )
    if border_mode not in BORDER_MODES:
        raise ValueError(f"border_mode must be one of {BORDER_MODES}, got {border_mode!r}")
    stack, _ = _image_stack(images, image_shape, check_range=False)
    centre = gaussian_filter(stack, (0.0, sigma_centre, sigma_centre), mode=border_mode)
    surround = gaussian_filter(stack, (0.0, sigma_surround, sigma_surround), mode=border_mode)
    centre -= surround
    return centre


def on_off_responses(
    images: ArrayLike,
    image_shape: tuple[int, int],
    sigma_centre: float,
    sigma_surround: float,
    *,
    normalise_contrast: bool = False,
    contrast_floor: float = 10.0,
    border_mode: str = "reflect",
) -> np.ndarray:
    """Return the rectified ON and OFF responses of images, before gain and clipping.

    Parameters
    ----------
    images : array_like
        ``(n, h*w)`` or ``(n, h, w)`` (or one image), pixel values.
    image_shape : tuple of int
        ``(h, w)`` in pixels.
    sigma_centre, sigma_surround : float
        DoG standard deviations, in pixels.
    normalise_contrast : bool
        Apply :func:`contrast_normalise` (with ``contrast_floor``) before the DoG.
    contrast_floor : float
        Floor of the per-image standard deviation, in pixel values.
    border_mode : str
        See :func:`difference_of_gaussians`.

    Returns
    -------
    numpy.ndarray of float64
        ``(n, 2*h*w)``: ``[max(DoG, 0), max(-DoG, 0)]`` per row, in pixel values (or in
        units of the image's standard deviation with contrast normalisation).  Responses
        smaller in magnitude than :data:`ROUNDING_FLOOR` (1e-9) are set to 0: they are the
        rounding error of filtering a uniform region (~1e-14 of its value), and would
        otherwise let an all-uniform calibration set produce an enormous gain.
    """
    stack, _ = _image_stack(images, image_shape, check_range=False)
    if normalise_contrast:
        stack = contrast_normalise(stack, image_shape, contrast_floor)
    response = difference_of_gaussians(
        stack, image_shape, sigma_centre, sigma_surround, border_mode
    ).reshape(len(stack), -1)
    response[np.abs(response) < ROUNDING_FLOOR] = 0.0
    channels = np.empty((len(stack), 2 * response.shape[1]))
    np.maximum(response, 0.0, out=channels[:, : response.shape[1]])
    np.negative(response, out=response)
    np.maximum(response, 0.0, out=channels[:, response.shape[1] :])
    return channels


def drive_matching_gain(
    responses: ArrayLike, target_mean_drive: float, ceiling: float = MAX_INTENSITY
) -> float:
    """Solve for the gain that gives a target mean total drive after clipping.

    Finds ``g`` with ``mean_n sum_j min(g * r_nj, ceiling) = target_mean_drive``.  Without
    clipping this is ``g = target / mean_n sum_j r_nj``; when that makes some values exceed
    the ceiling, the (continuous, increasing, piecewise-linear) left side is solved exactly
    for the larger gain that makes up for the clipped part.

    Parameters
    ----------
    responses : array_like
        ``(n, n_inputs)`` non-negative responses (e.g. :func:`on_off_responses`).
    target_mean_drive : float
        Wanted mean over the ``n`` rows of the summed encoded intensities, in pixel values
        (for the ``match_plain_drive`` rule: the mean summed pixel value of the plain images).
    ceiling : float
        Largest encoded intensity (255).

    Returns
    -------
    float
        The gain (dimensionless, positive).

    Raises
    ------
    ValueError
        If all responses are zero, or the target exceeds ``ceiling`` times the mean number of
        non-zero responses per row (unreachable).
    """
    values = np.asarray(responses, dtype=np.float64)
    if values.ndim != 2 or values.size == 0:
        raise ValueError(f"responses must be a non-empty (n, n_inputs) array, got {values.shape}")
    if values.min() < 0:
        raise ValueError("responses must be non-negative")
    return _solve_gain(
        target_mean_drive * len(values),
        float(values.sum()),
        int(np.count_nonzero(values)),
        float(values.max()),
        lambda cutoff: values[values > cutoff],
        ceiling,
    )


def _solve_gain(
    target_total: float,
    response_total: float,
    n_positive: int,
    largest: float,
    values_above: Callable[[float], np.ndarray],
    ceiling: float,
) -> float:
    """Solve ``sum min(g r, ceiling) = target_total`` given summary statistics of ``r``.

    ``values_above(c)`` returns every response ``> c``; only the upper tail of the responses
    is ever sorted, so the calibration of 60,000 images needs no copy of all responses.
    """
    if target_total <= 0:
        raise ValueError(f"the target drive must be positive, got {target_total}")
    if response_total <= 0:
        raise ValueError("the images give no ON/OFF response at all (uniform images?)")
    if target_total >= ceiling * n_positive * (1 - 1e-12):
        raise ValueError(
            f"the target drive {target_total:.6g} cannot be reached: even with every responding "
            f"input at {ceiling:g} the drive is {ceiling * n_positive:.6g}"
        )
    unclipped_gain = target_total / response_total
    if unclipped_gain * largest <= ceiling:
        return unclipped_gain
    stretch = 2.0
    while True:
        high_gain = unclipped_gain * stretch
        tail = np.sort(values_above(ceiling / high_gain))[::-1]  # descending
        top_sums = np.concatenate(([0.0], np.cumsum(tail)))

        def clipped_total(gain, tail=tail, top_sums=top_sums):
            n_clipped = int(np.searchsorted(-tail, -ceiling / gain, side="left"))
            return gain * (response_total - top_sums[n_clipped]) + ceiling * n_clipped

        if clipped_total(high_gain) >= target_total:
            return float(
                brentq(
                    lambda gain: clipped_total(gain) - target_total,
                    unclipped_gain,
                    high_gain,
                    xtol=1e-15,
                    rtol=4 * np.finfo(float).eps,
                )
            )
        stretch *= 4.0


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------


def split_channels(
    vector_or_matrix: ArrayLike, image_shape: tuple[int, int], n_channels: int
) -> np.ndarray:
    """Cut input-space vectors (weights, MI maps, encoded images) into per-channel 2-D maps.

    Parameters
    ----------
    vector_or_matrix : array_like
        ``(n_channels*h*w,)`` for one map, or ``(n_channels*h*w, n_maps)`` with one map per
        column (the layout of ``input_to_exc.w``: inputs x neurons).
    image_shape : tuple of int
        ``(h, w)`` in pixels.
    n_channels : int
        Number of channels (1 plain, 2 ON/OFF), laid out as consecutive blocks of ``h*w``.

    Returns
    -------
    numpy.ndarray
        ``(n_channels, h, w)`` for one map, ``(n_maps, n_channels, h, w)`` for a matrix; the
        channel order is that of :attr:`Encoding.channel_names`.
    """
    height, width = _check_shape(image_shape)
    array = np.asarray(vector_or_matrix)
    n_pixels = n_channels * height * width
    if n_channels < 1 or array.ndim not in (1, 2) or array.shape[0] != n_pixels:
        raise ValueError(
            f"expected ({n_pixels},) or ({n_pixels}, n_maps) for {n_channels} channel(s) of "
            f"{height}x{width}, got {array.shape}"
        )
    if array.ndim == 1:
        return array.reshape(n_channels, height, width)
    return np.moveaxis(array, 1, 0).reshape(array.shape[1], n_channels, height, width)


def signed_on_off_map(vector_or_matrix: ArrayLike, image_shape: tuple[int, int]) -> np.ndarray:
    """Return ON minus OFF as one signed 2-D map per vector.

    For a weight map this shows what the neuron prefers: positive where it listens to ON
    cells (brighter than surround), negative where it listens to OFF cells (darker).

    Parameters
    ----------
    vector_or_matrix : array_like
        ``(2*h*w,)`` or ``(2*h*w, n_maps)`` in ``[ON, OFF]`` layout.
    image_shape : tuple of int
        ``(h, w)`` in pixels.

    Returns
    -------
    numpy.ndarray
        ``(h, w)`` or ``(n_maps, h, w)``: ``ON - OFF``, in the units of the input.
    """
    channels = split_channels(vector_or_matrix, image_shape, 2)
    return channels[..., 0, :, :] - channels[..., 1, :, :]
