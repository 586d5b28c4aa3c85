r"""
Body-surface area (BSA) from height and weight, by the published formulas.

Each formula takes numeric inputs (float or ndarray, height in [cm], weight in
[kg]) or pint Quantities in any length and mass unit, and returns a Quantity in
[m²]. Scalars and arrays run the same numpy code. The power-law formulas
:math:`BSA = c\,W^{a} H^{b}` are evaluated as :math:`c\,e^{a \ln W + b \ln H}`,
which is about twice as fast as ``np.power`` on large arrays.

:func:`bsa` dispatches by name; :data:`BSA_METHODS` maps each name to its
function and reference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from .errors import MissingInputError, UnknownNameError
from .units import quantity
from .validation import (
    BSA,
    HEIGHT,
    WEIGHT,
    Body,
    checked,
    checked_body,
    common_index,
    is_female,
    pandas_series,
    same_length,
)

__all__ = [
    "bsa",
    "bsa_magnitude",
    "checked_bsa",
    "bsa_method",
    "BSA_METHODS",
    "BSA_METHOD_SPELLINGS",
    "BSAMethod",
    "mosteller",
    "dubois",
    "haycock",
    "gehan_george",
    "boyd",
    "fujimoto",
    "takahira",
    "shuter_aslani",
    "schlich",
    "livingston_lee",
]


def _scratch(values):
    # a float array a kernel has just computed, for its next step to write into (a column of 1e6 BSAs is 8 MB a
    # step); None, a new result, for a scalar
    return values if isinstance(values, np.ndarray) and values.dtype == np.float64 else None


def _power_law(coefficient, height_cm, weight_kg, height_exponent, weight_exponent):
    # c * W**a * H**b, by exp/log: c * exp(a ln W + b ln H), each step written over the last
    exponent = np.log(weight_kg)
    exponent = np.multiply(exponent, weight_exponent, out=_scratch(exponent))
    height_term = np.log(height_cm)
    height_term = np.multiply(height_term, height_exponent, out=_scratch(height_term))
    exponent = np.add(exponent, height_term, out=_scratch(exponent))
    exponent = np.exp(exponent, out=_scratch(exponent))
    return np.multiply(exponent, coefficient, out=_scratch(exponent))


def _square_metres(magnitude_m2):
    return quantity(magnitude_m2, "m**2")


def _inputs(height, weight):
    return checked(height, HEIGHT), checked(weight, WEIGHT)


# --- the kernels: magnitudes in, m² out, no checks (the cohort engine masks first)


def mosteller_kernel(height_cm, weight_kg):
    # sqrt(H W / 3600), each step written over the product
    product = height_cm * weight_kg
    product = np.divide(product, 3600.0, out=_scratch(product))
    return np.sqrt(product, out=_scratch(product))


def dubois_kernel(height_cm, weight_kg):
    return _power_law(0.007184, height_cm, weight_kg, 0.725, 0.425)


def haycock_kernel(height_cm, weight_kg):
    return _power_law(0.024265, height_cm, weight_kg, 0.3964, 0.5378)


def gehan_george_kernel(height_cm, weight_kg):
    return _power_law(0.0235, height_cm, weight_kg, 0.42246, 0.51456)


def boyd_kernel(height_cm, weight_kg):
    weight_g = 1000.0 * weight_kg
    weight_exponent = 0.7285 - 0.0188 * np.log10(weight_g)
    return 0.0003207 * np.exp(0.3 * np.log(height_cm) + weight_exponent * np.log(weight_g))


def fujimoto_kernel(height_cm, weight_kg):
    return _power_law(0.008883, height_cm, weight_kg, 0.663, 0.444)


def takahira_kernel(height_cm, weight_kg):
    return _power_law(0.007241, height_cm, weight_kg, 0.725, 0.425)


def shuter_aslani_kernel(height_cm, weight_kg):
    return _power_law(0.00949, height_cm, weight_kg, 0.655, 0.441)


def schlich_kernel(height_cm, weight_kg, female):
    women = _power_law(0.000975482, height_cm, weight_kg, 1.08, 0.46)
    men = _power_law(0.000579479, height_cm, weight_kg, 1.24, 0.38)
    return np.where(female, women, men)


def livingston_lee_kernel(weight_kg):
    adults = 0.1173 * np.exp(0.6466 * np.log(weight_kg))
    infants = 0.1037 * np.exp(0.6724 * np.log(weight_kg))
    return np.where(weight_kg >= 10.0, adults, infants)


_PARAMETERS = """Parameters
    ----------
    height : numeric or Quantity
        Standing height (recumbent length in infants); plain numbers in [cm].
    weight : numeric or Quantity
        Body weight; plain numbers in [kg].

    Returns
    -------
    bsa : Quantity
        Body surface area. [m²]

    Raises
    ------
    ImplausibleInputError
        If height or weight is NaN, non-positive or outside the human range.
    UnitError
        If a quantity is not a length or a mass."""


def _documented(formula):
    # the parameters, returns and errors that every height-weight formula shares
    formula.__doc__ = formula.__doc__.replace("{parameters}", _PARAMETERS)
    return formula


# --- the public formulas ------------------------------------------------------


@_documented
def mosteller(height, weight):
    r"""
    Body surface area by Mosteller [1]_.

    .. math:: BSA = \sqrt{H W / 3600}

    {parameters}

    References
    ----------
    .. [1] R. D. Mosteller, "Simplified calculation of body-surface area,"
       N. Engl. J. Med., vol. 317, no. 17, p. 1098, 1987,
       doi:10.1056/NEJM198710223171717.

    Examples
    --------
    >>> mosteller(180, 80).m_as("m**2")
    2.0
    """
    return _square_metres(mosteller_kernel(*_inputs(height, weight)))


@_documented
def dubois(height, weight):
    r"""
    Body surface area by Du Bois and Du Bois [1]_.

    .. math:: BSA = 0.007184\, W^{0.425} H^{0.725}

    The paper states :math:`A = 71.84\, W^{0.425} H^{0.725}` in [cm²], the
    same equation in other units.

    {parameters}

    References
    ----------
    .. [1] D. Du Bois and E. F. Du Bois, "A formula to estimate the
       approximate surface area if height and weight be known," Arch. Intern.
       Med., vol. 17, no. 6, pp. 863-871, 1916,
       doi:10.1001/archinte.1916.00080130010002.

    Examples
    --------
    80 kg and 180 cm (1.996 m² in the clinPK test suite):

    >>> round(dubois(180, 80).m_as("m**2"), 3)
    1.996
    """
    return _square_metres(dubois_kernel(*_inputs(height, weight)))


@_documented
def haycock(height, weight):
    r"""
    Body surface area by Haycock, Schwartz and Wisotsky [1]_.

    .. math:: BSA = 0.024265\, W^{0.5378} H^{0.3964}

    Validated in infants, children and adults.

    {parameters}

    References
    ----------
    .. [1] G. B. Haycock, G. J. Schwartz and D. H. Wisotsky, "Geometric method
       for measuring body surface area: a height-weight formula validated in
       infants, children, and adults," J. Pediatr., vol. 93, no. 1,
       pp. 62-66, 1978, doi:10.1016/S0022-3476(78)80601-5.

    Examples
    --------
    80 kg and 180 cm (2.007 m² in the clinPK test suite):

    >>> round(haycock(180, 80).m_as("m**2"), 3)
    2.007
    """
    return _square_metres(haycock_kernel(*_inputs(height, weight)))


@_documented
def gehan_george(height, weight):
    r"""
    Body surface area by Gehan and George [1]_.

    .. math:: BSA = 0.0235\, W^{0.51456} H^{0.42246}

    {parameters}

    References
    ----------
    .. [1] E. A. Gehan and S. L. George, "Estimation of human body surface
       area from height and weight," Cancer Chemother. Rep., vol. 54, no. 4,
       pp. 225-235, 1970. PMID 5527019.

    Examples
    --------
    80 kg and 180 cm (2.009 m² in the clinPK test suite):

    >>> round(gehan_george(180, 80).m_as("m**2"), 3)
    2.009
    """
    return _square_metres(gehan_george_kernel(*_inputs(height, weight)))


@_documented
def boyd(height, weight):
    r"""
    Body surface area by Boyd [1]_, weight in grams.

    .. math:: BSA = 0.0003207\, H^{0.3}\, W_g^{\,0.7285 - 0.0188 \log_{10} W_g}

    with :math:`W_g` the weight in [g]; Boyd states the area as
    :math:`3.207\,H^{0.3} W_g^{(\ldots)}` in [cm²]. (A published kg form with
    0.0333 is the same equation; 0.0003330 with grams, seen in some code, is a
    mix-up.)

    {parameters}

    References
    ----------
    .. [1] E. Boyd, *The Growth of the Surface Area of the Human Body.*
       Minneapolis: University of Minnesota Press, 1935.

    Examples
    --------
    80 kg and 180 cm (2.007 m² in the clinPK test suite; the 0.0003330 mix-up gives 2.084):

    >>> round(boyd(180, 80).m_as("m**2"), 3)
    2.007
    """
    return _square_metres(boyd_kernel(*_inputs(height, weight)))


@_documented
def fujimoto(height, weight):
    r"""
    Body surface area by Fujimoto et al. [1]_ (Japanese adults).

    .. math:: BSA = 0.008883\, W^{0.444} H^{0.663}

    {parameters}

    References
    ----------
    .. [1] S. Fujimoto, T. Watanabe, A. Sakamoto, K. Yukawa and K. Morimoto,
       "Studies on the physical surface area of Japanese. 18. Calculation
       formulas in three stages over all ages," Nippon Eiseigaku Zasshi,
       vol. 23, no. 5, pp. 443-450, 1968, doi:10.1265/jjh.23.443.

    Examples
    --------
    75 kg and 170 cm (1.819 m² in the admiral test suite):

    >>> round(fujimoto(170, 75).m_as("m**2"), 3)
    1.819
    """
    return _square_metres(fujimoto_kernel(*_inputs(height, weight)))


@_documented
def takahira(height, weight):
    r"""
    Body surface area by Takahira [1]_ (Japanese adults).

    .. math:: BSA = 0.007241\, W^{0.425} H^{0.725}

    Du Bois and Du Bois's exponents with a constant for Japanese subjects.

    {parameters}

    References
    ----------
    .. [1] H. Takahira, "Estimation of the body surface area in Japanese,"
       Nippon Eiseigaku Zasshi, 1925; as cited by Fujimoto et al., 1968,
       doi:10.1265/jjh.23.443.

    Examples
    --------
    75 kg and 170 cm (1.878 m² in the admiral test suite):

    >>> round(takahira(170, 75).m_as("m**2"), 3)
    1.878
    """
    return _square_metres(takahira_kernel(*_inputs(height, weight)))


@_documented
def shuter_aslani(height, weight):
    r"""
    Body surface area by Shuter and Aslani [1]_.

    .. math:: BSA = 0.00949\, W^{0.441} H^{0.655}

    {parameters}

    References
    ----------
    .. [1] B. Shuter and A. Aslani, "Body surface area: Du Bois and Du Bois
       revisited," Eur. J. Appl. Physiol., vol. 82, no. 3, pp. 250-254, 2000,
       doi:10.1007/s004210050679.

    Examples
    --------
    75 kg and 170 cm, by the equation: 0.00949 × 75^0.441 × 170^0.655 m²:

    >>> round(shuter_aslani(170, 75).m_as("m**2"), 3)
    1.841
    """
    return _square_metres(shuter_aslani_kernel(*_inputs(height, weight)))


def schlich(height, weight, sex):
    r"""
    Body surface area by Schlich et al. [1]_, sex-specific.

    .. math::
        BSA_{women} = 0.000975482\, W^{0.46} H^{1.08}

        BSA_{men} = 0.000579479\, W^{0.38} H^{1.24}

    Parameters
    ----------
    height : numeric or Quantity
        Standing height; plain numbers in [cm].
    weight : numeric or Quantity
        Body weight; plain numbers in [kg].
    sex : str or array of str
        ``"f"``/``"female"`` or ``"m"``/``"male"``. Required: never defaulted.

    Returns
    -------
    bsa : Quantity
        Body surface area. [m²]

    Raises
    ------
    UnknownNameError
        If a sex is neither female nor male.
    ImplausibleInputError, UnitError
        If height or weight is implausible or of the wrong unit.

    References
    ----------
    .. [1] E. Schlich, M. Schumm and M. Schlich, "3-D-Body-Scan als
       anthropometrisches Verfahren zur Bestimmung der spezifischen
       Körperoberfläche," Ernährungs Umschau, vol. 57, pp. 178-183, 2010.

    Examples
    --------
    A woman of 75 kg and 170 cm, by the equation: 0.000975482 × 75^0.46 × 170^1.08 m²:

    >>> round(schlich(170, 75, "f").m_as("m**2"), 4)
    1.8224
    """
    height_cm, weight_kg = _inputs(height, weight)
    return _square_metres(schlich_kernel(height_cm, weight_kg, is_female(sex)))


def livingston_lee(weight):
    r"""
    Body surface area from weight alone, by Livingston and Lee [1]_.

    .. math::
        BSA = 0.1173\, W^{0.6466} \quad (W \ge 10\ \mathrm{kg})

        BSA = 0.1037\, W^{0.6724} \quad (W < 10\ \mathrm{kg})

    Fitted to obese as well as normal-weight patients (51-249 kg), where
    Du Bois and Du Bois underestimates BSA by up to 20 %. The paper gives the
    second equation for infants and small children.

    Parameters
    ----------
    weight : numeric or Quantity
        Body weight; plain numbers in [kg].

    Returns
    -------
    bsa : Quantity
        Body surface area. [m²]

    Raises
    ------
    ImplausibleInputError, UnitError
        If the weight is implausible or not a mass.

    References
    ----------
    .. [1] E. H. Livingston and S. Lee, "Body surface area prediction in
       normal-weight and obese patients," Am. J. Physiol. Endocrinol. Metab.,
       vol. 281, no. 3, pp. E586-E591, 2001,
       doi:10.1152/ajpendo.2001.281.3.E586.

    Examples
    --------
    75 kg, by the equation: 0.1173 × 75^0.6466 m²:

    >>> round(livingston_lee(75).m_as("m**2"), 3)
    1.913
    """
    return _square_metres(livingston_lee_kernel(checked(weight, WEIGHT)))


class BSAMethod(NamedTuple):
    """A BSA formula: its function, kernel, label and reference."""

    function: Callable
    kernel: Callable
    label: str
    reference: str
    needs_height: bool = True
    needs_sex: bool = False
    #: The formula rises with height and with weight, so that a column's BSAs lie between those of its
    #: shortest and lightest and its tallest and heaviest pairs (see :func:`checked_bsa`).
    rising: bool = False


BSA_METHODS: dict[str, BSAMethod] = {
    "mosteller": BSAMethod(
        mosteller,
        mosteller_kernel,
        "Mosteller",
        "Mosteller RD. N Engl J Med 1987;317:1098. doi:10.1056/NEJM198710223171717",
        rising=True,
    ),
    "dubois": BSAMethod(
        dubois,
        dubois_kernel,
        "Du Bois & Du Bois",
        "Du Bois D, Du Bois EF. Arch Intern Med 1916;17:863-71. doi:10.1001/archinte.1916.00080130010002",
        rising=True,
    ),
    "haycock": BSAMethod(
        haycock,
        haycock_kernel,
        "Haycock",
        "Haycock GB et al. J Pediatr 1978;93:62-6. doi:10.1016/S0022-3476(78)80601-5",
        rising=True,
    ),
    "gehan_george": BSAMethod(
        gehan_george,
        gehan_george_kernel,
        "Gehan & George",
        "Gehan EA, George SL. Cancer Chemother Rep 1970;54:225-35. PMID 5527019",
        rising=True,
    ),
    "boyd": BSAMethod(
        boyd,
        boyd_kernel,
        "Boyd",
        "Boyd E. The Growth of the Surface Area of the Human Body. Univ. Minnesota Press, 1935",
        rising=True,
    ),
    "fujimoto": BSAMethod(
        fujimoto,
        fujimoto_kernel,
        "Fujimoto",
        "Fujimoto S et al. Nippon Eiseigaku Zasshi 1968;23:443-50. doi:10.1265/jjh.23.443",
        rising=True,
    ),
    "takahira": BSAMethod(
        takahira,
        takahira_kernel,
        "Takahira",
        "Takahira H. Nippon Eiseigaku Zasshi 1925 (via Fujimoto 1968, doi:10.1265/jjh.23.443)",
        rising=True,
    ),
    "shuter_aslani": BSAMethod(
        shuter_aslani,
        shuter_aslani_kernel,
        "Shuter & Aslani",
        "Shuter B, Aslani A. Eur J Appl Physiol 2000;82:250-4. doi:10.1007/s004210050679",
        rising=True,
    ),
    "schlich": BSAMethod(
        schlich,
        schlich_kernel,
        "Schlich (sex-specific)",
        "Schlich E, Schumm M, Schlich M. Ernährungs Umschau 2010;57:178-83",
        needs_sex=True,
    ),
    "livingston_lee": BSAMethod(
        livingston_lee,
        livingston_lee_kernel,
        "Livingston & Lee (weight only)",
        "Livingston EH, Lee S. Am J Physiol Endocrinol Metab 2001;281:E586-91. doi:10.1152/ajpendo.2001.281.3.E586",
        needs_height=False,
    ),
}

# Other names of a formula, each spelled as its keys are (words joined by "_", " " or "-")
_ALIASES = {
    "du_bois": "dubois",
    "gehan": "gehan_george",
    "shuter": "shuter_aslani",
    "livingston": "livingston_lee",
}
# The authors' names as written, beside the formula's label
_AUTHORS = {"Du Bois": "dubois", "DuBois": "dubois"}


def _spellings() -> dict[str, str]:
    # Every spelling of a formula read, each exactly: a key or an alias with its words joined by "_", " " or
    # "-" ("gehan_george", "gehan george", "gehan-george"), the formula's name as its label writes it
    # ("Du Bois & Du Bois", "Livingston & Lee"), and its authors' ("Du Bois"). Nothing else is folded to one
    # of them: not a capital ("MOSTELLER"), a space around it ("dubois\u00a0") or between its words.
    spellings = {}
    for name, key in {**{key: key for key in BSA_METHODS}, **_ALIASES}.items():
        for joiner in ("_", " ", "-"):
            spellings[name.replace("_", joiner)] = key
    for key, entry in BSA_METHODS.items():
        spellings[entry.label.split(" (")[0]] = key  # "Schlich (sex-specific)": "Schlich"
    return {**spellings, **_AUTHORS}


#: Each spelling of a BSA formula that is read, and its key of :data:`BSA_METHODS`.
BSA_METHOD_SPELLINGS: Mapping[str, str] = MappingProxyType(_spellings())


def bsa_method(name: str) -> str:
    """
    Return the canonical name of a BSA method ("Du Bois" -> "dubois"): the
    key of a spelling of :data:`BSA_METHOD_SPELLINGS`, read exactly as typed.

    Raises
    ------
    UnknownNameError
        For any other text, with the closest key as a hint ("Mostellar",
        "mosteller\\t": did you mean 'mosteller'?).
    """
    key = BSA_METHOD_SPELLINGS.get(name) if isinstance(name, str) else None
    if key is None:
        raise UnknownNameError("method", name, BSA_METHODS)
    return key


def bsa_magnitude(method: str, height_cm=None, weight_kg=None, sex=None):
    """
    BSA [m²] as float(s) from checked magnitudes, by a canonical method name.

    The shared step of :func:`bsa`, :func:`dosecalc.patient_dose` and the
    cohort engine: inputs are already validated, in [cm] and [kg].

    Raises
    ------
    MissingInputError
        If the formula needs an input that is None.
    """
    entry = BSA_METHODS[method]
    if weight_kg is None:
        raise MissingInputError("weight", f"BSA by {entry.label}")
    if not entry.needs_height:
        return entry.kernel(weight_kg)
    if height_cm is None:
        raise MissingInputError("height", f"BSA by {entry.label}")
    if not entry.needs_sex:
        return entry.kernel(height_cm, weight_kg)
    if sex is None:
        raise MissingInputError("sex", f"BSA by {entry.label}")
    return entry.kernel(height_cm, weight_kg, is_female(sex))


# A BSA computed at a corner pair within the plausible range by this much (relative) bounds the column's: far
# more than the few ulps by which exp and log as rounded could make a rising formula fall.
_CORNER_MARGIN = 1e-12


def checked_bsa(method: str, height_cm, weight_kg, sex=None, body: Body | None = None):
    r"""
    BSA [m²] as :func:`bsa_magnitude` computes it, refused (as ``bsa
    (computed)``) where it falls outside 0.02-7 m².

    With ``body``, the :class:`~dosecalc.validation.Body` of these height
    and weight columns, and a formula that rises with both
    (:attr:`BSAMethod.rising`), the BSAs of the corner pairs decide for the
    whole column without a pass over it:

    .. math:: BSA(H_{min}, W_{min}) \le BSA(H, W) \le BSA(H_{max}, W_{max})

    each corner inside the range by a relative margin of 1e-12; else every
    value is checked.

    Raises
    ------
    ImplausibleInputError
        At the first BSA outside the range.
    """
    area_m2 = bsa_magnitude(method, height_cm, weight_kg, sex)
    if np.ndim(area_m2) and body is not None and body.heights is not None and BSA_METHODS[method].rising:
        corners = bsa_magnitude(method, np.array(body.heights), np.array(body.weights))
        if corners[0] >= BSA.low * (1 + _CORNER_MARGIN) and corners[1] <= BSA.high * (1 - _CORNER_MARGIN):
            return area_m2
    return checked(area_m2, BSA, "bsa (computed)")


def bsa(height=None, weight=None, method="mosteller", sex=None):
    """
    Body surface area by the named formula.

    Parameters
    ----------
    height : numeric or Quantity, optional
        Standing height; plain numbers in [cm]. Not needed by
        ``"livingston_lee"``.
    weight : numeric or Quantity
        Body weight; plain numbers in [kg].
    method : str, default "mosteller"
        A key of :data:`BSA_METHODS` (case, spaces and "&" are forgiven).
    sex : str or array of str, optional
        Required by ``"schlich"``.

    Returns
    -------
    bsa : Quantity or pandas.Series
        Body surface area. [m²] A pandas Series in (height, weight or sex)
        gives a Series of m² out, named ``bsa_m2``, on the input's index
        (pvlib's habit; pint cannot wrap a Series).

    Raises
    ------
    UnknownNameError
        If the method is unknown; the message lists the valid names.
    MissingInputError
        If the formula needs an input that was not given.
    ImplausibleInputError, UnitError
        If an input is implausible or of the wrong unit, height and weight
        together describe no body (see :func:`dosecalc.validation.plausible_body`),
        or the BSA computed falls outside the range of a given one.

    Examples
    --------
    >>> round(bsa(175, 70, method="dubois").m_as("m**2"), 3)
    1.848
    """
    key = bsa_method(method)
    index = common_index(height=height, weight=weight, sex=sex)
    body = None
    if height is not None and weight is not None:  # each plausible, and together a body
        body = checked_body(height, weight)
        height_cm, weight_kg = body.height_cm, body.weight_kg
    else:
        height_cm = None if height is None else checked(height, HEIGHT)
        weight_kg = None if weight is None else checked(weight, WEIGHT)
    same_length(height=height_cm, weight=weight_kg, sex=sex)
    area_m2 = checked_bsa(key, height_cm, weight_kg, sex, body)
    if index is not None:  # a Series in, a Series out on its index, in m² (pint cannot wrap a Series)
        return pandas_series(area_m2, index, "bsa_m2")
    return _square_metres(area_m2)
