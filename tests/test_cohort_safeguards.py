"""The cohort engine's safeguards: one dose order, equal to the scalar library and to Order.for_patient, row by row."""

import math
import pathlib

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosecalc import BSA_METHODS, Q_, patient_dose
from dosecalc.adjustments import band_dose, band_table, modify_dose, round_dose
from dosecalc.cohort import OUTPUT_COLUMNS, SAFEGUARD_COLUMNS, dose_table
from dosecalc.cohort_io import convert_file
from dosecalc.errors import DoseCalcError, ImplausibleInputError, MissingInputError, UnitError, UnknownNameError
from dosecalc.order import Order

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
# a man of 5 ft 10 in (177.8 cm) and 98 kg, a woman of 160 cm and 60 kg
PATIENTS = {"patient_id": ["A", "B"], "height_cm": [177.8, 160.0], "weight_kg": [98.0, 60.0], "sex": ["M", "f"]}
# contiguous bands from 10 mg, each 1.2× as wide as its lower bound, its dose 1.095× that bound (+9.5 % from
# the lower bound, −8.75 % from the upper: within the table's 10 %); a dose within 6 % of its band's dose is
# banded (NICE KTT22), one near a band's edge is not, and doses above 3,419 mg are outside the table
BOUNDS_MG = [10 * 1.2**k for k in range(33)]
BANDS = band_table(
    [
        {"lower_mg": lower, "upper_mg": upper, "dose_mg": 1.095 * lower, "name": f"b{k}"}
        for k, (lower, upper) in enumerate(zip(BOUNDS_MG, BOUNDS_MG[1:]))
    ],
    source="test bands",
)


def scalar(dose, height, weight, method="mosteller", sex=None, **options):
    """
    What the scalar library gives one patient, as the engine's columns (default
    and safeguard), or None where it refuses the patient.
    """
    reduction_pct, measure = options.pop("reduction_pct", None), {}
    for name in ("round_to", "vials", "tolerance_pct", "bands"):
        if name in options:
            measure[name] = options.pop(name)
    flag_obesity = options.pop("flag_obesity", False)
    try:
        modification = None if reduction_pct is None else modify_dose(dose, reduction_pct=reduction_pct)
        prescribed = dose if modification is None else modification.modified
        result = patient_dose(prescribed, height=height, weight=weight, method=method, sex=sex, **options)
        row = {
            "bsa_m2": result.bsa.m_as("m**2"),
            "dose_mg": result.dose.m_as("mg"),
            "dose_mg_per_m2": result.dose_per_m2.m_as("mg/m**2"),
            "dose_mg_per_kg": result.dose_per_kg.m_as("mg/kg"),
            "bsa_method": result.bsa_method,
        }
        if modification is not None:
            row["dose_reduction_pct"] = modification.reduction_pct
        if result.weight_basis != "actual":
            row.update(
                dosing_weight_kg=result.dosing_weight.m_as("kg"),
                weight_basis=result.weight_basis,
                above_actual_weight=result.above_actual_weight,
            )
        if flag_obesity:
            row["obese"] = result.obese
        if result.bsa_cap is not None:
            row.update(bsa_uncapped_m2=result.bsa_uncapped.m_as("m**2"), bsa_capped=result.bsa_cap_applied)
        if result.max_dose is not None:
            row.update(dose_uncapped_mg=result.dose_uncapped.m_as("mg"), dose_capped=result.max_dose_applied)
        ceiling = result.max_dose  # a band or a rounded dose never lies above the maximum dose
        if "bands" in measure:
            banded = band_dose(result.dose, measure["bands"], ceiling=ceiling)
            row.update(
                dose_banded_mg=banded.banded.m_as("mg"), band_deviation_pct=banded.deviation_pct, band=banded.band
            )
        elif measure:
            rounded = round_dose(
                result.dose,
                step=measure.get("round_to"),
                strengths=measure.get("vials"),
                ceiling=ceiling,
                **{k: v for k, v in measure.items() if k == "tolerance_pct"},
            )
            row.update(dose_rounded_mg=rounded.rounded.m_as("mg"), rounding_difference_pct=rounded.difference_pct)
    except DoseCalcError:
        return None
    return row


def mosteller(height_cm, weight_kg):
    # Mosteller (1987) by hand: sqrt(H W / 3600) m²
    return math.sqrt(height_cm * weight_kg / 3600)


def reasons(rejects):
    return dict(zip(rejects["row"].to_pylist(), rejects["reason"].to_pylist()))


# --- the default output is today's -----------------------------------------------


