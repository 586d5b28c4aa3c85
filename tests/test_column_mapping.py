"""
A mapped column is the input it is mapped as, and no other: a column whose name says it holds
another input is refused as that mapping, and one column is never two of a patient's inputs.
"""

import re
from pathlib import Path

import pytest
from test_cohort_files import cli, one_line_error

from dosecalc import dose_table
from dosecalc.errors import DoseCalcError, UnitError

PATIENT = {"patient_id": ["A"], "height_cm": [170.0], "weight_kg": [70.0]}


@pytest.mark.parametrize(
    "table, dose, column_map, column_units, message",
    [
        (
            PATIENT,
            "75 mg/m^2",
            {"weight": "height_cm"},
            {"weight": "kg"},
            "column_map['weight']='height_cm': the column's name says it holds the height; map a weight column",
        ),
        (
            PATIENT,
            None,
            {"dose": "weight_kg"},
            {"dose": "mg/kg"},
            "column_map['dose']='weight_kg': the column's name says it holds the weight; map a dose column",
        ),
        (
            {"Ht": [170.0], "Wt_cm": [70.0]},
            "75 mg/m^2",
            {"height": "Ht", "weight": "Wt_cm"},
            {"height": "cm", "weight": "kg"},
            "column_map['weight']='Wt_cm': the column's name ends in a unit of height (cm); map a weight column",
        ),
        (
            {"Ht": [170.0], "Wt": [70.0]},
            "75 mg/m^2",
            {"height": "Ht", "weight": "Ht"},
            {"height": "cm", "weight": "kg"},
            "column 'Ht' is mapped as both height and weight; map one column to each",
        ),
        (
            {"Ht": [170.0], "Wt": [70.0], "Sex": ["f"]},
            "75 mg/m^2",
            {"height": "Ht", "weight": "Wt", "sex": "Wt"},
            {"height": "cm", "weight": "kg"},
            "column 'Wt' is mapped as both weight and sex; map one column to each",
        ),
    ],
)
def test_a_column_mapped_as_what_it_is_not_is_refused(table, dose, column_map, column_units, message):
    with pytest.raises(DoseCalcError) as raised:
        dose_table(table, dose, column_map=column_map, column_units=column_units)
    assert str(raised.value) == message


def test_the_cli_refuses_height_read_as_weight(tmp_path):
    # 170 cm read as 170 kg passes every body check (BMI 58.8) and gives 212.5 mg instead of 136.36 mg
    (tmp_path / "in.csv").write_text("patient_id,height_cm,weight_kg\nA,170,70\n")
    line = one_line_error(
        cli(
            "cohort",
            str(tmp_path / "in.csv"),
            "-o",
            str(tmp_path / "o.csv"),
            "--dose",
            "75mg/m2",
            "--map",
            "weight=height_cm",
            "--weight-unit",
            "kg",
        )
    )
    assert "the column's name says it holds the height" in line and not (tmp_path / "o.csv").exists()


def test_columns_named_for_what_they_hold_are_mapped():
    # Mosteller (N Engl J Med 1987;317:1098): sqrt(170 x 70 / 3600) = 1.818119 m2; 75 mg/m2 -> 136.3589 mg;
    # a per-row 100 mg/m2 in an unnamed column: 181.8119 mg; a dose column "Amount_mg" is a flat dose, not a weight
    dosed, _ = dose_table(
        {"Ht": [170.0], "Wt": [70.0]},
        "75 mg/m^2",
        column_map={"height": "Ht", "weight": "Wt"},
        column_units={"height": "cm", "weight": "kg"},
    )
    assert dosed["dose_mg"].to_pylist() == pytest.approx([136.35890143], rel=1e-9)
    dosed, _ = dose_table(
        {"Ht": [170.0], "Weight (kg)": [70.0], "D": ["100"]},
        None,
        column_map={"height": "Ht", "dose": "D"},
        column_units={"height": "cm", "dose": "mg/m2"},
    )
    assert dosed["dose_mg"].to_pylist() == pytest.approx([181.81186858], rel=1e-9)
    dosed, _ = dose_table(
        {"Ht": [170.0], "Wt": [70.0], "Amount_mg": ["250"]},
        None,
        column_map={"height": "Ht", "weight": "Wt", "dose": "Amount_mg"},
        column_units={"height": "cm", "weight": "kg", "dose": "mg"},
    )
    assert dosed["dose_mg"].to_pylist() == [250.0]


