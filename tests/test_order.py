"""One dose order, evaluated the same way for a patient and for a table."""

import json
import math
import pathlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosecalc import Q_, patient_dose
from dosecalc.errors import (
    DoseCalcError,
    ImplausibleInputError,
    MissingInputError,
    UnitError,
    UnknownNameError,
)
from dosecalc.order import Order, OrderDose, drug_name

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def names(result: OrderDose) -> list[str]:
    return [step.name for step in result.steps]


# --- hand-computed doses ------------------------------------------------------------


def test_vincristine_capped_at_2_mg():
    # Coiffier et al., NEJM 2002 (R-CHOP): vincristine 1.4 mg/m², max 2 mg; 1.4 × 1.9 = 2.66 mg → 2 mg
    order = Order("vincristine", "1.4 mg/m2", max_dose="2 mg", references={"max_dose": "Coiffier 2002"})
    result = order.for_patient(bsa=1.9)
    assert result.dose.m_as("mg") == 2.0
    assert result.capped is True and result.rounded is False
    assert names(result) == ["prescribed", "calculation", "max dose"]
    calculation, cap = result.steps[1], result.steps[2]
    assert calculation.after.m_as("mg") == pytest.approx(2.66)
    assert (cap.before.m_as("mg"), cap.after.m_as("mg"), cap.applied) == (pytest.approx(2.66), 2.0, True)
    assert cap.reference == "Coiffier 2002" and "2 mg" in cap.change


def test_per_m2_dose_by_mosteller():
    # IMGN901 75 mg/m² (ImmunoGen 2011); Mosteller BSA of 180 cm, 80 kg = sqrt(180 × 80 / 3600) = 2.0 m² → 150 mg
    result = Order("IMGN901", "75 mg/m2").for_patient(height=180, weight=80)
    assert result.dose.m_as("mg") == pytest.approx(150.0)
    assert result.steps[1].reference.startswith("Mosteller")
    assert result.capped is False


def test_reduction_then_dose():
    # oxaliplatin 85 mg/m² reduced by 20 %: 68 mg/m² × BSA 2.0 m² = 136 mg
    result = Order("oxaliplatin", "85 mg/m2", reduction_pct=20).for_patient(bsa=2.0)
    assert names(result) == ["prescribed", "modification", "calculation"]
    assert result.steps[1].after.m_as("mg/m**2") == pytest.approx(68.0)
    assert result.dose.m_as("mg") == pytest.approx(136.0)


def test_level_from_a_table():
    # level −1 of {0: 85, −1: 65 mg/m²}: 65 × 1.9 = 123.5 mg
    order = Order("oxaliplatin", "85 mg/m2", level="−1", levels={"0": "85 mg/m2", "-1": "65 mg/m2"})
    result = order.for_patient(bsa=1.9)
    assert result.dose.m_as("mg") == pytest.approx(123.5)
    assert "level -1" in result.steps[1].change


def test_level_table_file():
    # examples/levels.csv is written for oxaliplatin 85 mg/m²; level -1 there is 65 mg/m²: 65 × 2.0 = 130 mg
    result = Order("oxaliplatin", "85 mg/m2", level=-1, levels=EXAMPLES / "levels.csv").for_patient(bsa=2.0)
    assert result.dose.m_as("mg") == pytest.approx(130.0)


def test_weight_basis_ideal_per_kg():
    # Devine (1974): 50 kg + 2.3 kg per inch over 5 ft; 177.8 cm = 70 in → 73.0 kg; 2 mg/kg × 73 = 146 mg
    result = Order("drug-x", "2 mg/kg", weight_basis="IBW").for_patient(height=177.8, weight=98, sex="m")
    assert names(result) == ["prescribed", "weight basis", "calculation"]
    weight_step = result.steps[1]
    assert (weight_step.before.m_as("kg"), weight_step.after.m_as("kg")) == (98.0, pytest.approx(73.0))
    assert result.dose.m_as("mg") == pytest.approx(146.0)