def test_options_off_give_exactly_the_default_columns():
    default = dose_table(PATIENTS, "75 mg/m^2")
    assert default.dosed.column_names == list(PATIENTS) + ["row"] + list(OUTPUT_COLUMNS)
    off = dose_table(
        PATIENTS,
        "75 mg/m^2",
        weight_basis="actual",
        bsa_cap=None,
        max_dose=None,
        reduction_pct=None,
        round_to=None,
        vials=None,
        tolerance_pct=None,
        bands=None,
        flag_obesity=False,
    )
    assert off.dosed.equals(default.dosed) and off.rejects.equals(default.rejects)
    assert dose_table(PATIENTS, "75 mg/m^2", weight_basis="TBW").dosed.equals(default.dosed)  # actual, by its alias


@pytest.mark.parametrize(
    "option, value",
    [
        ("weight_basis", "ideal"),
        ("bsa_cap", 2.0),
        ("max_dose", "2 mg"),
        ("reduction_pct", 20),
        ("round_to", "5 mg"),
        ("vials", "100 mg, 50 mg, 10 mg"),
        ("bands", EXAMPLES / "bands.csv"),
        ("flag_obesity", True),
    ],
)
def test_each_option_adds_its_columns_and_only_them(option, value):
    dosed, rejects = dose_table(PATIENTS, "1000 mg/m^2" if option == "bands" else "75 mg/m^2", **{option: value})
    assert dosed.column_names == list(PATIENTS) + ["row"] + list(OUTPUT_COLUMNS) + list(SAFEGUARD_COLUMNS[option])
    assert dosed.num_rows + rejects.num_rows == 2


def test_columns_of_several_options_in_pipeline_order_and_types():
    dosed, _ = dose_table(
        PATIENTS,
        "75 mg/m^2",
        bands=BANDS,
        max_dose="500 mg",
        flag_obesity=True,
        weight_basis="lean",
        bsa_cap="2 m^2",
        reduction_pct=10,
    )
    assert dosed.column_names[len(PATIENTS) + 1 + len(OUTPUT_COLUMNS) :] == [
        "dose_reduction_pct",
        "dosing_weight_kg",
        "weight_basis",
        "above_actual_weight",
        "obese",
        "bsa_uncapped_m2",
        "bsa_capped",
        "dose_uncapped_mg",
        "dose_capped",
        "dose_banded_mg",
        "band_deviation_pct",
        "band",
    ]
    for name in ("weight_basis", "band"):  # names once per batch, a small integer per row
        assert pa.types.is_dictionary(dosed.schema.field(name).type)
    for name in ("above_actual_weight", "obese", "bsa_capped", "dose_capped"):
        assert dosed.schema.field(name).type == pa.bool_()


def test_empty_table_has_the_columns_of_the_options():
    # convert_file takes the output schema from an empty batch
    empty = {name: pa.array([], pa.string()) for name in ("height_cm", "weight_kg", "sex")}
    dosed, rejects = dose_table(
        empty, "75 mg/m^2", weight_basis="adjusted", bsa_cap=2, max_dose=200, vials="100 mg, 50 mg", flag_obesity=True
    )
    assert dosed.num_rows == rejects.num_rows == 0
    assert dosed.column_names[3 + 1 + len(OUTPUT_COLUMNS) :] == [
        "dosing_weight_kg",
        "weight_basis",
        "above_actual_weight",
        "obese",
        "bsa_uncapped_m2",
        "bsa_capped",
        "dose_uncapped_mg",
        "dose_capped",
        "dose_rounded_mg",
        "rounding_difference_pct",
    ]


# --- published and worked examples -------------------------------------------------


def test_weight_bases():
    # Devine, Drug Intell Clin Pharm 1974;8:650: a man of 5 ft 10 in has IBW 50 + 2.3 × 10 = 73 kg;
    # adjusted, IBW + 0.4 (98 - 73) = 83 kg (NCCN Chemotherapy Order Templates, Appendix B, 2020)
    man = {key: values[:1] for key, values in PATIENTS.items()}
    for basis, kg in (("ideal", 73.0), ("IBW", 73.0), ("adjusted", 83.0)):
        dosed, _ = dose_table(man, "1.5 mg/kg", weight_basis=basis)
        assert dosed["dosing_weight_kg"].to_pylist() == [pytest.approx(kg)]
        assert dosed["dose_mg"].to_pylist() == [pytest.approx(1.5 * kg)]
        assert dosed["weight_basis"].to_pylist() == [basis.replace("IBW", "ideal")]
    # Janmahasatian et al., Clin Pharmacokinet 2005;44:1051: a man, 80 kg at 200 cm (BMI 20):
    # 9270 × 80 / (6680 + 216 × 20)
    dosed, _ = dose_table({"height_cm": [200.0], "weight_kg": [80.0], "sex": ["male"]}, "1 mg/kg", weight_basis="lean")
    assert dosed["dosing_weight_kg"].to_pylist() == [pytest.approx(9270 * 80 / (6680 + 216 * 20))]  # 67.418 kg