@pytest.mark.parametrize(
    "mapping, message",
    [
        (
            ["age=weight_kg", "--age-unit", "years"],
            "column_map['age']='weight_kg': the column's name says it holds the weight; map an age column",
        ),
        (
            ["creatinine=age_years", "--creatinine-unit", "umol/L"],
            "column_map['creatinine']='age_years': the column's name says it holds the age; map a creatinine column",
        ),
        (
            ["age=age_years", "--map", "weight=age_years"],
            "column 'age_years' is mapped as both age and weight; map one column to each",
        ),
    ],
)
def test_kidney_inputs_are_mapped_as_what_they_are(tmp_path, mapping, message):
    # a 16-year-old's weight (50 kg) read as her age would pass Cockcroft-Gault's adult range and be dosed
    sample = Path(__file__).parents[1] / "examples" / "kidney-cohort.csv"
    line = one_line_error(
        cli("cohort", str(sample), "-o", str(tmp_path / "o.csv"), "--carboplatin-auc", "5", "--map", *mapping)
    )
    assert line == f"error: {message}" and not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize(
    "name, code",
    [
        ("height\u200b_cm", "U+200B"),  # zero-width space
        ("height_cm\u00ad", "U+00AD"),  # soft hyphen
        ("\u200eheight_cm", "U+200E"),  # left-to-right mark, as pasted from a web page
        ("height\t_cm", "U+0009"),
    ],
)
def test_a_column_name_with_an_invisible_character_is_refused_not_matched(name, code):
    # "height\u200b_cm" with the character dropped would be height_cm: a column matched by accident
    table = {"patient_id": ["A"], name: [170.0], "weight_kg": [70.0]}
    with pytest.raises(DoseCalcError) as caught:
        dose_table(table, "75 mg/m2")
    assert str(caught.value).endswith(f"its name holds an invisible character ({code}); rename the column")
    assert "\\" in str(caught.value)  # the name shown escaped


def test_an_unused_column_with_an_invisible_character_is_refused_too(tmp_path: Path):
    source = tmp_path / "in.csv"
    source.write_text("patient_id,height_cm,weight_kg,notes\u00ad\nA,170,70,x\n", encoding="utf-8")
    line = one_line_error(cli("cohort", str(source), "-o", str(tmp_path / "out.csv"), "--dose", "75mg/m2"))
    assert "column 'notes\\xad': its name holds an invisible character (U+00AD); rename the column" in line
    assert not (tmp_path / "out.csv").exists()


def test_visible_separators_in_a_name_still_match():
    # "Height (cm)" and a no-break space are visible separators, as a spreadsheet writes them
    table = {"patient_id": ["A"], "Height (cm)": [170.0], "Weight\u00a0kg": [70.0]}
    # Mosteller (N Engl J Med 1987;317:1098): BSA = sqrt(height_cm × weight_kg / 3600)
    assert dose_table(table, "75 mg/m2").dosed["dose_mg"].to_pylist() == pytest.approx([75 * (170 * 70 / 3600) ** 0.5])


@pytest.mark.parametrize(
    "column, kind, other",
    [
        ("dose_oz", "dose", "weight"),  # two ounces of drug were 56,699 mg
        ("dose_kg", "dose", "weight"),
        ("dose_lb", "dose", "weight"),
        ("weight_mg", "weight", "dose"),
        ("weight_ug", "weight", "dose"),
        ("height_kg", "height", "weight"),
    ],
)
def test_a_column_named_in_a_unit_of_another_input_is_refused(column, kind, other):
    table = {**PATIENT, column: [2.0]}
    if kind != "dose":
        table = {"patient_id": ["A"], "height_cm": [170.0], "weight_kg": [70.0], column: [70.0]}
        table.pop(f"{kind}_{'cm' if kind == 'height' else 'kg'}")
    with pytest.raises(DoseCalcError, match=rf"^{column}='\w+': expected a unit of {kind} .*measures a {other}"):
        dose_table(table, None if kind == "dose" else "75 mg/m2")


def test_a_column_named_for_an_input_but_in_no_unit_passes_through():
    table = {**PATIENT, "dose_level": [1], "weight_change": [3.0], "height_source": ["nurse"]}
    dosed = dose_table(table, "75 mg/m2").dosed
    assert dosed["dose_level"].to_pylist() == [1] and dosed["height_source"].to_pylist() == ["nurse"]


def test_the_cli_names_the_option_that_gives_a_mapped_columns_unit(tmp_path):
    # the library's name (column_units) and the command line's (--height-unit): a reader of either finds it
    source = tmp_path / "m2.csv"
    source.write_text("id,Ht,Wt\nA,175,70\n", encoding="utf-8")
    result = cli(
        "cohort",
        str(source),
        "-o",
        str(tmp_path / "o.csv"),
        "--map",
        "height=Ht",
        "--map",
        "weight=Wt",
        "--dose",
        "75mg/m2",
    )
    assert result.exit_code == 2
    assert one_line_error(result).endswith("expected its unit in column_units['height'] (--height-unit)")


@pytest.mark.parametrize(
    "column, said",
    [
        ("dose_IU_m2", "'IU' is misread as IV or 10"),  # ISMP; a USP unit of bleomycin is 1,000 IU
        ("Dose (IU/m²)", "'IU' is misread as IV or 10"),
        ("dose_U_m2", "'U' is misread as 0, 4 or cc"),
        ("dose_cc", "'cc' is misread"),
        ("dose_mg_m2_week", "a row's dose is one administration's, not a rate"),
        ("dose (mg/m2/day)", "a row's dose is one administration's, not a rate"),
    ],
)
def test_a_dose_column_in_a_unit_never_read_as_a_dose_is_refused_not_passed_through(column, said):
    # with --dose, such a column was passed through and every row dosed by --dose: its doses silently unread
    with pytest.raises(DoseCalcError, match=rf"^{re.escape(column)}='.*': expected .*{re.escape(said)}"):
        dose_table({**PATIENT, column: [10.0]}, "75 mg/m2")