def test_bsa_cap_then_max_dose_then_rounding():
    # 50 mg/m², 190 cm, 110 kg: Mosteller sqrt(190 × 110 / 3600) = 2.4095 m² → 120.5 mg;
    # BSA capped at 2.0 m² → 100 mg; max 90 mg → 90 mg; 90 rounds to a 5 mg step as 90 mg
    order = Order("doxorubicin", "50 mg/m2", bsa_cap=2.0, max_dose="90 mg", round_to="5 mg")
    result = order.for_patient(height=190, weight=110)
    assert names(result) == ["prescribed", "calculation", "BSA cap", "max dose", "rounding"]
    uncapped = 50 * math.sqrt(190 * 110 / 3600)
    steps = {step.name: step for step in result.steps}
    assert steps["calculation"].after.m_as("mg") == pytest.approx(uncapped)
    assert steps["BSA cap"].after.m_as("mg") == pytest.approx(100.0)
    assert steps["max dose"].before.m_as("mg") == pytest.approx(100.0)
    assert result.calculated.m_as("mg") == 90.0 and result.dose.m_as("mg") == 90.0
    assert steps["rounding"].applied is False


def test_steps_say_when_a_cap_did_not_apply():
    # 1.4 mg/m² × 1.2 m² = 1.68 mg: below the 2 mg cap
    result = Order("vincristine", "1.4 mg/m2", max_dose="2 mg").for_patient(bsa=1.2)
    cap = result.steps[-1]
    assert cap.applied is False and cap.change.startswith("not applied")
    assert result.dose.m_as("mg") == pytest.approx(1.68)


def test_rounding_to_vials():
    # 75 mg/m² × 1.84 m² = 138 mg; vials of 100 and 50 mg: 150 mg is +8.7 %, accepted at ±10 %
    result = Order("drug-x", "75 mg/m2", vials="100 mg, 50 mg", tolerance_pct=10).for_patient(bsa=1.84)
    assert result.dose.m_as("mg") == 150.0
    assert "1 × 100 mg + 1 × 50 mg" in result.steps[-1].change


def test_rounding_outside_the_tolerance_is_refused():
    with pytest.raises(ImplausibleInputError, match="not rounded"):
        Order("drug-x", "75 mg/m2", vials="100 mg, 50 mg").for_patient(bsa=1.84)


def test_band():
    # gemcitabine 1000 mg/m² × 1.18 m² = 1180 mg: band 1150-1250 mg of examples/bands.csv → 1200 mg
    result = Order("gemcitabine", "1000 mg/m2", bands=EXAMPLES / "bands.csv").for_patient(bsa=1.18)
    assert result.dose.m_as("mg") == 1200.0
    assert result.steps[-1].name == "band" and result.rounded is True


# vincristine bands of 0.2 mg (a pharmacy's table) above and below its 2 mg maximum (Coiffier et al. 2002)
VINCRISTINE_BANDS = [
    {"lower": "1.6 mg", "upper": "1.8 mg", "dose": "1.7 mg"},
    {"lower": "1.8 mg", "upper": "2.0 mg", "dose": "1.9 mg"},
    {"lower": "2.0 mg", "upper": "2.2 mg", "dose": "2.1 mg"},
]


def test_a_band_never_gives_more_than_the_maximum_dose():
    from dosecalc.adjustments import band_table

    bands = band_table(VINCRISTINE_BANDS, source="vincristine bands")
    order = Order("vincristine", "1.4 mg/m2", max_dose="2 mg", bands=bands)
    # 1.4 mg/m² × 2.0 m² = 2.8 mg, capped at 2 mg: band 2.0-2.2 mg gives 2.1 mg, above the maximum; the band
    # below gives 1.9 mg, (1.9 − 2) / 2 = −5 %, within the table's 6 % (NICE KTT22)
    result = order.for_patient(bsa=2.0)
    assert result.dose.m_as("mg") == pytest.approx(1.9) and result.band.deviation_pct == pytest.approx(-5.0)
    # Mosteller: sqrt(180 × 80 / 3600) = 2.0 m², as above; sqrt(150 × 45 / 3600) = 1.369 m², 1.917 mg: band 1.8-2.0 mg
    dosed = order.for_table({"height_cm": [180.0, 150.0], "weight_kg": [80.0, 45.0]}).dosed
    assert dosed["dose_banded_mg"].to_pylist() == pytest.approx([1.9, 1.9])
    # with only the band above, the capped dose is refused, never banded past its maximum
    above = Order("vincristine", "1.4 mg/m2", max_dose="2 mg", bands=band_table(VINCRISTINE_BANDS[2:], source="top"))
    with pytest.raises(ImplausibleInputError, match="gives 2.1 mg, above the maximum of 2 mg"):
        above.for_patient(bsa=2.0)
    rejected = above.for_table({"height_cm": [180.0], "weight_kg": [80.0]}).rejects
    assert "above the maximum of 2 mg" in rejected["reason"][0].as_py()