def test_bsa_cap_and_max_dose():
    # Mosteller BSA of 190 cm, 110 kg: sqrt(190 × 110 / 3600) = 2.409 m², capped at 2.0 m²: 75 mg/m² × 2.0 = 150 mg
    table = {"height_cm": [190.0, 160.0], "weight_kg": [110.0, 60.0]}
    dosed, _ = dose_table(table, "75 mg/m^2", bsa_cap=2.0)
    assert dosed["bsa_uncapped_m2"].to_pylist() == [
        pytest.approx(mosteller(190, 110)),
        pytest.approx(mosteller(160, 60)),
    ]
    assert dosed["bsa_m2"].to_pylist()[0] == 2.0 and dosed["dose_mg"].to_pylist()[0] == 150.0
    assert dosed["bsa_capped"].to_pylist() == [True, False]
    # CHOP: vincristine 1.4 mg/m², at most 2 mg (Coiffier et al., N Engl J Med 2002;346:235,
    # doi:10.1056/NEJMoa011795). 1.4 × 2.409 = 3.37 mg, capped at 2 mg; 1.4 × 1.633 = 2.29 mg, capped too
    dosed, _ = dose_table(table, "1.4 mg/m^2", max_dose="2 mg")
    assert dosed["dose_mg"].to_pylist() == [2.0, 2.0]
    assert dosed["dose_uncapped_mg"].to_pylist() == [
        pytest.approx(1.4 * mosteller(190, 110)),
        pytest.approx(1.4 * mosteller(160, 60)),
    ]
    assert dosed["dose_capped"].to_pylist() == [True, True]


def test_reduction():
    # oxaliplatin 85 mg/m² reduced by 20 % is 68 mg/m² (by hand); Mosteller 180 cm, 80 kg = 2.0 m²: 136 mg
    dosed, _ = dose_table({"height_cm": [180.0], "weight_kg": [80.0]}, "85 mg/m^2", reduction_pct=20)
    assert dosed.select(["dose_mg_per_m2", "dose_mg", "dose_reduction_pct"]).to_pylist() == [
        {"dose_mg_per_m2": 68.0, "dose_mg": 136.0, "dose_reduction_pct": 20.0}
    ]


def test_rounding_to_a_step_and_to_vials():
    # 75 mg/m² × Mosteller 1.8447 m² (175 cm, 70 kg) = 138.35 mg: to 5 mg, 140 mg (+1.19 %)
    patient = {"height_cm": [175.0], "weight_kg": [70.0]}
    dosed, _ = dose_table(patient, "75 mg/m^2", round_to="5 mg")
    assert dosed["dose_rounded_mg"].to_pylist() == [140.0]
    assert dosed["rounding_difference_pct"].to_pylist() == [pytest.approx((140 / (75 * mosteller(175, 70)) - 1) * 100)]
    # from 100 and 50 mg vials the nearest is 150 mg, +8.4 %: refused at ±5 % (the row is rejected), accepted at ±10 %
    dosed, rejects = dose_table(patient, "75 mg/m^2", vials="100 mg, 50 mg")
    assert dosed.num_rows == 0
    assert reasons(rejects) == {
        1: "dose_mg=138.35 mg: expected a dose within ±5 % of whole units of 100, 50 mg; "
        "the nearest, 150 mg, is +8.4 %: not rounded"
    }
    dosed, _ = dose_table(patient, "75 mg/m^2", vials=["100 mg", Q_(50, "mg")], tolerance_pct=10)
    assert dosed["dose_rounded_mg"].to_pylist() == [150.0]


def test_vials_in_any_form_give_one_result():
    patient = {"height_cm": [175.0, 160.0], "weight_kg": [70.0, 52.0]}
    forms = ("100 mg, 50 mg, 10 mg", ["10 mg", "100 mg", "50 mg"], Q_([100, 50, 10], "mg"), ("0.1 g", "50 mg", 10))
    results = [dose_table(patient, "75 mg/m^2", vials=vials, tolerance_pct=10).dosed for vials in forms]
    assert all(result.equals(results[0]) for result in results)


def test_bands_from_a_file():
    # gemcitabine 1000 mg/m² × Mosteller 1.8447 m² = 1844.7 mg: the 1750-1850 mg band of examples/bands.csv,
    # 1800 mg, -2.4 %; 1000 mg/m² × 1.0 m² (120 cm, 30 kg) = 1000 mg lies below the table
    dosed, rejects = dose_table(
        {"height_cm": [175.0, 120.0], "weight_kg": [70.0, 30.0]}, "1000 mg/m^2", bands=EXAMPLES / "bands.csv"
    )
    assert dosed.select(["dose_banded_mg", "band"]).to_pylist() == [{"dose_banded_mg": 1800.0, "band": "1750-1850 mg"}]
    assert dosed["band_deviation_pct"].to_pylist() == [pytest.approx((1800 / (1000 * mosteller(175, 70)) - 1) * 100)]
    assert reasons(rejects) == {2: "dose_mg=1000 mg: expected a dose in the band table bands.csv, 1150-2450 mg"}


