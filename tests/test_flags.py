"""
A yes-or-no setting is True or False: any other value is refused, never read by its truth. In
Python the text "no" is true, so decimal_comma="no" would read the cell 170,5 as 170.5 cm and
allow_outside_range="false" would pass a GFR above the physiological range.
"""

import numpy as np
import pytest

import dosecalc
from dosecalc.errors import ImplausibleInputError
from dosecalc.order import Order
from dosecalc.renal import kidney_function
from dosecalc.renal_table import kidney_table
from dosecalc.validation import checked_flag

NOT_FLAGS = ["no", "false", "False", "0", "", "yes", 0, 1, None, 0.0, [], "True"]
PATIENT = {"patient_id": ["A"], "height_cm": ["170,5"], "weight_kg": ["70"]}
KIDNEY = {"age_years": [60], "sex": ["m"], "weight_kg": [80], "creatinine_mg_dl": ["1,2"]}


@pytest.mark.parametrize("value", NOT_FLAGS)
def test_anything_but_a_boolean_is_refused(value):
    with pytest.raises(ImplausibleInputError) as caught:
        checked_flag(value, "decimal_comma")
    assert str(caught.value) == f"decimal_comma={value!r}: expected True or False"


@pytest.mark.parametrize("value", [True, False, np.True_, np.False_])
def test_a_boolean_is_itself(value):
    assert checked_flag(value, "decimal_comma") is bool(value)


@pytest.mark.parametrize("option", ["decimal_comma", "flag_obesity", "numeric_inputs"])
@pytest.mark.parametrize("value", ["no", "false", 1])
def test_a_table_refuses_a_setting_that_is_no_boolean(option, value):
    with pytest.raises(ImplausibleInputError, match=rf"^{option}=.*: expected True or False$"):
        dosecalc.dose_table(PATIENT, "75 mg/m2", **{option: value})


def test_a_decimal_comma_given_as_true_is_read():
    # Mosteller (N Engl J Med 1987;317:1098): 75 mg/m² × sqrt(170.5 cm × 70 kg / 3600)
    dosed = dosecalc.dose_table(PATIENT, "75 mg/m2", decimal_comma=True).dosed
    assert dosed["dose_mg"].to_pylist() == pytest.approx([75 * (170.5 * 70 / 3600) ** 0.5], rel=1e-12)
    assert dosecalc.dose_table(PATIENT, "75 mg/m2", decimal_comma=False).dosed.num_rows == 0


@pytest.mark.parametrize("option", ["decimal_comma", "numeric_inputs", "allow_outside_range"])
def test_a_kidney_table_refuses_a_setting_that_is_no_boolean(option):
    with pytest.raises(ImplausibleInputError, match=rf"^{option}='no': expected True or False$"):
        kidney_table(KIDNEY, **{option: "no"})


def test_one_patient_s_kidney_estimate_and_carboplatin_refuse_it():
    with pytest.raises(ImplausibleInputError, match="^allow_outside_range='false': expected True or False$"):
        kidney_function(
            "cockcroft-gault",
            age=60,
            sex="m",
            weight="80 kg",
            serum_creatinine="1.2 mg/dL",
            allow_outside_range="false",
        )
    with pytest.raises(ImplausibleInputError, match="^allow_outside_range='false': expected True or False$"):
        dosecalc.carboplatin_dose(auc=5, gfr="90 mL/min", allow_outside_range="false")


def test_an_order_refuses_it():
    with pytest.raises(ImplausibleInputError, match="^no_gfr_cap='no': expected True or False$"):
        Order.from_options(None, "AUC 5", no_gfr_cap="no")
    with pytest.raises(ImplausibleInputError, match="^allow_outside_range='no': expected True or False$"):
        Order(None, "75 mg/m2", allow_outside_range="no")
    order = Order(None, "75 mg/m2")
    with pytest.raises(ImplausibleInputError, match="^decimal_comma='no': expected True or False$"):
        order.for_table(PATIENT, decimal_comma="no")


def test_a_file_run_refuses_it(tmp_path):
    from dosecalc.cohort_io import convert_file

    source = tmp_path / "in.csv"
    source.write_text("patient_id;height_cm;weight_kg\nA;170,5;70\n", encoding="utf-8")
    with pytest.raises(ImplausibleInputError, match="^decimal_comma='no': expected True or False$"):
        convert_file(source, tmp_path / "out.csv", dose="75 mg/m2", delimiter=";", decimal_comma="no")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.csv"]