def test_flat_dose():
    result = Order("dexamethasone", "40 mg").for_patient()
    assert result.dose.m_as("mg") == 40.0
    assert result.steps[-1].change == "flat dose, as prescribed"
    # reduced, it is no longer the dose as prescribed: 100 mg −20 % is 80 mg, as modified
    reduced = Order("dexamethasone", "100 mg", reduction_pct=20).for_patient()
    assert reduced.dose.m_as("mg") == 80.0 and reduced.steps[-1].change == "flat dose, as modified"


def test_carboplatin_by_auc():
    # Calvert (1989): 5 × (90 + 25) = 575 mg
    result = Order("carboplatin", "5 mg/mL*min").for_patient(gfr="90 mL/min")
    assert result.dose.m_as("mg") == pytest.approx(575.0)
    assert "Calvert" in result.steps[-1].change


def test_carboplatin_gfr_cap_and_max_dose():
    # GFR 140 capped at 125 mL/min (FDA 2010): 5 × 150 = 750 mg; then a max dose of 700 mg
    result = Order("carboplatin", "5 mg/mL*min", max_dose="700 mg").for_patient(gfr=140)
    assert result.steps[1].after.m_as("mg") == pytest.approx(750.0)
    assert result.dose.m_as("mg") == 700.0 and result.capped is True


def test_carboplatin_by_cockcroft_gault():
    # CG (1976): (140 − 60) × 60 / (72 × 0.8) × 0.85 = 70.83 mL/min; 5 × (70.83 + 25) = 479.17 mg
    result = Order("carboplatin", "5 mg/mL*min").for_patient(weight=60, sex="f", age=60, creatinine="0.8 mg/dL")
    gfr = (140 - 60) * 60 / (72 * 0.8) * 0.85
    assert result.dose.m_as("mg") == pytest.approx(5 * (gfr + 25))


def test_carboplatin_gfr_and_creatinine_together_are_refused():
    with pytest.raises(DoseCalcError, match="not both"):
        Order("carboplatin", "5 mg/mL*min").for_patient(gfr=90, weight=60, sex="f", age=60, creatinine="0.8 mg/dL")


def test_carboplatin_without_renal_inputs():
    with pytest.raises(MissingInputError):
        Order("carboplatin", "5 mg/mL*min").for_patient(height=170, weight=70)


# --- the calculation step is patient_dose ----------------------------------------------


def test_patient_step_is_patient_dose():
    order = Order("doxorubicin", "50 mg/m2", weight_basis="adjusted", bsa_cap="2 m2", max_dose="100 mg")
    result = order.for_patient(height=180, weight=130, sex="f")
    direct = patient_dose(
        "50 mg/m2", height=180, weight=130, sex="f", weight_basis="adjusted", bsa_cap=2.0, max_dose="100 mg"
    )
    assert result.patient.to_dict() == direct.to_dict()


def test_to_dict_is_json():
    order = Order("oxaliplatin", "85 mg/m2", reduction_pct=20, round_to="5 mg", references="NCCN mFOLFOX6")
    data = order.for_patient(height=170, weight=70).to_dict()
    text = json.dumps(data)
    assert data["drug"] == "oxaliplatin"
    assert [step["name"] for step in data["steps"]] == ["prescribed", "modification", "calculation", "rounding"]
    assert data["order"]["references"] == {"dose": "NCCN mFOLFOX6"}
    assert data["steps"][0]["reference"] == "NCCN mFOLFOX6"
    assert json.loads(text)["dose"]["unit"] == "mg"


# --- building ------------------------------------------------------------------------


def test_built_from_strings_or_quantities_alike():
    texts = Order("doxorubicin", "50 mg/m2", bsa_cap="2 m2", max_dose="100 mg", round_to="5 mg")
    quantities = Order(
        "doxorubicin", Q_(50, "mg/m**2"), bsa_cap=Q_(2, "m**2"), max_dose=Q_(100, "mg"), round_to=Q_(5, "mg")
    )
    assert texts == quantities


def test_from_options_reads_option_texts():
    order = Order.from_options(
        "oxaliplatin",
        "85mg/m2",
        weight_basis="actual",
        bsa_cap="2.0",
        max_dose="200mg",
        reduce="20",
        round_to="5mg",
        tolerance="10",
    )
    assert order == Order(
        "oxaliplatin", "85 mg/m2", bsa_cap=2.0, max_dose="200 mg", reduction_pct=20, round_to="5 mg", tolerance_pct=10
    )
    assert Order.from_options("x", "85 mg/m2", reduce="20 %").reduction_pct == 20.0