def test_obesity_is_flagged_and_never_changes_the_dose():
    # WHO (2000): obese from BMI 30; 170 cm: 86.7 kg is 30.0 kg/m², 86 kg 29.8 kg/m²
    table = {"height_cm": [170.0, 170.0], "weight_kg": [86.7, 86.0]}
    flagged = dose_table(table, "75 mg/m^2", flag_obesity=True).dosed
    assert flagged["obese"].to_pylist() == [True, False]
    assert flagged.drop_columns(["obese"]).equals(dose_table(table, "75 mg/m^2").dosed)


# --- rows the safeguards reject ----------------------------------------------------


def test_a_weight_basis_rejects_rows_without_a_usable_sex_or_an_adult_height():
    table = {
        "height_cm": [175.0, 110.0, 1.75, 170.0, 160.0, 180.0, 165.0],
        "weight_kg": [70.0, 20.0, 70.0, 90.0, 60.0, 80.0, 55.0],
        "sex": ["m", "f", "f", None, " ", "x", "F"],
    }
    dosed, rejects = dose_table(table, "75 mg/m^2", weight_basis="ideal", row_offset=10)
    assert dosed["height_cm"].to_pylist() == [175.0, 165.0]
    assert reasons(rejects) == {
        12: "height_cm=110 cm: expected 152.4-280 cm (Devine's formula starts at 5 ft; below it use another basis)",
        13: "height_cm=1.75 cm: expected 20-280 cm; did you mean 1.75 m?",
        14: "sex is missing",  # never defaulted
        15: "sex is missing",
        16: "sex='x' is not known; expected one of: f, female, woman, w, m, male, man",
    }
    # lean body weight is not Devine's: any plausible height
    dosed, rejects = dose_table(table, "75 mg/m^2", weight_basis="lean")
    assert dosed["height_cm"].to_pylist() == [175.0, 110.0, 165.0]


def test_rounding_and_input_rejects_keep_row_order():
    # row 1: rounds (138.35 -> 140 mg); row 2: a slipped height; row 3: 300 mg/m² × 1.63 m² = 490 mg, to 100 mg
    # is 500 mg (+2.0 %); row 4: 92.1 mg -> 100 mg is +8.6 %, refused
    table = {
        "height_cm": [175.0, 1.6, 160.0, 150.0],
        "weight_kg": [70.0, 60.0, 60.0, 51.0],
        "dose_mg_m2": [75.0, 75.0, 300.0, 63.0],
    }
    dosed, rejects = dose_table(table, round_to="100 mg", tolerance_pct=2.5)
    assert dosed["dose_rounded_mg"].to_pylist() == [500.0]
    assert list(reasons(rejects)) == [1, 2, 4]
    assert reasons(rejects)[1].startswith(
        "dose_mg=138.35 mg: expected a dose within ±2.5 % of a multiple of 100 mg; the nearest, 100 mg"
    )
    assert reasons(rejects)[2] == "height_cm=1.6 cm: expected 20-280 cm; did you mean 1.6 m?"
    assert rejects.num_rows + dosed.num_rows == 4


def test_too_many_vial_combinations_reject_only_those_rows():
    # 0.5 and 0.2 mg tablets: round_dose refuses doses above ~316 mg (over a million combinations); the
    # engine rejects those rows, as the scalar path refuses them, and rounds the others
    doses = [10.0, 100.0, 300.0, 320.0, 2000.0, 150_000.0]
    dosed, rejects = dose_table({"dose_mg": doses}, vials="0.5 mg, 0.2 mg")
    for dose in doses:
        try:
            expected = round_dose(dose, strengths="0.5 mg, 0.2 mg").rounded.m_as("mg")
        except ImplausibleInputError:
            why = f"dose_mg={dose:g} mg: too large to count in whole units of 0.5, 0.2 mg; round to a step instead"
            assert why in rejects["reason"].to_pylist()
        else:
            assert expected in dosed["dose_rounded_mg"].to_pylist()
    assert 0 < dosed.num_rows < len(doses) and dosed.num_rows + rejects.num_rows == len(doses)


# --- unusable options ----------------------------------------------------------------


