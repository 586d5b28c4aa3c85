"""eGFR by CKD-EPI 2021 and the bedside Schwartz formula, de-indexing by BSA, the creatinine floor and the
physiological range, for one patient and arrays."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dosecalc
from dosecalc import Q_
from dosecalc.errors import (
    ImplausibleInputError,
    MissingInputError,
    UnitError,
    UnknownNameError,
)
from dosecalc.renal import (
    RENAL_FORMULAS,
    KidneyFunction,
    egfr_ckd_epi_2021,
    egfr_schwartz_bedside,
    kidney_function,
    measured_gfr,
    renal_formula_key,
)

UMOL_L_PER_MG_DL = 10_000 / 113.12  # creatinine, 113.12 g/mol


def ckd_epi(age=55, sex="m", serum_creatinine="1.2 mg/dL", **options):
    return egfr_ckd_epi_2021(age=age, sex=sex, serum_creatinine=serum_creatinine, **options)


# --- CKD-EPI 2021: published constants, worked values -----------------------------------


@pytest.mark.parametrize(
    "age, sex, creatinine_mg_dl, expected",
    [
        # Inker et al., N Engl J Med 2021;385:1737, doi:10.1056/NEJMoa2102953 (the same constants as the kidney.epi
        # R package, R/egfr_ckdepi2021.R): 142 × min(Scr/κ,1)^α × max(Scr/κ,1)^−1.200 × 0.9938^age (× 1.012 women),
        # κ 0.7 / 0.9, α −0.241 / −0.302. By hand:
        # man, 55 y, 1.2 mg/dL: 142 × (1.2/0.9)^−1.2 × 0.9938^55 = 142 × 0.708066 × 0.710305 = 71.42
        (55, "m", 1.2, 71.418),
        # man, 60 y, 1.4 mg/dL (kidney.epi's example inputs): 142 × (1.4/0.9)^−1.2 × 0.9938^60 = 57.54
        (60, "m", 1.4, 57.539),
        # woman, 40 y, 0.5 mg/dL (below κ: the α branch): 142 × (0.5/0.7)^−0.241 × 0.9938^40 × 1.012 = 121.52
        (40, "f", 0.5, 121.519),
        # woman, 50 y, 1.0 mg/dL: 142 × (1.0/0.7)^−1.2 × 0.9938^50 × 1.012 = 68.63
        (50, "f", 1.0, 68.633),
        # at κ both branches are 1: man 30 y, 0.9 mg/dL: 142 × 0.9938^30 = 117.83; woman 0.7: × 1.012 = 119.24
        (30, "m", 0.9, 117.831),
        (30, "f", 0.7, 119.245),
    ],
)
def test_ckd_epi_2021_by_hand(age, sex, creatinine_mg_dl, expected):
    result = ckd_epi(age, sex, Q_(creatinine_mg_dl, "mg/dL"))
    assert result.egfr_ml_min_173m2 == pytest.approx(expected, abs=1e-3)
    assert result.clearance is None  # no BSA: only per 1.73 m²
    assert result.formula == "ckd_epi_2021" and "10.1056/NEJMoa2102953" in result.reference


def test_ckd_epi_2021_female_factor_and_kappa():
    # Inker (2021): above κ the women's estimate is the men's × 1.012 × (0.7/0.9)^1.2 at the same creatinine
    women, men = ckd_epi(sex="f").egfr_ml_min_173m2, ckd_epi(sex="m").egfr_ml_min_173m2
    assert women == pytest.approx(men * 1.012 * (0.9 / 0.7) ** -1.2, rel=1e-12)


def test_ckd_epi_2021_si_units():
    # 106.1 µmol/L = 1.2002 mg/dL (× 113.12 g/mol): the same estimate within 0.03 %
    assert ckd_epi(serum_creatinine="106.1 µmol/L").egfr_ml_min_173m2 == pytest.approx(71.418, rel=3e-4)


def test_ckd_epi_de_indexed_by_bsa():
    # ADDIKD (eviQ 2022): the eGFR × BSA / 1.73 m² for the Calvert formula. 71.418 × 1.9 / 1.73 = 78.43 mL/min
    result = ckd_epi(bsa=1.9)
    assert result.clearance.m_as("mL/min") == pytest.approx(71.4178 * 1.9 / 1.73, rel=1e-5)
    assert result.bsa.m_as("m**2") == 1.9
    assert ckd_epi(bsa=Q_(19000, "cm**2")).clearance.m_as("mL/min") == pytest.approx(result.clearance.m_as("mL/min"))
    # a BSA of exactly 1.73 m² leaves the number unchanged
    assert ckd_epi(bsa=1.73).clearance.m_as("mL/min") == pytest.approx(ckd_epi().egfr_ml_min_173m2, rel=1e-12)


# --- bedside Schwartz ---------------------------------------------------------------------


def test_schwartz_bedside_published_and_by_hand():
    # Schwartz et al., J Am Soc Nephrol 2009;20:629, doi:10.1681/ASN.2008030287: eGFR = 0.413 × height / Scr.
    # transplantr test suite (tests/testthat/test_egfr.R): schwartz_US(creat = 0.6, height = 101) -> 69.5
    result = egfr_schwartz_bedside(age=5, height=101, serum_creatinine="0.6 mg/dL")
    assert round(result.egfr_ml_min_173m2, 1) == 69.5
    assert result.egfr_ml_min_173m2 == pytest.approx(0.413 * 101 / 0.6, rel=1e-12)  # 69.52
    assert "10.1681/ASN.2008030287" in result.reference
    # a 12-year-old of 150 cm, creatinine 0.7 mg/dL, BSA 1.4 m²: 0.413 × 150 / 0.7 = 88.50; × 1.4 / 1.73 = 71.62 mL/min
    older = egfr_schwartz_bedside(age=12, height="150 cm", serum_creatinine="61.9 umol/L", bsa=1.4)
    assert older.egfr_ml_min_173m2 == pytest.approx(0.413 * 150 / (61.9 / UMOL_L_PER_MG_DL), rel=1e-12)
    assert older.clearance.m_as("mL/min") == pytest.approx(older.egfr_ml_min_173m2 * 1.4 / 1.73, rel=1e-12)


def test_the_adult_nccn_floor_is_refused_for_children():
    with pytest.raises(ImplausibleInputError, match="^creatinine_floor=nccn: expected a floor given as a value"):
        egfr_schwartz_bedside(age=5, height=101, serum_creatinine="0.3 mg/dL", creatinine_floor="nccn")
    # a floor a protocol sets for children is a value: 0.413 × 101 / 0.4 = 104.3
    result = egfr_schwartz_bedside(age=5, height=101, serum_creatinine="0.3 mg/dL", creatinine_floor="0.4 mg/dL")
    assert result.egfr_ml_min_173m2 == pytest.approx(0.413 * 101 / 0.4)


def test_schwartz_needs_no_sex_but_height_and_age():
    with pytest.raises(MissingInputError, match="^height is required for eGFR by bedside Schwartz"):
        egfr_schwartz_bedside(age=5, serum_creatinine="0.6 mg/dL")
    with pytest.raises(MissingInputError, match="^age is required"):
        egfr_schwartz_bedside(height=101, serum_creatinine="0.6 mg/dL")


# --- populations: each formula refuses the other's patients and names the one that fits ------------


@pytest.mark.parametrize("formula", ["cockcroft_gault", "ckd_epi_2021"])
@pytest.mark.parametrize("age", [1, 12, 17.9])
def test_adult_formulas_refuse_children_and_name_schwartz(formula, age):
    with pytest.raises(ImplausibleInputError, match=r"^age=.*expected 18-120 years.*schwartz-bedside") as err:
        cg = formula == "cockcroft_gault"
        kidney_function(
            formula, age=age, sex="f", serum_creatinine="0.5 mg/dL", weight=40 if cg else None, bsa=None if cg else 1.2
        )
    assert err.value.field == "age"


@pytest.mark.parametrize("age", [19, 45, "30 years"])
def test_schwartz_refuses_adults_and_names_ckd_epi(age):
    with pytest.raises(ImplausibleInputError, match=r"^age=.*expected 1-18 years.*ckd-epi-2021"):
        egfr_schwartz_bedside(age=age, height=170, serum_creatinine="0.8 mg/dL")


@pytest.mark.parametrize("age", [0.5, 130, -1, float("nan")])
def test_ages_no_formula_fits(age):
    # an infant under 1 year or an impossible age: refused, with no formula offered as fitting
    with pytest.raises(ImplausibleInputError, match="^age=") as err:
        egfr_schwartz_bedside(age=age, height=60, serum_creatinine="0.3 mg/dL")
    assert "use the" not in str(err.value)


# --- creatinine floor --------------------------------------------------------------------


def test_nccn_floor_raises_low_creatinine_and_reports_it():
    # NCCN Chemotherapy Order Templates, Appendix B: "consider using a minimum Cr of 0.7 mg/dL".
    # A woman of 40 y, creatinine 0.5 mg/dL: at 0.7 (= κ) 142 × 0.9938^40 × 1.012 = 112.09; measured 121.52
    result = ckd_epi(age=40, sex="f", serum_creatinine="0.5 mg/dL", creatinine_floor="nccn")
    assert result.floor_applied is True
    assert result.egfr_ml_min_173m2 == pytest.approx(142 * 0.9938**40 * 1.012, rel=1e-12)
    assert result.without_floor == pytest.approx(121.519, abs=1e-3)
    assert result.creatinine_used.m_as("mg/dL") == 0.7 and result.serum_creatinine.m_as("mg/dL") == 0.5
    assert result.creatinine_floor_policy == "nccn" and "NCCN" in result.creatinine_floor_reference
    data = result.to_dict()
    assert data["without_floor"] == {"value": pytest.approx(121.519, abs=1e-3), "unit": "mL/min/1.73 m²"}
    assert data["creatinine_floor"] == {"value": 0.7, "unit": "mg/dL"}


def test_floor_that_changes_nothing_is_not_reported_as_applied():
    result = ckd_epi(creatinine_floor="nccn")  # 1.2 mg/dL is above the floor
    assert result.floor_applied is False and result.without_floor is None
    assert result.egfr_ml_min_173m2 == pytest.approx(71.418, abs=1e-3)


def test_floor_none_by_default_and_given_values():
    assert ckd_epi(serum_creatinine="0.5 mg/dL").creatinine_floor is None
    assert ckd_epi(serum_creatinine="0.5 mg/dL").creatinine_floor_policy == "none"
    # a floor given in µmol/L: 70.7 µmol/L = 0.625 mg/dL
    given_floor = ckd_epi(serum_creatinine="0.5 mg/dL", creatinine_floor="70.7 umol/L")
    assert given_floor.creatinine_floor_policy == "given"
    assert given_floor.creatinine_used.m_as("mg/dL") == pytest.approx(70.7 / UMOL_L_PER_MG_DL)


@pytest.mark.parametrize(
    "floor, error, match",
    [
        ("5 mg/dL", ImplausibleInputError, r"^creatinine_floor=5 mg/dL: expected 0.1-1.5 mg/dL"),
        ("70 mg/dL", ImplausibleInputError, r"^creatinine_floor=70 mg/dL"),  # µmol/L typed as mg/dL
        ("0.7", UnitError, r"^creatinine_floor="),
        (0.7, UnitError, r"^creatinine_floor=0.7: .*no unit"),
        # a text without a number is a name: refused as one, the closest as its hint
        ("nccm", UnknownNameError, r"^creatinine_floor='nccm' is not known; expected one of: none, nccn; did you"),
        (Q_([0.7, 0.8], "mg/dL"), ImplausibleInputError, "one floor"),
    ],
)
def test_bad_floors(floor, error, match):
    with pytest.raises(error, match=match):
        ckd_epi(creatinine_floor=floor)


# --- the physiological range ----------------------------------------------------------------


def test_an_absurd_clearance_is_refused():
    # 18 years, 700 kg, creatinine 0.1 mg/dL: (140 − 18) × 700 / (72 × 0.1) = 11,861 mL/min by Cockcroft-Gault
    with pytest.raises(
        ImplausibleInputError, match=r"^crcl \(Cockcroft-Gault\)=11861.1 mL/min: expected \(0, 250\] mL/min"
    ):
        dosecalc.crcl_cockcroft_gault(age=18, weight=700, sex="m", serum_creatinine="0.1 mg/dL")


def test_override_reports_instead_of_refusing():
    result = kidney_function(
        "cockcroft_gault", age=18, weight=700, sex="m", serum_creatinine="0.1 mg/dL", allow_outside_range=True
    )
    assert result.outside_range is True
    assert result.clearance.m_as("mL/min") == pytest.approx(122 * 700 / 7.2)
    assert "reported, not refused" in result.steps[-1]


@pytest.mark.parametrize("gfr", [Q_(-5, "mL/min"), Q_(0, "mL/min"), Q_(float("nan"), "mL/min")])
def test_no_override_admits_a_gfr_that_is_no_clearance(gfr):
    # allow_outside_range reports a high value; NaN, zero and negative are refused always
    with pytest.raises(ImplausibleInputError, match=r"^gfr=.*expected \(0, 250\] mL/min$"):
        measured_gfr(gfr, allow_outside_range=True)
    assert measured_gfr(Q_(300, "mL/min"), allow_outside_range=True).outside_range is True


def test_range_on_the_de_indexed_and_the_indexed_value():
    # a man of 18 with creatinine 0.1 mg/dL: 142 × (0.1/0.9)^−0.302 × 0.9938^18 = 246.6 per 1.73 m²: inside;
    # de-indexed by a BSA of 2.5 m²: 356 mL/min, outside
    low = ckd_epi(age=18, serum_creatinine="0.1 mg/dL")
    assert low.egfr_ml_min_173m2 == pytest.approx(142 * (0.1 / 0.9) ** -0.302 * 0.9938**18, rel=1e-12)
    with pytest.raises(ImplausibleInputError, match=r"^egfr \(CKD-EPI 2021\)=356"):
        ckd_epi(age=18, serum_creatinine="0.1 mg/dL", bsa=2.5)


def test_arrays_name_the_first_row_outside():
    with pytest.raises(ImplausibleInputError, match=r"^crcl \(Cockcroft-Gault\)\[1\]="):
        dosecalc.crcl_cockcroft_gault(
            age=[60, 18], weight=[80, 300], sex=["m", "m"], serum_creatinine=Q_([1.2, 0.3], "mg/dL")
        )


# --- a measured GFR ---------------------------------------------------------------------------


def test_measured_gfr_absolute_and_indexed():
    assert measured_gfr("90 mL/min").clearance.m_as("mL/min") == 90.0
    # 90 mL/min/1.73 m² for a BSA of 1.9 m²: 90 × 1.9 / 1.73 = 98.84 mL/min
    result = measured_gfr("90 mL/min/1.73 m2", bsa=1.9)
    assert result.clearance.m_as("mL/min") == pytest.approx(90 * 1.9 / 1.73, rel=1e-12)
    assert result.egfr_ml_min_173m2 == pytest.approx(90.0)
    assert result.formula == "measured" and result.label == "measured GFR"
    with pytest.raises(UnitError, match=r"^gfr=.*per 1.73 m².*bsa"):
        measured_gfr("90 mL/min/1.73 m2")
    with pytest.raises(ImplausibleInputError, match=r"^gfr=400"):
        measured_gfr(400)


# --- names, arrays, to_dict ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name, key",
    [
        ("ckd-epi-2021", "ckd_epi_2021"),
        ("Cockcroft-Gault", "cockcroft_gault"),
        ("schwartz bedside", "schwartz_bedside"),
        ("ckd_epi_2021", "ckd_epi_2021"),
        ("cg", "cockcroft_gault"),
    ],
)
def test_formula_names(name, key):
    assert renal_formula_key(name) == key and key in RENAL_FORMULAS


@pytest.mark.parametrize(
    "name",
    [" CKD-EPI 2021 ", "CKD-EPI 2021", "ckd-epi-2021\n", "ckd\u00a0epi\u20032021", "Ckd-Epi-2021", "ckd--epi-2021"],
)
def test_a_formula_name_is_read_exactly_as_typed(name):
    # a space around it, a capital, a no-break or em space between its words: never folded to ckd-epi-2021
    with pytest.raises(UnknownNameError) as caught:
        renal_formula_key(name)
    assert str(caught.value) == (
        f"formula={ascii(name)} is not known; expected one of: cockcroft-gault, ckd-epi-2021, schwartz-bedside; "
        "did you mean 'ckd-epi-2021'?"
    )
    with pytest.raises(UnknownNameError, match=r"^formula="):
        kidney_function(name, age=50, sex="m", serum_creatinine="1 mg/dL")


@pytest.mark.parametrize("floor", [" nccn", "nccn ", "NCCN", "nccn\n", "None", "none\t"])
def test_a_floor_name_is_read_exactly_as_typed(floor):
    with pytest.raises(UnknownNameError) as caught:
        ckd_epi(creatinine_floor=floor)
    assert str(caught.value).startswith(f"creatinine_floor={ascii(floor)} is not known; expected one of: none, nccn")
    assert caught.value.hint in ("did you mean 'nccn'?", "did you mean 'none'?")


@pytest.mark.parametrize("name", ["CKD-EPI", "schwartz", "ckd-epi-2009", "mdrd"])
def test_an_ambiguous_formula_name_is_refused(name):
    # CKD-EPI 2009 (with race) and the original Schwartz (1976, k = 0.55, Jaffe creatinine) are other equations
    with pytest.raises(UnknownNameError, match="expected one of: cockcroft-gault, ckd-epi-2021, schwartz-bedside"):
        renal_formula_key(name)


def test_unknown_formula_lists_the_cli_names():
    with pytest.raises(UnknownNameError, match="formula='mdrd'.*cockcroft-gault, ckd-epi-2021, schwartz-bedside"):
        kidney_function("mdrd", age=50, sex="m", serum_creatinine="1 mg/dL")


def test_bsa_from_height_and_weight():
    # Mosteller (1987): sqrt(180 × 81 / 3600) = 2.0125 m²; CKD-EPI 2021 71.418 × 2.0125 / 1.73 = 83.08 mL/min
    result = ckd_epi(height=180, weight=81)
    assert result.bsa.m_as("m**2") == pytest.approx(np.sqrt(180 * 81 / 3600)) and result.bsa_method == "mosteller"
    assert result.clearance.m_as("mL/min") == pytest.approx(71.4178 * np.sqrt(180 * 81 / 3600) / 1.73, rel=1e-5)
    # Du Bois (1916): 0.007184 × 180^0.725 × 81^0.425 = 2.0103 m²
    assert "10.1056/NEJM198710223171717" in result.to_dict()["bsa_reference"]
    assert ckd_epi(height=180, weight=81, bsa_method="dubois").bsa.m_as("m**2") == pytest.approx(
        0.007184 * 180**0.725 * 81**0.425, rel=1e-9
    )


@pytest.mark.parametrize(
    "formula, inputs, error, match",
    [
        (
            "ckd_epi_2021",
            {"weight": 81},
            MissingInputError,
            "^height is required for the BSA that de-indexes CKD-EPI 2021",
        ),
        ("ckd_epi_2021", {"height": 180}, MissingInputError, "^weight is required for the BSA"),
        (
            "ckd_epi_2021",
            {"bsa": 1.9, "weight": 81},
            ImplausibleInputError,
            "^weight=81: expected no weight with a given bsa",
        ),
        (
            "ckd_epi_2021",
            {"bsa": 1.9, "height": 180},
            ImplausibleInputError,
            "^height=180: expected no height with a given bsa",
        ),
        (
            "cockcroft_gault",
            {"weight": 81, "height": 180},
            ImplausibleInputError,
            "^height=180: expected no height for Cockcroft-Gault",
        ),
        ("schwartz_bedside", {"height": 140, "age": 10, "sex": "f"}, ImplausibleInputError, "^sex=f: expected no sex"),
    ],
)
def test_an_input_the_formula_would_not_use_is_refused(formula, inputs, error, match):
    args = {"age": 50, "sex": "m", "serum_creatinine": "1 mg/dL", **inputs}
    with pytest.raises(error, match=match):
        kidney_function(formula, **args)


def test_settings_a_formula_cannot_use_are_refused():
    with pytest.raises(ImplausibleInputError, match="^weight_basis=ideal"):
        kidney_function("ckd_epi_2021", age=50, sex="m", serum_creatinine="1 mg/dL", weight_basis="ideal")
    with pytest.raises(ImplausibleInputError, match="^bsa="):
        kidney_function("cockcroft_gault", age=50, sex="m", weight=70, serum_creatinine="1 mg/dL", bsa=1.8)


def test_scalar_equals_array():
    ages, sex = np.array([55.0, 40.0, 80.0]), np.array(["m", "f", "f"])
    creatinine = Q_(np.array([1.2, 0.5, 2.3]), "mg/dL")
    both = ckd_epi(ages, sex, creatinine, bsa=np.array([1.9, 1.6, 1.5]), creatinine_floor="nccn")
    assert both.floor_applied.tolist() == [False, True, False]
    for i in range(3):
        one = ckd_epi(ages[i], sex[i], creatinine[i], bsa=[1.9, 1.6, 1.5][i], creatinine_floor="nccn")
        assert isinstance(one.egfr_ml_min_173m2, float)
        # numpy's power on arrays (SIMD) and on one float may differ in the last bit
        np.testing.assert_array_max_ulp(both.egfr_ml_min_173m2[i], one.egfr_ml_min_173m2, maxulp=2)
        np.testing.assert_array_max_ulp(both.clearance.magnitude[i], one.clearance.magnitude, maxulp=2)


def test_to_dict_is_plain_data_with_formula_and_range():
    data = ckd_epi(bsa=1.9).to_dict()
    json.dumps(data)
    assert data["egfr_ml_min_173m2"] == {"value": pytest.approx(71.418, abs=1e-3), "unit": "mL/min/1.73 m²"}
    assert data["clearance"]["unit"] == "mL/min"
    assert data["formula"] == "ckd_epi_2021" and data["label"] == "CKD-EPI 2021" and "0.9938" in data["equation"]
    assert data["physiological_range"] == "(0, 250] mL/min"
    assert any("10.2215/CJN.03080314" in source for source in data["physiological_range_sources"])
    assert data["version"] == dosecalc.__version__
    assert isinstance(ckd_epi(), KidneyFunction)


def test_pandas_series_in():
    pd = pytest.importorskip("pandas")
    # Mosteller for 160 cm / 60 kg and 180 cm / 80 kg: sqrt(160 × 60 / 3600), sqrt(180 × 80 / 3600)
    result = ckd_epi(
        pd.Series([50, 60]),
        pd.Series(["f", "m"]),
        Q_(np.array([1.0, 1.1]), "mg/dL"),
        height=pd.Series([160.0, 180.0]),
        weight=pd.Series([60.0, 80.0]),
    )
    expected = [68.633 * np.sqrt(160 * 60 / 3600) / 1.73, result.egfr_ml_min_173m2[1] * 2.0 / 1.73]
    np.testing.assert_allclose(result.clearance.m_as("mL/min"), expected, rtol=1e-4)


def test_series_of_different_indexes_are_never_paired_by_position():
    pd = pytest.importorskip("pandas")
    with pytest.raises(ImplausibleInputError, match="age, sex=Series with different indexes"):
        ckd_epi(
            pd.Series([50, 60], index=[0, 1]), pd.Series(["f", "m"], index=[1, 0]), Q_(np.array([1.0, 1.1]), "mg/dL")
        )
    with pytest.raises(ImplausibleInputError, match="Series with different indexes"):
        dosecalc.carboplatin_dose(auc=pd.Series([5, 6], index=["a", "b"]), gfr=pd.Series([90, 100], index=["b", "a"]))


def test_mismatched_arrays_are_an_error():
    with pytest.raises(ImplausibleInputError, match="arrays of one length"):
        ckd_epi([50, 60, 70], ["m", "f"], Q_([1.0, 1.1], "mg/dL"))


# --- properties ---------------------------------------------------------------------------


@given(st.floats(18, 120), st.floats(0.1, 20), st.sampled_from(["f", "m"]))
def test_ckd_epi_falls_with_creatinine_and_age(age, creatinine, sex):
    here = ckd_epi(age, sex, Q_(creatinine, "mg/dL")).egfr_ml_min_173m2
    assert 0 < here <= 142 * (0.1 / 0.9) ** -0.302 * 1.0001  # at most the man's value at 0.1 mg/dL and age 0
    if creatinine < 19.9:
        assert ckd_epi(age, sex, Q_(creatinine + 0.1, "mg/dL")).egfr_ml_min_173m2 < here
    if age < 119:
        assert ckd_epi(age + 1, sex, Q_(creatinine, "mg/dL")).egfr_ml_min_173m2 == pytest.approx(
            here * 0.9938, rel=1e-12
        )


@given(st.floats(18, 120), st.floats(0.11, 19.9), st.sampled_from(["f", "m"]))
def test_ckd_epi_same_in_mg_dl_and_umol_l(age, creatinine, sex):
    by_mass = ckd_epi(age, sex, Q_(creatinine, "mg/dL")).egfr_ml_min_173m2
    by_amount = ckd_epi(Q_(age * 12, "month"), sex, Q_(creatinine * UMOL_L_PER_MG_DL, "umol/L")).egfr_ml_min_173m2
    assert by_amount == pytest.approx(by_mass, rel=1e-9)


@given(st.floats(0.3, 1.5), st.floats(0.1, 3.0))
def test_floor_never_raises_the_estimate(floor, creatinine):
    result = ckd_epi(60, "f", Q_(creatinine, "mg/dL"), creatinine_floor=Q_(floor, "mg/dL"))
    plain = ckd_epi(60, "f", Q_(creatinine, "mg/dL")).egfr_ml_min_173m2
    assert result.egfr_ml_min_173m2 <= plain * (1 + 1e-12)
    assert result.floor_applied == (creatinine < floor)
    assert (result.without_floor is None) == (not result.floor_applied)