def test_from_entry_refuses_unknown_keys():
    with pytest.raises(UnknownNameError, match="max_dos"):
        Order.from_entry({"drug": "vincristine", "dose": "1.4 mg/m2", "max_dos": "2 mg"})


def test_from_entry_refuses_booleans_and_numbers_without_units():
    with pytest.raises(ImplausibleInputError):
        Order.from_entry({"drug": "vincristine", "dose": "1.4 mg/m2", "max_dose": True})
    with pytest.raises(UnitError):
        Order.from_entry({"drug": "vincristine", "dose": 1.4})


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"round_to": "5 mg", "bands": EXAMPLES / "bands.csv"}, DoseCalcError),
        ({"round_to": "5 mg", "vials": "100 mg"}, DoseCalcError),
        ({"tolerance_pct": 5}, MissingInputError),
        ({"level": "-1"}, MissingInputError),
        ({"levels": {"0": "85 mg/m2"}}, MissingInputError),
        ({"reduction_pct": 20, "level": "-1", "levels": {"-1": "80 %"}}, DoseCalcError),
        ({"reduction_pct": 95}, ImplausibleInputError),
        ({"tolerance_pct": 15, "round_to": "5 mg"}, ImplausibleInputError),
        ({"max_dose": "2 mg/m2"}, UnitError),
        ({"bsa_cap": "2 kg"}, UnitError),
        ({"weight_basis": "heaviest"}, UnknownNameError),
        ({"references": {"dosage": "x"}}, UnknownNameError),
        ({"level": "-1", "levels": {"0": "100 mg/m2", "-1": "65 mg/m2"}}, ImplausibleInputError),
    ],
)
def test_refused_when_built(options, error):
    with pytest.raises(error):
        Order("oxaliplatin", "85 mg/m2", **options)


def test_auc_only_for_carboplatin_and_not_by_body_size():
    with pytest.raises(UnitError, match="carboplatin"):
        Order("cisplatin", "5 mg/mL*min")
    with pytest.raises(ImplausibleInputError, match="GFR"):
        Order("carboplatin", "5 mg/mL*min", bsa_cap=2.0)
    with pytest.raises(ImplausibleInputError):
        Order("carboplatin", "50 mg/mL*min")  # AUC 1-10 mg/mL·min


@pytest.mark.parametrize(
    "dose",
    ["75–100 mg/m2", "75 mg/m2 per cycle", "7\u200b5 mg/m2", "75 mg/m2/week", "½ mg", "75", "75 gr", "-75 mg/m2"],
)
def test_doses_outside_the_grammar_are_refused(dose):
    with pytest.raises(DoseCalcError):
        Order("drug-x", dose)


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("Doxorubicin", "'doxorubicin'"),
        ("adriamycin", "'doxorubicin'"),
        ("5-fu", "'fluorouracil'"),
        ("dox\u200borubicin", "lower-case"),
        ("doxorubicin ", "lower-case"),
        ("", "generic name"),
        ("doxorubicina\u0301", "lower-case"),
    ],
)
def test_drug_names(name, hint):
    with pytest.raises(ImplausibleInputError, match=hint):
        drug_name(name)


def test_code_names_and_generic_names_pass():
    assert drug_name("ABC123") == "ABC123"  # a code without an INN, as written
    # ImmunoGen release, 5 June 2011: "IMGN901 (lorvotuzumab mertansine)", the sponsor's code and the INN
    for name in ("IMGN901", "imgn901", "lorvotuzumab mertansine"):
        assert drug_name(name) == "lorvotuzumab mertansine"
    assert drug_name("liposomal doxorubicin") == "liposomal doxorubicin"
    assert drug_name("drug-x") == "drug-x"


def test_bleomycin_in_units():
    # ABVD (Bonadonna 1975; label: USP units): bleomycin 10 units/m² × 1.9 m² = 19 units, never mg
    result = Order("bleomycin", "10 units/m2").for_patient(bsa=1.9)
    assert result.dose.m_as("units") == pytest.approx(19.0)
    assert result.dose.units != Q_(1, "mg").units


# --- one patient and a table give the same numbers ------------------------------------------------