@pytest.mark.parametrize(
    "table, options, error, match",
    [
        ({"height_cm": [175.0], "weight_kg": [70.0]}, {"weight_basis": "ideal"}, MissingInputError, "a sex column"),
        ({"weight_kg": [70.0], "sex": ["f"]}, {"weight_basis": "adjusted"}, MissingInputError, "a height column"),
        ({"height_cm": [175.0], "weight_kg": [70.0]}, {"weight_basis": "fat"}, UnknownNameError, "weight_basis='fat'"),
        (
            {"weight_kg": [70.0]},
            {"method": "livingston_lee", "flag_obesity": True},
            MissingInputError,
            "a height column is required for flag_obesity",
        ),
        (
            {"weight_kg": [70.0]},
            {"dose": "1 mg/kg", "bsa_cap": 2.0},
            ImplausibleInputError,
            "bsa_cap=2.0 m²: expected no BSA cap for a dose in mg/kg: it caps a dose per m²",
        ),
        ({"height_cm": [175.0], "weight_kg": [70.0]}, {"bsa_cap": 20}, ImplausibleInputError, "bsa_cap=20 m²"),
        ({"height_cm": [175.0], "weight_kg": [70.0]}, {"max_dose": "2 mL"}, DoseCalcError, "max_dose"),
        ({"height_cm": [175.0], "weight_kg": [70.0]}, {"reduction_pct": 95}, ImplausibleInputError, "reduction_pct=95"),
        (
            {"height_cm": [175.0], "weight_kg": [70.0]},
            {"round_to": "5 mg", "bands": BANDS},
            DoseCalcError,
            "give one of round_to, vials and bands, not round_to and bands",
        ),
        (
            {"height_cm": [175.0], "weight_kg": [70.0]},
            {"tolerance_pct": 5},
            MissingInputError,
            "round_to or vials is required for a rounding tolerance",
        ),
        (
            {"height_cm": [175.0], "weight_kg": [70.0]},
            {"round_to": "5 mg", "tolerance_pct": 15},
            ImplausibleInputError,
            "tolerance_pct=15",
        ),
        ({"height_cm": [175.0], "weight_kg": [70.0]}, {"vials": ""}, DoseCalcError, "strengths"),
        (
            {"height_cm": [175.0], "weight_kg": [70.0]},
            {"bands": "no-such-bands.csv"},
            DoseCalcError,
            "no-such-bands.csv",
        ),
        (
            {"height_cm": [175.0], "weight_kg": [70.0], "obese": [1]},
            {"flag_obesity": True},
            DoseCalcError,
            "'obese', which dosecalc writes",
        ),
        # one value per option: several, as an array, would be a column's work (they were raw TypeErrors)
        (
            {"height_cm": [175.0], "weight_kg": [70.0]},
            {"bsa_cap": Q_([2.0, 2.1], "m**2")},
            ImplausibleInputError,
            r"bsa_cap=\[2.0, 2.1\] m²: expected one value",
        ),
        (
            {"height_cm": [175.0], "weight_kg": [70.0]},
            {"max_dose": Q_([2.0, 3.0], "mg")},
            ImplausibleInputError,
            r"max_dose=\[2.0, 3.0\] mg: expected one value in mg",
        ),
        (
            {"height_cm": [175.0], "weight_kg": [70.0]},
            {"round_to": Q_([5.0, 50.0], "mg")},
            ImplausibleInputError,
            r"round_to=\[5.0, 50.0\] mg: expected one value in mg",
        ),
        (
            {"height_cm": [175.0], "weight_kg": [70.0]},
            {"reduction_pct": [10, 20]},
            ImplausibleInputError,
            "reduction_pct=.*expected one value",
        ),
        (
            {"height_cm": [175.0], "weight_kg": [70.0]},
            {"round_to": "5 mg", "tolerance_pct": [5, 6]},
            ImplausibleInputError,
            "tolerance_pct=.*expected one value",
        ),
    ],
)
def test_unusable_options_raise_naming_the_option(table, options, error, match):
    with pytest.raises(error, match=match):
        dose_table(table, **{"dose": "75 mg/m^2", **options})


def test_an_input_column_named_like_an_option_column_is_kept_when_the_option_is_off():
    dosed, _ = dose_table({"height_cm": [175.0], "weight_kg": [70.0], "obese": ["yes"]}, "75 mg/m^2")
    assert dosed["obese"].to_pylist() == ["yes"]


# --- files -------------------------------------------------------------------------------


def test_convert_file_forwards_the_options(tmp_path, monkeypatch):
    import dosecalc.cohort_io

    monkeypatch.setattr(dosecalc.cohort_io, "BLOCK_BYTES", 64)  # several batches
    rows = [f"p{i},{150 + i},{50 + 2 * i},{'FM'[i % 2] if i % 7 else ''}" for i in range(40)]
    source = tmp_path / "in.csv"
    source.write_text("patient_id,height_cm,weight_kg,sex\n" + "\n".join(rows) + "\n")
    options = {"weight_basis": "adjusted", "max_dose": "150 mg", "round_to": "10 mg", "flag_obesity": True}
    for output in (tmp_path / "out.csv", tmp_path / "out.parquet"):
        summary = convert_file(source, output, dose="75 mg/m^2", rejects_path=tmp_path / "rejects.csv", **options)
        assert summary.rows_read == 40 == summary.rows_written + summary.rows_rejected
        assert summary.rows_rejected >= 6  # every seventh row has no sex
    dosed = pq.read_table(tmp_path / "out.parquet")
    for row in dosed.to_pylist():
        expected = scalar("75 mg/m^2", float(row["height_cm"]), float(row["weight_kg"]), sex=row["sex"], **options)
        assert {key: row[key] for key in expected} == expected