@pytest.mark.parametrize("name", ["dose_unit", "Dose Unit", "dose (unit)"])
def test_a_dose_unit_column_is_no_dose_of_one_unit(name):
    # an export's "dose_unit" holds the unit of its "dose_amount" column: read as units of drug, every patient
    # was dosed "1 unit" (a code of the unit) and the real dose passed through unused
    table = {"height_cm": [175.0], "weight_kg": [70.0], "dose_amount": [75.0], name: [1.0]}
    with pytest.raises(UnitError) as refused:
        dose_table(table)
    assert str(refused.value) == (
        f"{name}='unit': expected a dose column named for its unit (dose_<unit>): {name} names the unit of "
        "another column; rename it, and name the dose column for its unit (dose_mg_m2, dose_units)"
    )
    # units of drug per row are dose_units, as before
    dosed, _ = dose_table({"height_cm": [175.0], "weight_kg": [70.0], "dose_units": [15.0]})
    assert dosed["dose_units"].to_pylist() == [15.0]


@pytest.mark.parametrize(
    "table, dose, message",
    [
        (  # the bare "Height" (190) beside height_cm (175): which is the patient's?
            {"height_cm": [175.0], "Height": [190.0], "weight_kg": [70.0]},
            "75 mg/m^2",
            "several height columns: height_cm, Height",
        ),
        ({"height_cm": [175.0], "weight_kg": [70.0], "Weight": [95.0]}, "75 mg/m^2", "several weight columns"),
        ({"height_cm": [175.0], "weight_kg": [70.0], "dose": [1000.0], "dose_mg_m2": [75.0]}, None, "several dose"),
    ],
)
def test_a_column_without_a_unit_beside_one_with_a_unit_is_a_second_column(table, dose, message):
    with pytest.raises(DoseCalcError, match=f"^{re.escape(message)}"):
        dose_table(table, dose)


def test_a_kidney_column_without_a_unit_beside_one_with_a_unit_is_a_second_column(tmp_path):
    # creatinine 3.5 beside creatinine_mg_dl 0.9: carboplatin was dosed from 0.9, the 3.5 unseen
    table = tmp_path / "kidney.csv"
    table.write_text("patient_id,age_years,sex,weight_kg,creatinine_mg_dl,Creatinine\nA,60,F,70,0.9,3.5\n")
    line = one_line_error(cli("cohort", str(table), "-o", str(tmp_path / "o.csv"), "--carboplatin-auc", "5"))
    assert line.startswith("error: several creatinine columns: creatinine_mg_dl, Creatinine; which holds")
    assert not (tmp_path / "o.csv").exists()


def test_a_mapped_dose_column_takes_its_unit_on_the_command_line(tmp_path):
    # 75 mg/m² for 175 cm and 70 kg: Mosteller 1.8447 m², 138.35 mg
    source = tmp_path / "in.csv"
    source.write_text("patient_id,height_cm,weight_kg,Amount\nP1,175,70,75\n")
    out = tmp_path / "o.csv"
    line = one_line_error(cli("cohort", str(source), "-o", str(out), "--map", "dose=Amount"))
    assert line == "error: Amount=a number with no unit: expected its unit in column_units['dose'] (--dose-unit)"
    result = cli("cohort", str(source), "-o", str(out), "--map", "dose=Amount", "--dose-unit", "mg/m2")
    assert result.exit_code == 0, result.output
    row = out.read_text().splitlines()[1].split(",")
    assert float(row[6]) == pytest.approx(75 * (175 * 70 / 3600) ** 0.5, rel=1e-12)  # dose_mg, after row
    # a rate is no dose per administration
    line = one_line_error(
        cli("cohort", str(source), "-o", str(out), "--map", "dose=Amount", "--dose-unit", "mg/m2/week")
    )
    assert line.startswith("error: --dose-unit mg/m2/week: expected a dose unit per administration")


@pytest.mark.parametrize(
    "option, message",
    [
        (
            ["--dose-unit", "units"],
            "--dose-unit units: expected no unit: the dose is given for every row, and no dose column is read",
        ),
        (
            ["--creatinine-unit", "umol/L"],
            "--creatinine-unit umol/L: expected no unit: this dosing reads no creatinine column",
        ),
    ],
)
def test_a_unit_for_a_column_the_run_does_not_read_is_refused(tmp_path, option, message):
    # --dose 75mg/m2 with --dose-unit units: which is meant? (and it was passed over in silence)
    source = tmp_path / "in.csv"
    source.write_text("patient_id,height_cm,weight_kg\nA,175,70\n")
    line = one_line_error(cli("cohort", str(source), "-o", str(tmp_path / "o.csv"), "--dose", "75mg/m2", *option))
    assert line == f"error: {message}"