@st.composite
def orders(draw):
    basis = draw(st.sampled_from(["mg/m2", "mg/kg", "mg"]))
    amount = draw(st.floats(min_value=0.5, max_value=2000, allow_nan=False))
    options = {}
    if draw(st.booleans()):
        options["reduction_pct"] = draw(st.floats(min_value=1, max_value=50))
    if basis == "mg/m2" and draw(st.booleans()):
        options["bsa_cap"] = draw(st.floats(min_value=1.5, max_value=2.2))
    if draw(st.booleans()):
        options["max_dose"] = f"{draw(st.floats(min_value=1, max_value=5000)):.6g} mg"
    if basis != "mg" and draw(st.booleans()):
        options["weight_basis"] = draw(st.sampled_from(["actual", "ideal", "adjusted", "lean"]))
    measure = draw(st.sampled_from(["none", "step", "vials"]))
    if measure == "step":
        options["round_to"] = draw(st.sampled_from(["0.1 mg", "1 mg", "5 mg", "10 mg"]))
        options["tolerance_pct"] = 10
    elif measure == "vials":
        options["vials"] = draw(st.sampled_from(["100 mg, 50 mg", "10 mg", "500 mg, 100 mg, 10 mg"]))
        options["tolerance_pct"] = 10
    return Order("drug-x", f"{amount:.6g} {basis}", **options)


patients = st.lists(
    st.tuples(
        st.floats(min_value=140, max_value=200),
        st.floats(min_value=40, max_value=150),
        st.sampled_from(["f", "m"]),
    ),
    min_size=1,
    max_size=8,
)


@given(orders(), patients)
def test_for_table_equals_for_patient_row_by_row(order, rows):
    table = {
        "height_cm": [row[0] for row in rows],
        "weight_kg": [row[1] for row in rows],
        "sex": [row[2] for row in rows],
    }
    dosed, rejects = order.for_table(table)
    assert dosed.num_rows + rejects.num_rows == len(rows)
    final = dict(zip(dosed["row"].to_pylist(), dosed["final_dose_mg"].to_pylist()))
    for number, (height, weight, sex) in enumerate(rows, start=1):
        if number in final:
            one = order.for_patient(height=height, weight=weight, sex=sex)
            assert final[number] == pytest.approx(one.dose.m_as("mg"), rel=1e-12)
        else:
            with pytest.raises(DoseCalcError):
                order.for_patient(height=height, weight=weight, sex=sex)
    assert set(dosed["drug"].to_pylist()) <= {"drug-x"}


def test_for_table_rejects_name_the_row():
    order = Order("vincristine", "1.4 mg/m2", max_dose="2 mg")
    dosed, rejects = order.for_table({"height_cm": [175, 175], "weight_kg": [70, -1]})
    assert dosed["row"].to_pylist() == [1]
    assert rejects["row"].to_pylist() == [2]
    # 1.4 × sqrt(175 × 70 / 3600) = 2.58 mg, capped at 2 mg
    assert dosed["dose_uncapped_mg"].to_pylist() == [pytest.approx(1.4 * math.sqrt(175 * 70 / 3600))]
    assert dosed["final_dose_mg"].to_pylist() == [2.0]


def test_for_table_of_a_carboplatin_order_needs_kidney_columns():
    with pytest.raises(
        MissingInputError, match="an age column is required for creatinine clearance by Cockcroft-Gault"
    ):
        Order("carboplatin", "5 mg/mL*min").for_table({"weight_kg": [70]})


def test_a_table_of_arrays():
    order = Order("doxorubicin", "50 mg/m2")
    dosed, _ = order.for_table({"height_cm": np.array([180.0]), "weight_kg": np.array([80.0])})
    assert dosed["final_dose_mg"].to_pylist() == [pytest.approx(100.0)]  # 50 × 2.0 m²


def test_carboplatin_rounding_never_passes_the_fda_maximum():
    # AUC 5 with the GFR capped at 125 mL/min: at most 5 × 150 = 750 mg (FDA 2010); with 100 mg vials
    # 750 mg is a tie of 700 and 800: 800 mg would pass the maximum, so 700 mg (−6.7 %, within ±10 %)
    result = Order("carboplatin", "5 mg/mL*min", vials="100 mg", tolerance_pct=10).for_patient(gfr=140)
    assert result.calculated.m_as("mg") == pytest.approx(750.0)
    assert result.dose.m_as("mg") == 700.0


def test_a_pandas_table():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"height_cm": [180.0, 160.0], "weight_kg": [80.0, 60.0]})
    dosed, rejects = Order("doxorubicin", "50 mg/m2").for_table(frame)
    assert dosed["row"].tolist() == [1, 2] and len(rejects) == 0  # pandas in, pandas out
    assert dosed["final_dose_mg"].iloc[0] == pytest.approx(100.0)  # 50 × 2.0 m²