# --- property: the engine is the scalar library, row by row, with every option ----

BAD = st.sampled_from([None, 0.0, -1.0, math.nan, 1e6, "n/a"])
MEASURES = st.sampled_from(
    [
        {},
        {"round_to": "5 mg"},
        {"round_to": 0.1, "tolerance_pct": 10},
        {"vials": "100 mg, 50 mg, 10 mg"},
        {"vials": "450 mg, 150 mg, 50 mg", "tolerance_pct": 2},
        {"bands": BANDS},
    ]
)
OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "weight_basis": st.sampled_from(["actual", "ideal", "adjusted", "lean"]),
        "bsa_cap": st.floats(1.5, 2.5),
        "max_dose": st.sampled_from(["2 mg", "150 mg", 500.0, Q_(0.2, "g")]),
        "reduction_pct": st.floats(1.0, 90.0),
        "flag_obesity": st.booleans(),
    },
)


@st.composite
def guarded_cohorts(draw):
    n = draw(st.integers(1, 20))
    # mostly adults, some of any size, a third bad
    heights = draw(st.lists(st.floats(140.0, 200.0) | st.floats(15.0, 290.0) | BAD, min_size=n, max_size=n))
    weights = draw(st.lists(st.floats(40.0, 150.0) | st.floats(0.1, 750.0) | BAD, min_size=n, max_size=n))
    sexes = draw(st.lists(st.sampled_from(["f", "m", "F", "male", "x", None, ""]), min_size=n, max_size=n))
    method = draw(st.sampled_from(sorted(BSA_METHODS)))
    per_row = draw(st.booleans())
    doses = draw(st.lists(st.floats(0.5, 500.0) | BAD, min_size=n, max_size=n)) if per_row else None
    dose = None if per_row else draw(st.sampled_from(["75 mg/m^2", "1.5 mg/kg", "100 mg"]))
    options = {**draw(OPTIONS), **draw(MEASURES)}
    if dose is not None and not dose.endswith("/m^2"):  # a BSA cap caps a dose per m² (refused for another)
        options.pop("bsa_cap", None)
    return heights, weights, sexes, method, doses, dose, options


@given(guarded_cohorts(), st.integers(0, 10**6))
def test_engine_equals_scalar_library_row_by_row(cohort, row_offset):
    heights, weights, sexes, method, doses, dose, options = cohort
    cells = {"height_cm": heights, "weight_kg": weights} | ({} if doses is None else {"dose_mg_m2": doses})
    table = pa.table(
        {
            name: pa.array([None if isinstance(v, str) else v for v in values], pa.float64())
            for name, values in cells.items()
        }
        | {"sex": pa.array(sexes, pa.string())}
    )
    dosed, rejects = dose_table(table, dose, method, row_offset=row_offset, **options)

    expected, refused = [], []
    for i, sex in enumerate(sexes):
        values = [cells[name][i] for name in cells]
        result = None
        if not any(value is None or isinstance(value, str) for value in values):  # a missing cell: a reject
            row_dose = dose if doses is None else Q_(doses[i], "mg/m**2")
            result = scalar(row_dose, heights[i], weights[i], method, sex, **options)
        if result is None:
            refused.append(row_offset + i + 1)
        else:
            expected.append(result)
    assert dosed.column_names[len(table.column_names)] == "row"
    added = dosed.column_names[len(table.column_names) + 1 :]
    assert dosed.select(added).to_pylist() == expected  # exactly equal, not approximately
    assert rejects["row"].to_pylist() == refused
    # every input row once, by its position: dosed and rejected together number 1..n after the offset
    assert sorted(dosed["row"].to_pylist() + refused) == list(range(row_offset + 1, row_offset + table.num_rows + 1))
    assert dosed.num_rows + rejects.num_rows == table.num_rows
    assert all(rejects["reason"].to_pylist())
    # capping never raises a dose; rounding never moves it by more than the tolerance
    if "dose_uncapped_mg" in added:
        assert np.all(dosed["dose_mg"].to_numpy() <= dosed["dose_uncapped_mg"].to_numpy())
    if "rounding_difference_pct" in added:
        assert np.all(np.abs(dosed["rounding_difference_pct"].to_numpy()) <= options.get("tolerance_pct", 5))


def test_rounding_never_passes_the_max_dose():
    # vincristine 1.4 mg/m² capped at 2 mg (CHOP); BSA 2.0 m² (Mosteller, 180 cm, 80 kg) gives 2.8 mg,
    # capped to 2 mg; a 0.3 mg step would round that up to 2.1 mg, the cap makes it 1.8 mg
    dosed, rejects = dose_table(
        {"height_cm": [180.0], "weight_kg": [80.0]},
        dose="1.4 mg/m^2",
        max_dose="2 mg",
        round_to="0.3 mg",
        tolerance_pct=10,
    )
    assert rejects.num_rows == 0
    assert dosed["dose_mg"].to_pylist() == [2.0]
    assert dosed["dose_rounded_mg"].to_pylist() == [pytest.approx(1.8)]
    scalar = round_dose("2 mg", step="0.3 mg", tolerance_pct=10, ceiling="2 mg")
    assert dosed["dose_rounded_mg"].to_pylist() == [scalar.rounded.m_as("mg")]


# --- one dose order: the engine is Order.for_patient, row by row ---------------------


@st.composite
def dose_orders(draw):
    """An order's dose and options as dose_table takes them: every basis, each safeguard or none."""
    basis = draw(st.sampled_from(["mg/m2", "mg/kg", "mg", "units/m2", "units/kg", "units"]))
    amount = basis.split("/")[0]
    dose = f"{draw(st.floats(0.5, 2000.0)):.6g} {basis}"
    options = {}
    if draw(st.booleans()):
        options["reduction_pct"] = draw(st.floats(1.0, 90.0))
    if basis.endswith(("/m2", "/kg")) and draw(st.booleans()):
        options["weight_basis"] = draw(st.sampled_from(["actual", "ideal", "adjusted", "lean"]))
    if basis.endswith("/m2") and draw(st.booleans()):  # a BSA cap caps a dose per m² (refused for another)
        options["bsa_cap"] = draw(st.floats(1.5, 2.5))
    if draw(st.booleans()):
        options["max_dose"] = f"{draw(st.floats(1.0, 5000.0)):.6g} {amount}"
    if amount == "mg":
        options.update(draw(MEASURES))
    return dose, options


@st.composite
def order_patients(draw):
    n = draw(st.integers(0, 12))
    cells = st.floats(140.0, 200.0) | st.floats(15.0, 290.0) | st.sampled_from([None, 0.0, -1.0, math.nan, math.inf])
    heights = draw(st.lists(cells, min_size=n, max_size=n))
    weights = draw(st.lists(st.floats(40.0, 150.0) | st.floats(0.1, 750.0) | BAD, min_size=n, max_size=n))
    sexes = draw(st.lists(st.sampled_from(["f", "m", "M", "female", "x", None]), min_size=n, max_size=n))
    return heights, [None if isinstance(w, str) else w for w in weights], sexes


@given(dose_orders(), order_patients(), st.sampled_from(sorted(BSA_METHODS)))
def test_engine_equals_the_order_for_each_patient(dose_order, patients, method):
    dose, options = dose_order
    order = Order(None, dose, **options)  # the options as dose_table takes them
    heights, weights, sexes = patients
    table = pa.table(
        {
            "height_cm": pa.array(heights, pa.float64()),
            "weight_kg": pa.array(weights, pa.float64()),
            "sex": pa.array(sexes, pa.string()),
        }
    )
    dosed, rejects = dose_table(table, dose, method, **options)
    amount = order.amount_unit
    final = (
        "dose_rounded_mg"
        if "round_to" in options or "vials" in options
        else "dose_banded_mg"
        if "bands" in options
        else f"dose_{amount}"
    )
    by_row = {row["row"]: row for row in dosed.to_pylist()}
    for number, (height, weight, sex) in enumerate(zip(heights, weights, sexes), start=1):
        if height is None or weight is None:  # a column's cell is required in every row, needed or not
            assert number not in by_row
            continue
        if number not in by_row:
            with pytest.raises(DoseCalcError):
                order.for_patient(height=height, weight=weight, sex=sex, method=method)
            continue
        one = order.for_patient(height=height, weight=weight, sex=sex, method=method)
        row = by_row[number]
        # exactly: the same steps in the same order, by the same numpy kernels for one row and for many
        assert row[final] == one.dose.m_as(amount)
        assert row[f"dose_{amount}"] == one.calculated.m_as(amount)
        assert row["bsa_m2"] == (None if one.patient.bsa is None else one.patient.bsa.m_as("m**2"))
    assert sorted([*by_row, *rejects["row"].to_pylist()]) == list(range(1, len(heights) + 1))


def test_a_dose_in_units():
    # ABVD: bleomycin 10 units/m² (Blenoxane label: USP units); Mosteller 180 cm, 80 kg = 2.0 m²: 20 units,
    # capped at 15 units; 160 cm, 52 kg: sqrt(160 × 52 / 3600) = 1.520 m², 15.2 units, capped too
    table = {"height_cm": [180.0, 160.0, 1.6], "weight_kg": [80.0, 52.0, 52.0]}
    dosed, rejects = dose_table(table, "10 units/m2", max_dose="15 units")
    assert dosed.column_names[2:] == [
        "row",
        "bsa_m2",
        "dose_units",
        "dose_units_per_m2",
        "dose_units_per_kg",
        "bsa_method",
        "dose_uncapped_units",
        "dose_capped",
    ]
    assert dosed["dose_uncapped_units"].to_pylist() == [20.0, pytest.approx(10 * mosteller(160, 52))]
    assert dosed["dose_units"].to_pylist() == [15.0, 15.0]
    assert dosed["dose_units_per_m2"].to_pylist() == [7.5, pytest.approx(15 / mosteller(160, 52))]
    assert reasons(rejects) == {3: "height_cm=1.6 cm: expected 20-280 cm; did you mean 1.6 m?"}
    # a maximum dose in mg for a dose in units: refused, never converted
    with pytest.raises(UnitError, match="max_dose"):
        dose_table(table, "10 units/m2", max_dose="15 mg")
    for rounding in ({"round_to": "5 units"}, {"vials": "15 units"}, {"bands": BANDS}):
        with pytest.raises(UnitError, match="a dose in mg"):
            dose_table(table, "10 units/m2", **rounding)