def test_drugs_dosed_in_units_refuse_mg():
    # the 1975 ABVD paper wrote bleomycin "10 mg/m²"; the label doses it in USP units, which are not mg
    with pytest.raises(UnitError, match="units"):
        Order("bleomycin", "10 mg/m2")
    with pytest.raises(UnitError):
        Order("bleomycin", "10 units/m2", max_dose="30 mg")
    with pytest.raises(UnitError):
        Order("bleomycin", "10 units/m2", vials="15 units")


def test_drugs_with_a_lifetime_limit_in_mg_per_m2_refuse_units():
    # the doxorubicin, epirubicin and daunorubicin labels dose in mg, and their lifetime limits (550, 900 and
    # 550 mg/m²) are in mg/m²: a dose in units would escape the limit, so it is refused
    for drug in ("doxorubicin", "epirubicin", "daunorubicin"):
        with pytest.raises(UnitError, match=f"^dose=50 units/m²: expected a dose in mg: {drug} is dosed in mg"):
            Order(drug, "50 units/m2")
        assert Order(drug, "50 mg/m2").dose.m_as("mg/m**2") == 50.0


def test_bleomycin_cap_in_units():
    # 10 units/m² × 1.9 m² = 19 units, capped at 15 units
    result = Order("bleomycin", "10 units/m2", max_dose="15 units").for_patient(bsa=1.9)
    assert result.dose.m_as("units") == 15.0 and result.steps[-1].before.m_as("units") == pytest.approx(19.0)


def test_an_unnamed_drug_and_the_failing_step():
    result = Order(None, "75 mg/m2").for_patient(bsa=1.84)
    assert result.drug is None and result.dose.m_as("mg") == pytest.approx(138.0)
    with pytest.raises(ImplausibleInputError) as raised:
        Order(None, "75 mg/m2", vials="100 mg, 50 mg").for_patient(bsa=1.84)
    assert raised.value.step == "rounding"


def test_for_patient_is_one_patient():
    with pytest.raises(ImplausibleInputError, match="for_table"):
        Order("doxorubicin", "50 mg/m2").for_patient(height=[180, 170], weight=[80, 70])
    with pytest.raises(ImplausibleInputError, match="for_table"):
        Order("doxorubicin", "50 mg/m2").for_patient(bsa=Q_(np.array([1.8, 2.0]), "m**2"))


def test_a_carboplatin_auc_order_is_reduced_by_ordering_the_reduced_auc():
    # a reduction of a target AUC is ordered as the AUC itself (AUC 5 − 20 % = AUC 4), never applied to mg
    with pytest.raises(ImplausibleInputError, match=r"^reduction_pct=20.0: .*'4 mg/mL\*min' for AUC 5 reduced by 20 %"):
        Order("carboplatin", "5 mg/mL*min", reduction_pct=20)
    # Calvert (1989): 4 × (90 + 25) = 460 mg
    assert Order("carboplatin", "4 mg/mL*min").for_patient(gfr="90 mL/min").dose.m_as("mg") == 460.0


def test_a_carboplatin_orders_given_bsa_is_checked_against_height_and_weight():
    # ADDIKD: CKD-EPI 2021 (Inker 2021) per 1.73 m², de-indexed by the BSA. 2.5 m² beside 165 cm and 70 kg
    # (Mosteller sqrt(165 × 70 / 3600) = 1.79 m²) gave 591 mg where the body's BSA gives 459 mg; as a dose's BSA is,
    # it is refused beyond 5 % of the body's, and with a weight alone it must be a body's
    order = Order("carboplatin", "5 mg/mL*min", policy="addikd")
    patient = {"age": 60, "sex": "f", "creatinine": "1 mg/dL"}
    with pytest.raises(ImplausibleInputError, match=r"^bsa=2.5 m²: expected within 5 % of 1.79 m², the BSA of the"):
        order.for_patient(**patient, height=165, weight=70, bsa=2.5)
    with pytest.raises(ImplausibleInputError, match=r"^bsa=2.5 m²: expected within 5 % of 1.79 m²"):
        order.for_patient(gfr="90 mL/min/1.73 m2", height=165, weight=70, bsa=2.5)
    with pytest.raises(ImplausibleInputError, match="the BSA of a body of the weight given, 7 kg"):
        order.for_patient(**patient, weight=7, bsa=1.8)
    kept = order.for_patient(**patient, height=165, weight=70, bsa=1.8).dose.m_as("mg")
    assert kept == pytest.approx(order.for_patient(**patient, bsa=1.8).dose.m_as("mg"))