def test_a_dose_column_in_units():
    # 10 and 20 units/m² × 2.0 m² (Mosteller 180 cm, 80 kg) = 20 and 40 units; a flat 15 units stays 15 units
    table = {"height_cm": [180.0, 180.0], "weight_kg": [80.0, 80.0], "dose_units_m2": [10, 20]}
    dosed, _ = dose_table(table)
    assert dosed["dose_units"].to_pylist() == [20.0, 40.0] and "dose_mg" not in dosed.column_names
    dosed = dose_table({"weight_kg": [80.0, 60.0], "dose_units": ["15", "30"]}, max_dose=20, rejects="inline")
    assert dosed.select(["dose_units", "dose_uncapped_units", "dose_capped"]).to_pylist() == [
        {"dose_units": 15.0, "dose_uncapped_units": 15.0, "dose_capped": False},
        {"dose_units": 20.0, "dose_uncapped_units": 30.0, "dose_capped": True},
    ]


def test_a_dose_column_keeps_the_safeguards_of_its_order():
    # the options are the Order's, checked as for one patient, whichever way the dose comes
    table = {"height_cm": [180.0], "weight_kg": [80.0], "dose_mg_m2": [85.0]}
    dosed, _ = dose_table(table, reduction_pct=20)  # 85 × 0.8 = 68 mg/m² × 2.0 m² = 136 mg
    assert dosed.select(["dose_mg", "dose_reduction_pct"]).to_pylist() == [
        {"dose_mg": 136.0, "dose_reduction_pct": 20.0}
    ]
    with pytest.raises(UnitError, match="max_dose"):
        dose_table({"weight_kg": [80.0], "dose_units": [15.0]}, max_dose="20 mg")
    with pytest.raises(UnitError, match="round_to"):
        dose_table({"weight_kg": [80.0], "dose_units": [15.0]}, round_to="5 mg")


def test_a_rounding_refused_under_the_maximum_dose_is_said_as_the_scalar_path_says_it():
    # 894 mg at most 900 mg, to multiples of 1000 mg: the nearest kept is 0 mg, below the maximum
    table = {"height_cm": [175.0, 175.0], "weight_kg": [70.0, 70.0]}
    rejects = dose_table(table, "894 mg", max_dose="900 mg", round_to="1000 mg", tolerance_pct=10).rejects
    with pytest.raises(ImplausibleInputError) as scalar_refusal:
        round_dose("894 mg", step="1000 mg", tolerance_pct=10, ceiling="900 mg")
    assert (
        rejects["reason"].to_pylist()
        == [f"dose_mg=894 mg: expected {scalar_refusal.value.expected}; {scalar_refusal.value.hint}"] * 2
    )
    assert "the nearest at most the ceiling of 900 mg, 0 mg, is -100.0 %" in rejects["reason"][0].as_py()


def test_an_ideal_or_adjusted_weight_above_the_actual_one_is_said_never_changed():
    # 184 cm man of 57.334 kg: Devine IBW 50 + 2.3 × (184 / 2.54 − 60) = 78.61 kg, above what he weighs; the
    # adjusted weight 78.61 + 0.4 × (57.334 − 78.61) = 70.1 kg too. A 90 kg man is above his ideal weight: not said
    table = {"height_cm": [184.0, 184.0], "weight_kg": [57.334, 90.0], "sex": ["m", "m"]}
    for basis in ("ideal", "adjusted"):
        dosed = dose_table(table, "75 mg/m^2", weight_basis=basis).dosed
        assert dosed["above_actual_weight"].to_pylist() == [True, False]
        one = patient_dose("75 mg/m^2", height=184, weight=57.334, sex="m", weight_basis=basis)
        assert one.above_actual_weight is True and one.to_dict()["above_actual_weight"] is True
    ibw = 50 + 2.3 * (184 / 2.54 - 60)
    assert dose_table(table, "75 mg/m^2", weight_basis="ideal").dosed["dosing_weight_kg"][0].as_py() == (
        pytest.approx(ibw)
    )
    assert dose_table(table, "75 mg/m^2", weight_basis="lesser").dosed["above_actual_weight"].to_pylist() == [
        False,
        False,
    ]
