"""
The clinical safeguards on the command line: ``dosecalc crcl``,
``dosecalc carboplatin``, and the options of ``dose`` and ``regimen`` (weight
basis, BSA cap, maximum dose, reduction or dose level, rounding, banding).
CliRunner for each command and option, the ``--json`` keys pinned, each bad
input exits 2 with one stderr line naming the option, and published or
hand-worked values with their source beside them.
"""

import json
import math
import re
import shlex
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cli import check_bad_input
from typer.testing import CliRunner

import dosecalc
from dosecalc.cli import app

runner = CliRunner()

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE_BANDS = str(EXAMPLES / "bands.csv")

# a 60-year-old man of 80 kg with serum creatinine 1.2 mg/dL
CG_MAN = ["--age", "60", "--weight", "80kg", "--sex", "m", "--creatinine", "1.2mg/dL"]
CG_MAN_NO_CREATININE = shlex.join(CG_MAN[:-2])
# Cockcroft & Gault, Nephron 1976;16:31, doi:10.1159/000180580: CrCl = (140 - A) W / (72 SCr), × 0.85 for
# women. By hand for CG_MAN: (140 - 60) × 80 / (72 × 1.2) = 6400 / 86.4 mL/min
CG_MAN_ML_MIN = 6400 / 86.4

# a man of 5 ft 10 in (177.8 cm) and 98 kg, BMI 31.0 kg/m²: Devine (Drug Intell Clin Pharm 1974;8:650)
# IBW 50 + 2.3 × 10 = 73 kg; adjusted IBW + 0.4 × (98 - 73) = 83 kg (NCCN Chemotherapy Order Templates,
# Appendix B, 2020)
OBESE_MAN = ["--height", "177.8cm", "--weight", "98kg", "--sex", "m"]


def run(*args):
    return runner.invoke(app, list(args))


def run_json(*args):
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def rows(text: str) -> dict[str, list[str]]:
    """Human output as {label: [value, note]}: its columns are two or more spaces apart."""
    cells = [re.split(r" {2,}", line.strip()) for line in text.splitlines() if line.strip()]
    return {row[0]: row[1:] for row in cells}


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- crcl ---------------------------------------------------------------------------------


def test_crcl_worked_example():
    result = run("crcl", *CG_MAN)
    assert result.exit_code == 0
    lines = rows(result.stdout)
    assert lines["CrCl"][0] == "74.1 mL/min" and lines["CrCl"][1].startswith(
        "Cockcroft-Gault: CrCl [mL/min] = (140 − age"
    )
    assert (
        lines["age"] == ["60 yr", "from 60"]
        and lines["creatinine"] == ["1.2 mg/dL", "from 1.2mg/dL"]
        and lines["sex"] == ["male", "from m"]  # as typed beside the value read
    )
    assert "reference: Cockcroft DW, Gault MH. Nephron 1976;16:31-41. doi:10.1159/000180580" in result.stdout

    report = run_json("crcl", *CG_MAN)
    assert report["results"]["crcl"] == {"value": pytest.approx(CG_MAN_ML_MIN, rel=1e-12), "unit": "mL/min"}
    assert report["formula"]["name"] == "cockcroft_gault" and "doi:10.1159/000180580" in report["formula"]["reference"]


def test_crcl_woman_in_micromoles_per_litre():
    # Cockcroft & Gault (1976), women × 0.85; 1 mg/dL of creatinine (113.12 g/mol) is 88.4 µmol/L, so
    # 79.56 µmol/L is 0.9 mg/dL. By hand: (140 - 45) × 65 / (72 × 0.9) × 0.85 = 81.0 mL/min
    report = run_json("crcl", "--age", "45", "--weight", "65kg", "--sex", "f", "--creatinine", "79.56 µmol/L")
    assert report["results"]["crcl"]["value"] == pytest.approx(95 * 65 / (72 * 0.9) * 0.85, rel=1e-4)
    assert report["inputs"]["creatinine"] == {
        "given": "79.56 µmol/L",
        "value": pytest.approx(0.9, rel=1e-4),
        "unit": "mg/dL",
    }
    text = run("crcl", "--age", "45", "--weight", "65kg", "--sex", "f", "--creatinine", "79.56umol/L").stdout
    assert rows(text)["creatinine"] == ["0.9 mg/dL", "from 79.56umol/L"]


def test_crcl_age_with_unit_and_weight_in_pounds():
    # the same man as CG_MAN: 60 years, 80 kg = 176.37 lb
    report = run_json(
        "crcl", "--age", "60 years", "--weight", f"{80 / 0.45359237!r} lb", "--sex", "male", "--creatinine", "1.2 mg/dL"
    )
    assert report["results"]["crcl"]["value"] == pytest.approx(CG_MAN_ML_MIN, rel=1e-12)


# --- carboplatin -------------------------------------------------------------------------


def test_carboplatin_with_a_given_gfr():
    # Calvert et al., J Clin Oncol 1989;7:1748, doi:10.1200/JCO.1989.7.11.1748: dose = AUC × (GFR + 25).
    # AUC 5, GFR 90 mL/min: 5 × 115 = 575 mg
    result = run("carboplatin", "--auc", "5", "--gfr", "90mL/min")
    assert result.exit_code == 0
    lines = rows(result.stdout)
    assert lines["dose"] == ["575 mg", "Calvert: dose [mg] = AUC [mg/mL·min] × (GFR [mL/min] + 25)"]
    assert lines["GFR"] == ["90 mL/min", "given"]
    assert lines["GFR cap"] == ["125 mL/min", "not applied"]
    assert lines["AUC"] == ["5 mg·min/mL", "from 5"]
    assert "doi:10.1200/JCO.1989.7.11.1748" in result.stdout

    report = run_json("carboplatin", "--auc", "5", "--gfr", "90mL/min")
    assert report["results"]["dose"] == {"value": 575.0, "unit": "mg"}
    assert report["carboplatin_dose"]["cap_applied"] is False and report["gfr_formula"] is None


@pytest.mark.parametrize("auc, maximum_mg", [("6", 900.0), ("5", 750.0), ("4", 600.0)])
def test_carboplatin_fda_cap(auc, maximum_mg):
    # NCCN Chemotherapy Order Templates, Appendix B (2020), after the FDA (2010): GFR capped at 125 mL/min,
    # maximum dose = AUC × (125 + 25): AUC 6 -> 900 mg, AUC 5 -> 750 mg, AUC 4 -> 600 mg
    report = run_json("carboplatin", "--auc", auc, "--gfr", "200 mL/min")
    results = report["results"]
    assert results["dose"] == {"value": maximum_mg, "unit": "mg"}
    assert results["dose_uncapped"]["value"] == float(auc) * 225  # AUC × (200 + 25)
    assert results["gfr"]["value"] == 125.0 and results["gfr_uncapped"]["value"] == 200.0
    assert report["carboplatin_dose"]["cap_applied"] is True
    lines = rows(run("carboplatin", "--auc", auc, "--gfr", "200 mL/min").stdout)
    assert lines["uncapped"] == [f"{float(auc) * 225:g} mg", "at GFR 200 mL/min"]
    assert lines["GFR"] == ["200 mL/min", "given"]
    assert lines["GFR cap"] == ["125 mL/min", "applied: the dose uses GFR 125 mL/min"]


def test_carboplatin_cap_configurable_or_off():
    # Calvert (1989): 6 × (140 + 25) = 990 mg uncapped; capped at 130 mL/min: 6 × 155 = 930 mg
    report = run_json("carboplatin", "--auc", "6", "--gfr", "140mL/min", "--no-gfr-cap")
    assert report["results"]["dose"]["value"] == 990.0
    assert "gfr_cap" not in report["results"] and report["carboplatin_dose"]["gfr_cap"] is None
    assert report["inputs"]["gfr_cap"] == {"given": "--no-gfr-cap", "value": None, "unit": None}
    shown = rows(run("carboplatin", "--auc", "6", "--gfr", "140mL/min", "--no-gfr-cap").stdout)
    assert shown["GFR cap"] == ["none", "--no-gfr-cap: the GFR enters uncapped"]
    assert (
        run_json("carboplatin", "--auc", "6", "--gfr", "140mL/min", "--gfr-cap", "130")["results"]["dose"]["value"]
        == 930.0
    )


def test_carboplatin_by_cockcroft_gault():
    # clinPK test suite (male, 50 y, 70 kg, creatinine 1.1 mg/dL): Cockcroft-Gault 90 × 70 / 79.2 = 79.545 mL/min;
    # Calvert (1989), AUC 5: 5 × (79.545 + 25) = 522.73 mg
    args = ["carboplatin", "--auc", "5", "--age", "50", "--weight", "70kg", "--sex", "m", "--creatinine", "1.1mg/dL"]
    report = run_json(*args)
    assert round(report["results"]["dose"]["value"], 2) == 522.73
    assert report["gfr_formula"]["name"] == "cockcroft_gault"
    assert report["carboplatin_dose"]["gfr_source"] == "cockcroft_gault"
    text = run(*args).stdout
    assert rows(text)["GFR"][0] == "79.5 mL/min" and rows(text)["GFR"][1].startswith("Cockcroft-Gault: ")
    assert "doi:10.1159/000180580" in text and "doi:10.1200/JCO.1989.7.11.1748" in text


# --- dose: weight basis and obesity ---------------------------------------------------------


@pytest.mark.parametrize("basis, weight_kg", [("actual", 98.0), ("ideal", 73.0), ("adjusted", 83.0), ("IBW", 73.0)])
def test_weight_basis_mg_per_kg(basis, weight_kg):
    # OBESE_MAN: Devine IBW 73 kg, adjusted 83 kg (see above); 5 mg/kg × the dosing weight
    report = run_json("dose", "5mg/kg", *OBESE_MAN, "--weight-basis", basis)
    assert report["results"]["dose"]["value"] == pytest.approx(5 * weight_kg)
    patient = report["patient_dose"]
    assert patient["dosing_weight"]["value"] == pytest.approx(weight_kg)
    assert patient["weight_basis"] == {"IBW": "ideal"}.get(basis, basis)
    assert report["inputs"]["weight_basis"] == {"given": basis, "value": patient["weight_basis"], "unit": None}


def test_weight_basis_lean_and_shown():
    # Janmahasatian et al., Clin Pharmacokinet 2005;44:1051, doi:10.2165/00003088-200544100-00004:
    # a man of 80 kg and 200 cm (BMI 20): 9270 × 80 / (6680 + 216 × 20) = 67.418 kg
    args = ["dose", "2mg/kg", "--height", "200cm", "--weight", "80kg", "--sex", "m", "--weight-basis", "lean"]
    assert run_json(*args)["results"]["dose"]["value"] == pytest.approx(2 * 9270 * 80 / (6680 + 216 * 20))
    lines = rows(run(*args).stdout)
    assert lines["dosing weight"] == ["67.4 kg", "lean body weight (Janmahasatian)"]
    assert lines["per kg"] == ["2 mg/kg", "as prescribed"]
    assert lines["weight"] == ["80 kg", "from 80kg"]  # the actual weight, as given
    assert lines["weight basis"][0] == "lean body weight (Janmahasatian)"
    assert "doi:10.2165/00003088-200544100-00004" in lines["weight basis"][1]


def test_obesity_is_flagged_and_the_dose_unchanged():
    # ASCO guideline (Griggs et al., J Clin Oncol 2012, doi:10.1200/JCO.2011.39.9436): full, actual-weight doses
    # regardless of obesity. OBESE_MAN's BMI: 98 / 1.778² = 31.0 kg/m² (≥ 30: obese, WHO)
    report = run_json("dose", "75mg/m2", *OBESE_MAN)
    assert report["patient_dose"]["obese"] is True
    assert report["patient_dose"]["bmi"]["value"] == pytest.approx(98 / 1.778**2)
    # Mosteller (1987) on the actual weight: 75 × sqrt(177.8 × 98 / 3600)
    assert report["results"]["dose"]["value"] == pytest.approx(75 * math.sqrt(177.8 * 98 / 3600))
    lines = rows(run("dose", "75mg/m2", *OBESE_MAN).stdout)
    assert lines["BMI"] == ["31 kg/m²", "obese (≥ 30 kg/m²): flagged; the dose is not changed"]
    assert (
        lines["weight basis"][0] == "actual body weight" and "doi:10.1200/JCO.2011.39.9436" in lines["weight basis"][1]
    )
    assert rows(run("dose", "75mg/m2", "--height", "175cm", "--weight", "70kg").stdout)["BMI"] == ["22.9 kg/m²"]


# --- dose: caps -------------------------------------------------------------------------------


def test_max_dose_vincristine():
    # CHOP: vincristine 1.4 mg/m², maximum 2 mg (Coiffier et al., N Engl J Med 2002;346:235,
    # doi:10.1056/NEJMoa011795). For 1.9 m²: 1.4 × 1.9 = 2.66 mg, capped at 2 mg
    result = run("dose", "1.4mg/m2", "--bsa", "1.9", "--max-dose", "2mg")
    assert result.exit_code == 0
    lines = rows(result.stdout)
    assert lines["dose"] == ["2 mg", "capped at the max dose, 2 mg"]
    assert lines["uncapped"] == ["2.66 mg", "1.4 mg/m² × BSA 1.90 m²"]
    assert lines["max dose"] == ["2 mg", "applied"]
    # what the patient receives per m² of the BSA
    assert lines["per m²"] == ["1.05 mg/m²", "2 mg ÷ BSA 1.90 m²"]
    report = run_json("dose", "1.4mg/m2", "--bsa", "1.9", "--max-dose", "2mg")
    patient = report["patient_dose"]
    assert report["results"]["dose"]["value"] == 2.0
    assert patient["dose_uncapped"]["value"] == pytest.approx(2.66)
    assert patient["max_dose_applied"] is True and patient["max_dose"] == {"value": 2.0, "unit": "mg"}
    assert report["inputs"]["max_dose"] == {"given": "2mg", "value": 2.0, "unit": "mg"}
    # under the cap it does not apply
    assert (
        run_json("dose", "1.4mg/m2", "--bsa", "1.2", "--max-dose", "2mg")["patient_dose"]["max_dose_applied"] is False
    )


def test_bsa_cap():
    # Mosteller (1987) for 190 cm and 110 kg: sqrt(190 × 110 / 3600) = 2.409 m², capped at 2.0 m²: 75 × 2 = 150 mg
    args = ["dose", "75mg/m2", "--height", "190cm", "--weight", "110kg", "--bsa-cap", "2.0"]
    report = run_json(*args)
    patient = report["patient_dose"]
    assert report["results"]["dose"]["value"] == pytest.approx(150.0)
    assert report["results"]["bsa"]["value"] == 2.0
    assert patient["bsa_uncapped"]["value"] == pytest.approx(math.sqrt(190 * 110 / 3600))
    assert patient["bsa_cap_applied"] is True
    assert patient["dose_uncapped"]["value"] == pytest.approx(75 * math.sqrt(190 * 110 / 3600))
    lines = rows(run(*args).stdout)
    assert lines["dose"] == ["150 mg", "75 mg/m² × BSA 2.00 m²"]
    assert lines["uncapped"] == ["181 mg", "75 mg/m² × BSA 2.41 m²"]
    assert lines["BSA cap"] == ["2.00 m²", "applied: BSA 2.41 m² capped"]
    assert lines["BSA"] == ["2.00 m²", "capped from 2.41 m² (Mosteller)"]  # the BSA used, and what it was


# --- dose: rounding and bands -------------------------------------------------------------------


def test_round_to_a_step():
    # IMGN901 75 mg/m² for 175 cm, 70 kg: Mosteller 1.8447 m², 138.35 mg; to 5 mg: 140 mg, +1.19 %
    args = ["dose", "75mg/m2", "--height", "175cm", "--weight", "70kg", "--round-to", "5mg"]
    report = run_json(*args)
    calculated = 75 * math.sqrt(175 * 70 / 3600)
    assert report["results"]["dose"] == {"value": 140.0, "unit": "mg"}
    assert report["rounding"]["calculated"]["value"] == pytest.approx(calculated)
    assert report["rounding"]["difference_pct"] == pytest.approx((140 - calculated) / calculated * 100)
    assert report["rounding"]["tolerance_pct"] == 5.0 and report["band"] is None
    lines = rows(run(*args).stdout)
    assert lines["dose"] == ["140 mg", "138 mg rounded to a 5 mg step: +1.19 %, within ±5 %"]
    assert lines["calculated"] == ["138 mg", "75 mg/m² × BSA 1.84 m²"]


def test_round_to_vials_within_a_wider_tolerance():
    # by hand: 138.35 mg from 100 and 50 mg vials is 150 mg = 1 + 1 vials, +8.4 %: refused at ±5 %
    # (test_bad_input), given at ±10 %
    args = ["dose", "75mg/m2", "--height", "175cm", "--weight", "70kg", "--vials", "100mg,50mg", "--tolerance", "10"]
    report = run_json(*args)
    assert report["results"]["dose"]["value"] == 150.0
    assert report["rounding"]["counts"] == [1, 1]
    assert report["inputs"]["vials"] == {"given": "100mg,50mg", "value": [100.0, 50.0], "unit": "mg"}
    assert report["inputs"]["tolerance"] == {"given": "10", "value": 10.0, "unit": "%"}
    assert "1 × 100 mg + 1 × 50 mg: +8.42 %, within ±10 %" in run(*args).stdout


def test_carboplatin_vials():
    # carboplatin 10 mg/mL vials of 450, 150 and 50 mg: 560 mg as a flat dose -> 550 mg = 450 + 2 × 50, −1.8 %
    report = run_json("dose", "560mg", "--vials", "450mg,150mg,50mg")
    assert report["results"]["dose"]["value"] == 550.0 and report["rounding"]["counts"] == [1, 0, 2]


def test_band_from_the_example_table():
    # gemcitabine 1000 mg/m² × 1.18 m² = 1180 mg: in the example band 1150-1250 mg, given as 1200 mg, +1.69 %
    args = ["dose", "1000mg/m2", "--bsa", "1.18", "--bands", EXAMPLE_BANDS]
    report = run_json(*args)
    assert report["results"]["dose"] == {"value": 1200.0, "unit": "mg"}
    band = report["band"]
    assert band["band"] == "1150-1250 mg" and band["table"] == "bands.csv"
    assert band["deviation_pct"] == pytest.approx(20 / 1180 * 100)
    assert report["inputs"]["bands"] == {"given": EXAMPLE_BANDS, "value": EXAMPLE_BANDS, "unit": None}
    assert rows(run(*args).stdout)["dose"] == ["1200 mg", "1180 mg in band 1150-1250 mg of bands.csv: +1.69 %"]


def test_band_deviation_sets_how_far_a_band_may_move_a_dose(tmp_path):
    # 1180 mg banded to 1200 mg is +1.69 % (20 / 1180): within --band-deviation 2, beyond 1.5
    args = ["dose", "1000mg/m2", "--bsa", "1.18", "--bands", EXAMPLE_BANDS]
    report = run_json(*args, "--band-deviation", "2")
    assert report["results"]["dose"] == {"value": 1200.0, "unit": "mg"}
    assert report["inputs"]["band_deviation"] == {"given": "2", "value": 2.0, "unit": "%"}
    refused = run(*args, "--band-deviation", "1.5")
    assert refused.exit_code == 2 and "expected a dose within ±1.5 % of its band's dose" in refused.stderr
    # above NICE KTT22's 10 % for biological drugs, or without a band table: refused
    assert run(*args, "--band-deviation", "12").stderr == "error: --band-deviation 12 %: expected (0, 10] %\n"
    alone = run("dose", "1000mg/m2", "--bsa", "1.18", "--band-deviation", "8")
    assert alone.exit_code == 2 and alone.stderr == "error: --band-deviation 8: applies to a band table; give --bands\n"
    # a cohort: the row the band would move by more is rejected, the deviation recorded in the provenance
    source = tmp_path / "in.csv"
    source.write_text("patient_id,height_cm,weight_kg\nA,150,45\nB,170,70\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    cohort = ["cohort", str(source), "-o", str(out), "--dose", "1000mg/m2", "--bands", EXAMPLE_BANDS]
    assert run(*cohort, "--band-deviation", "1").exit_code == 3
    assert json.loads((tmp_path / "out.csv.json").read_text())["options"]["band_deviation_pct"] == 1.0


def test_band_table_in_toml(tmp_path):
    toml = write(
        tmp_path, "bands.toml", '[[bands]]\nlower = "1150 mg"\nupper = "1250 mg"\ndose = "1200 mg"\nname = "B1"\n'
    )
    assert run_json("dose", "1180mg", "--bands", toml)["band"]["band"] == "B1"


# --- dose: reductions and levels -------------------------------------------------------------------


def test_reduction():
    # by hand: oxaliplatin 85 mg/m² − 20 % = 68 mg/m²; × 1.9 m² = 129.2 mg
    report = run_json("dose", "85mg/m2", "--bsa", "1.9", "--reduce", "20")
    assert report["results"]["dose"]["value"] == pytest.approx(129.2)
    assert report["modification"]["modified"] == {"value": pytest.approx(68.0), "unit": "mg/m²"}
    assert report["modification"]["reduction_pct"] == 20.0
    assert report["patient_dose"]["prescribed"]["value"] == pytest.approx(68.0)
    lines = rows(run("dose", "85mg/m2", "--bsa", "1.9", "--reduce", "20%").stdout)
    assert lines["reduced"] == ["68 mg/m²", "85 mg/m² −20 %"]
    assert lines["per m²"] == ["68 mg/m²", "as modified"]


@pytest.mark.parametrize(
    "name, text",
    [
        (
            "levels.csv",
            "# an illustrative oxaliplatin level table\nlevel,dose\n0,85 mg/m^2\n-1,65 mg/m^2\n-2,50 mg/m^2\n",
        ),
        ("levels.toml", '[[levels]]\nlevel = "0"\ndose = "85 mg/m^2"\n[[levels]]\nlevel = "-1"\ndose = "65 mg/m^2"\n'),
    ],
)
def test_dose_level_from_a_file(tmp_path, name, text):
    path = write(tmp_path, name, text)
    for level in ("-1", "−1"):  # a typographic minus is the same level
        report = run_json("dose", "85mg/m2", "--bsa", "2", "--level", level, "--levels", path)
        # by hand: level -1 is 65 mg/m²; × 2 m² = 130 mg, 76.5 % of the full dose
        assert report["results"]["dose"]["value"] == 130.0
        assert report["modification"]["level"] == "-1" and report["modification"]["level_table"] == name
        assert report["inputs"]["level"] == {"given": level, "value": "-1", "unit": None}
    shown = rows(run("dose", "85mg/m2", "--bsa", "2", "--level", "-1", "--levels", path).stdout)
    assert shown["level -1"] == ["65 mg/m²", f"{name}: 76.5 % of 85 mg/m²"]


def test_level_as_a_share(tmp_path):
    path = write(tmp_path, "levels.csv", "level,dose\n-1,80 %\n")
    # by hand: 80 % of 1.4 mg/m² × 1.9 m² = 2.128 mg
    assert run_json("dose", "1.4mg/m2", "--bsa", "1.9", "--level", "-1", "--levels", path)["results"]["dose"][
        "value"
    ] == pytest.approx(2.128)


# --- dose: the order of the steps -----------------------------------------------------------------


def test_order_reduce_then_cap_then_round():
    # vincristine 1.4 mg/m² − 20 % = 1.12 mg/m², × 1.9 m² = 2.128 mg, capped at 2 mg, to a 0.1 mg step: 2 mg.
    # (Capping before the reduction would give 1.6 mg.)
    report = run_json("dose", "1.4mg/m2", "--bsa", "1.9", "--reduce", "20", "--max-dose", "2mg", "--round-to", "0.1mg")
    assert report["modification"]["modified"]["value"] == pytest.approx(1.12)
    assert report["patient_dose"]["dose_uncapped"]["value"] == pytest.approx(2.128)
    assert report["patient_dose"]["dose"]["value"] == 2.0
    assert report["rounding"]["calculated"]["value"] == 2.0
    assert report["results"]["dose"]["value"] == 2.0


def test_the_bsa_cap_comes_before_the_band():
    # 1000 mg/m² on Mosteller 2.41 m² (190 cm, 110 kg) = 2409 mg; capped at 2.0 m²: 2000 mg, band 1950-2050 -> 2000 mg
    report = run_json(
        "dose", "1000mg/m2", "--height", "190cm", "--weight", "110kg", "--bsa-cap", "2", "--bands", EXAMPLE_BANDS
    )
    assert report["band"]["calculated"]["value"] == pytest.approx(2000.0)
    assert report["band"]["band"] == "1950-2050 mg" and report["results"]["dose"]["value"] == 2000.0


@settings(max_examples=25)
@given(dose_mg=st.floats(10, 2000), step_mg=st.sampled_from([1, 2.5, 5, 10, 25]), tolerance=st.floats(1, 10))
def test_rounding_never_moves_more_than_the_tolerance(dose_mg, step_mg, tolerance):
    result = run("dose", f"{dose_mg!r} mg", "--round-to", f"{step_mg} mg", "--tolerance", f"{tolerance!r}", "--json")
    if result.exit_code == 2:  # refused: the nearest multiple lies outside the tolerance
        assert abs(round(dose_mg / step_mg) * step_mg - dose_mg) > tolerance / 100 * dose_mg * (1 - 1e-9)
        return
    rounding = json.loads(result.stdout)["rounding"]
    assert abs(rounding["rounded"]["value"] - dose_mg) <= tolerance / 100 * dose_mg * (1 + 1e-9)


@settings(max_examples=25)
@given(bsa_m2=st.floats(0.5, 3), bsa_cap_m2=st.floats(1, 2.5), max_mg=st.floats(50, 300))
def test_caps_never_raise_a_dose(bsa_m2, bsa_cap_m2, max_mg):
    report = run_json(
        "dose", "75mg/m2", "--bsa", f"{bsa_m2!r}", "--bsa-cap", f"{bsa_cap_m2!r}", "--max-dose", f"{max_mg!r} mg"
    )
    assert report["results"]["dose"]["value"] <= 75 * bsa_m2 * (1 + 1e-12)
    assert report["results"]["dose"]["value"] <= max_mg * (1 + 1e-12)


# --- dose: the JSON schema of the steps, pinned ------------------------------------------------------

PATIENT_DOSE_KEYS = {
    "dose",
    "bsa",
    "dose_per_m2",
    "dose_per_kg",
    "bsa_method",
    "basis",
    "prescribed",
    "height",
    "weight",
    "version",
    "weight_basis",
    "dosing_weight",
    "bsa_uncapped",
    "bsa_cap",
    "bsa_cap_applied",
    "max_dose",
    "max_dose_applied",
    "dose_uncapped",
    "bsa_reference",
    "weight_basis_reference",
    "bmi",
    "obese",
    "above_actual_weight",
}
MODIFICATION_KEYS = {
    "original",
    "modified",
    "percent_of_original",
    "method",
    "reduction_pct",
    "level",
    "level_table",
    "version",
}
ROUNDING_KEYS = {
    "calculated",
    "rounded",
    "difference_pct",
    "method",
    "tolerance_pct",
    "step",
    "strengths",
    "counts",
    "version",
}
BAND_KEYS = {"calculated", "banded", "deviation_pct", "band", "band_lower", "band_upper", "table", "version"}


def test_dose_json_schema_with_every_step():
    report = run_json(
        "dose",
        "85mg/m2",
        *OBESE_MAN,
        "--weight-basis",
        "adjusted",
        "--bsa-cap",
        "2",
        "--max-dose",
        "200mg",
        "--reduce",
        "20",
        "--round-to",
        "5mg",
        "--tolerance",
        "5",
    )
    assert set(report) == {
        "command",
        "dosecalc_version",
        "inputs",
        "results",
        "method",
        "modification",
        "patient_dose",
        "rounding",
        "band",
    }
    assert set(report["inputs"]) == {
        "dose",
        "height",
        "weight",
        "sex",
        "weight_basis",
        "bsa_cap",
        "max_dose",
        "reduce",
        "round_to",
        "tolerance",
    }
    for item in report["inputs"].values():
        assert set(item) == {"given", "value", "unit"}
    assert set(report["results"]) == {"dose", "bsa", "dose_per_m2", "dose_per_kg"}
    assert set(report["modification"]) == MODIFICATION_KEYS
    assert set(report["patient_dose"]) == PATIENT_DOSE_KEYS
    assert set(report["rounding"]) == ROUNDING_KEYS
    assert report["band"] is None
    for step in ("modification", "patient_dose", "rounding"):
        assert report[step]["version"] == dosecalc.__version__
    # the results are the last step's dose and the calculation's equivalents
    assert report["results"]["dose"] == report["rounding"]["rounded"]
    assert report["rounding"]["calculated"] == report["patient_dose"]["dose"]
    assert report["results"]["bsa"] == report["patient_dose"]["bsa"]


def test_dose_json_without_safeguards_has_null_steps():
    report = run_json("dose", "75mg/m2", "--bsa", "1.9")
    assert report["modification"] is None and report["rounding"] is None and report["band"] is None
    assert set(report["patient_dose"]) == PATIENT_DOSE_KEYS
    band = run_json("dose", "1180mg", "--bands", EXAMPLE_BANDS)["band"]
    assert set(band) == BAND_KEYS


# --- regimen ----------------------------------------------------------------------------------------


def test_regimen_reduction_changes_the_regimen():
    # by hand: 85 mg/m² − 20 % = 68 mg/m² on day 1 of 14: 68 mg/m² per cycle, 34 mg/m²/week
    report = run_json("regimen", "85mg/m2", "--days", "1", "--cycle", "14", "--reduce", "20")
    assert report["results"]["per_cycle"] == {"value": pytest.approx(68.0), "unit": "mg/m²"}
    assert report["results"]["dose_intensity"]["value"] == pytest.approx(34.0)
    assert report["modification"]["original"]["value"] == 85.0 and report["patient_dose"] is None
    assert report["inputs"]["dose"]["value"] == 85.0  # as given
    assert rows(run("regimen", "85mg/m2", "--days", "1", "--cycle", "14", "--reduce", "20").stdout)["reduced"] == [
        "68 mg/m²",
        "85 mg/m² −20 %",
    ]


def test_regimen_patient_doses_are_rounded_each_administration():
    # IMGN901, 75 mg/m² on days 1, 8, 15 of 28 (ImmunoGen, ASCO 2011 abstract 8013) for 175 cm, 70 kg:
    # 138.35 mg each, rounded to 140 mg: 420 mg per cycle, 105 mg/week, 2520 mg over 6 cycles
    report = run_json(
        *shlex.split("regimen 75mg/m2 --days 1,8,15 --cycle 28 --cycles 6 --height 175cm --weight 70kg --round-to 5mg")
    )
    results = report["results"]
    assert results["patient_per_administration"]["value"] == 140.0
    assert results["patient_per_cycle"]["value"] == 420.0
    assert results["patient_dose_intensity"] == {"value": 105.0, "unit": "mg/week"}
    assert results["patient_cumulative"]["value"] == 2520.0
    assert results["per_cycle"]["value"] == 225.0  # the regimen itself is not rounded
    assert set(report["rounding"]) == ROUNDING_KEYS and set(report["patient_dose"]) == PATIENT_DOSE_KEYS


def test_regimen_max_dose_of_a_flat_regimen():
    # a safeguard of the patient's dose needs no height or weight for a flat dose: 100 mg capped at 80 mg
    report = run_json("regimen", "100mg", "--days", "1", "--cycle", "21", "--max-dose", "80mg")
    assert report["results"]["patient_per_cycle"]["value"] == 80.0
    assert report["patient_dose"]["max_dose_applied"] is True


def test_regimen_human_output_shows_the_steps():
    result = run(
        "regimen", "85mg/m2", "--days", "1", "--cycle", "14", "--reduce", "20", "--bsa", "1.9", "--round-to", "5mg"
    )
    assert result.exit_code == 0
    lines = rows(result.stdout)
    # 68 mg/m² × 1.9 m² = 129.2 mg, to 5 mg: 130 mg (+0.619 %)
    assert lines["patient dose"] == ["130 mg", "129.2 mg rounded to a 5 mg step: +0.619 %, within ±5 %"]
    assert lines["calculated"] == ["129.2 mg", "68 mg/m² × BSA 1.90 m²"]
    assert lines["per administration"] == ["68 mg/m²", "1.84 mg/kg", "130 mg"]


# --- bad input: exit 2, one line on stderr naming the option --------------------------------------------

DOSE = "dose 75mg/m2 --height 175cm --weight 70kg"
CG = shlex.join(CG_MAN)
# Inker et al., N Engl J Med 2021;385:1737: the CKD-EPI 2021 inputs of a man of 55, creatinine 1.2 mg/dL
EPI = "--formula ckd-epi-2021 --age 55 --sex m --creatinine 1.2mg/dL"
BANDS = shlex.quote(EXAMPLE_BANDS)
BAD_INPUT = [
    # creatinine: a bare number is refused, its unit never guessed (mg/dL and µmol/L are 88.4 apart)
    (f"crcl {CG_MAN_NO_CREATININE} --creatinine 1.2", "--creatinine 1.2", "a bare number has no unit"),
    (f"crcl {CG_MAN_NO_CREATININE} --creatinine 1.2mg", "--creatinine '1.2mg'", "not a creatinine concentration"),
    (f"crcl {CG_MAN_NO_CREATININE} --creatinine 88mg/dL", "--creatinine 88 mg/dL", "0.1-20 mg/dL"),
    # implausible age, with or without its unit; the adult formulas refuse a child and name the one that fits
    ("crcl --age 130 --weight 80kg --sex m --creatinine 1.2mg/dL", "--age '130'", "18-120 years"),
    ("crcl --age '130 years' --weight 80kg --sex m --creatinine 1.2mg/dL", "--age '130 years'", "18-120 years"),
    ("crcl --age 12 --weight 40kg --sex f --creatinine 0.5mg/dL", "--age '12'", "18-120 years"),
    ("crcl --age 12 --weight 40kg --sex f --creatinine 0.5mg/dL", "--age '12'", "schwartz-bedside"),
    (
        "crcl --formula schwartz-bedside --age 30 --height 170cm --creatinine 0.8mg/dL",
        "--age '30': expected 1-18 years",
        "ckd-epi-2021",
    ),
    # missing input
    ("crcl --age 60 --weight 80kg --creatinine 1.2mg/dL", "--sex is required", "Cockcroft-Gault"),
    ("crcl --weight 80kg --sex m --creatinine 1.2mg/dL", "--age is required", "Cockcroft-Gault"),
    (f"crcl {EPI} --weight 80kg", "--height is required", "BSA"),
    (f"crcl {CG} --weight-basis ideal", "--height is required", "Cockcroft-Gault"),
    ("carboplatin --auc 5", "--gfr is required", "carboplatin dose (or --age, --weight, --sex and --creatinine)"),
    (
        "carboplatin --auc 5 --policy addikd --age 60 --sex f --creatinine 1mg/dL",
        "--bsa is required",
        "height and weight",
    ),
    # kidney settings: the formula, the creatinine floor, an input the formula does not use
    (f"crcl --formula mdrd {CG}", "--formula 'mdrd' is not known", "cockcroft-gault, ckd-epi-2021, schwartz-bedside"),
    (f"crcl {CG} --creatinine-floor 0.7", "--creatinine-floor", "unit"),
    (f"crcl {CG} --creatinine-floor 5mg/dL", "--creatinine-floor 5 mg/dL", "0.1-1.5 mg/dL"),
    (f"crcl {CG} --bsa 1.9", "--bsa", "no BSA for Cockcroft-Gault"),
    (f"crcl {CG} --height 180cm", "--height", "no height for Cockcroft-Gault on the actual weight"),
    ("carboplatin --auc 5 --policy nice --gfr 90mL/min", "--policy 'nice' is not known", "fda, addikd"),
    (
        "carboplatin --auc 5 --formula schwartz-bedside --age 10 --height 140cm --creatinine 0.5mg/dL",
        "--formula schwartz-bedside",
        "adult",
    ),
    # AUC outside 1-10
    ("carboplatin --auc 12 --gfr 90mL/min", "--auc '12'", "1-10 mg/mL·min"),
    ("carboplatin --auc 0.5 --gfr 90mL/min", "--auc '0.5'", "1-10 mg/mL·min"),
    # a GFR needs its unit (mL/min; per 1.73 m² with a BSA)
    ("carboplatin --auc 5 --gfr 90", "--gfr '90'", "with a unit"),
    ("carboplatin --auc 5 --gfr '90 mL/min/m2'", "--gfr '90 mL/min/m2'", "'90 mL/min/1.73 m2' with a BSA"),
    ("carboplatin --auc 5 --gfr '90 mL/min/1.73m2'", "--gfr '90 mL/min/1.73m2'", "BSA"),
    ("carboplatin --auc 5 --gfr 90mL/min --bsa 1.9", "--bsa", "absolute gfr"),
    ("carboplatin --auc 5 --gfr 90mL/min --gfr-cap 300", "--gfr-cap '300'", "1-250 mL/min"),
    # options that exclude each other
    ("carboplatin --auc 5 --gfr 90mL/min --age 60", "--gfr 90mL/min and --age 60", "not both"),
    ("carboplatin --auc 5 --gfr 90mL/min --gfr-cap 100 --no-gfr-cap", "--gfr-cap 100 and --no-gfr-cap", "only one of"),
    (
        "carboplatin --auc 5 --gfr 90mL/min --round-to 10mg --vials 50mg",
        "--round-to 10mg and --vials 50mg",
        "only one of",
    ),
    ("carboplatin --auc 5 --gfr 90mL/min --tolerance 5", "--tolerance 5", "--round-to or --vials"),
    ("dose 75mg/m2 --bsa 1.9 --reduce 20 --level -1", "--reduce 20 and --level -1", "only one of"),
    (
        f"{DOSE} --round-to 5mg --bands {BANDS}",
        "--round-to 5mg and --bands",
        "only one of --round-to, --vials, --bands",
    ),
    (f"{DOSE} --round-to 5mg --vials 100mg", "--round-to 5mg and --vials 100mg", "only one of"),
    (f"{DOSE} --tolerance 5", "--tolerance 5", "--round-to or --vials"),
    # weight basis: sex (and height) required, never defaulted; the basis must be known
    (f"{DOSE} --weight-basis ideal", "--sex is required", "ideal body weight (Devine)"),
    ("dose 5mg/kg --weight 70kg --sex m --weight-basis adjusted", "--height is required", "adjusted body weight"),
    (f"{DOSE} --weight-basis fat", "--weight-basis 'fat' is not known", "actual, ideal, adjusted, lean"),
    # caps
    ("dose 75mg/m2 --bsa 1.9 --bsa-cap 20", "--bsa-cap 20 m²", "0.02-7 m²"),
    ("dose 5mg/kg --weight 70kg --bsa-cap 2", "--bsa-cap 2", "no BSA cap for a dose in mg/kg"),
    ("dose 75mg/m2 --bsa 1.9 --max-dose 2", "--max-dose '2'", "with a unit"),
    ("dose 75mg/m2 --bsa 1.9 --max-dose 2mg/m2", "--max-dose '2mg/m2'", "gives a dose, not a drug amount"),
    # rounding outside the tolerance is refused, with the nearest and its difference
    (
        f"{DOSE} --vials 100mg,50mg",
        "--vials 100mg,50mg: calculated dose 138.35 mg",
        "the nearest, 150 mg, is +8.4 %: not rounded",
    ),
    (f"{DOSE} --round-to 50mg", "--round-to 50mg: calculated dose 138.35 mg", "the nearest, 150 mg"),
    (f"{DOSE} --round-to 5mg --tolerance 20", "--tolerance 20 %", "(0, 10] %"),
    (f"{DOSE} --round-to 5", "--round-to '5'", "with a unit"),
    (f"{DOSE} --vials 100mg,abc", "--vials 'abc'", "a number is missing"),
    # reductions and levels
    ("dose 75mg/m2 --bsa 1.9 --reduce 95", "--reduce 95 %", "1-90 %"),
    ("dose 75mg/m2 --bsa 1.9 --reduce -20", "--reduce '-20'", "without a sign"),
    ("dose 75mg/m2 --bsa 1.9 --level -1", "--levels is required", "dose level '-1'"),
    ("dose 75mg/m2 --bsa 1.9 --levels levels.csv", "--level is required", "--levels levels.csv"),
    # bands: a dose outside the table, a missing file
    (f"dose 75mg/m2 --bsa 1.9 --bands {BANDS}", f"--bands {EXAMPLE_BANDS}: calculated dose 142.5 mg", "1150-2450 mg"),
    ("dose 75mg/m2 --bsa 1.9 --bands no-such-bands.csv", "--bands no-such-bands.csv", "cannot be read"),
]


@pytest.mark.parametrize("command_line, names, expected", BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_exits_2_naming_the_option(command_line, names, expected):
    check_bad_input(command_line, names, expected)


BAD_TABLES = [
    # overlapping, gapped and unit-less bands; a band dose outside its band
    ("bands.csv", "lower,upper,dose\n100 mg,200 mg,150 mg\n190 mg,300 mg,250 mg\n", "--bands", "the bands overlap"),
    ("bands.csv", "lower,upper,dose\n100 mg,200 mg,150 mg\n210 mg,300 mg,250 mg\n", "--bands", "the bands leave a gap"),
    ("bands.csv", "lower,upper,dose\n100,200,150\n", "--bands", "with a unit"),
    ("bands.csv", "lower_mg,upper_mg,dose_mg\n100,200,250\n", "--bands", "a dose within its band"),
    ("bands.txt", "lower_mg,upper_mg,dose_mg\n100,200,150\n", "--bands", ".csv, .toml"),
    ("bands.toml", "bands = 3\n", "--bands", "[[bands]]"),
    # a level table with a repeated level, a level of another basis
    ("levels.csv", "level,dose\n-1,65 mg/m^2\n-1,50 mg/m^2\n", "--levels", "distinct level names"),
    ("levels.csv", "level,dose\n-1,1 mg/kg\n", "--level", "a dose in mg/m²"),
]


@pytest.mark.parametrize(
    "name, text, option, expected",
    BAD_TABLES,
    ids=lambda value: value if isinstance(value, str) and "\n" not in value else "",
)
def test_bad_tables_exit_2_naming_the_option(tmp_path, name, text, option, expected):
    path = write(tmp_path, name, text)
    table = ["--bands", path] if option == "--bands" else ["--level", "-1", "--levels", path]
    check_bad_input(shlex.join(["dose", "150mg/m2", "--bsa", "1", *table]), option, expected)


def test_usage_errors_exit_2():
    assert run("carboplatin", "--gfr", "90mL/min").exit_code == 2  # --auc is required
    assert run("crcl", "--age").exit_code == 2  # an option without its value


def test_rounding_never_passes_the_max_dose():
    # 1.4 mg/m² × 2.0 m² = 2.8 mg, capped at 2 mg (CHOP vincristine); a 0.3 mg step rounds down to 1.8 mg
    report = run_json(
        "dose", "1.4mg/m2", "--bsa", "2.0", "--max-dose", "2mg", "--round-to", "0.3mg", "--tolerance", "10"
    )
    assert report["results"]["dose"]["value"] == pytest.approx(1.8)


def test_cohort_takes_the_safeguards(tmp_path):
    # the sample cohort with a 2 mg cap and a 0.1 mg step: no dose above 2 mg, all rows accounted for
    import pyarrow.csv as pv

    out, rejects = tmp_path / "dosed.csv", tmp_path / "rejects.csv"
    result = run(
        "cohort",
        str(EXAMPLES / "cohort.csv"),
        "-o",
        str(out),
        "--dose",
        "1.4mg/m2",
        "--max-dose",
        "2mg",
        "--round-to",
        "0.1mg",
        "--rejects",
        str(rejects),
        "--json",
    )
    assert result.exit_code == 3, result.output  # the sample's five bad rows
    summary = json.loads(result.stdout)["summary"]
    dosed = pv.read_csv(out)
    assert summary["rows_read"] == 36 == dosed.num_rows + pv.read_csv(rejects).num_rows
    assert max(dosed["dose_rounded_mg"].to_pylist()) <= 2.0
    assert {"dose_uncapped_mg", "dose_capped", "dose_rounded_mg", "rounding_difference_pct"} <= set(dosed.column_names)


def test_cohort_safeguard_errors_exit_2(tmp_path):
    result = run(
        "cohort",
        str(EXAMPLES / "cohort.csv"),
        "-o",
        str(tmp_path / "d.csv"),
        "--dose",
        "75mg/m2",
        "--weight-basis",
        "ideal",
        "--vials",
        "100mg,50mg",
        "--round-to",
        "5mg",
    )
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "error: --round-to 5mg and --vials 100mg,50mg: expected only one of --round-to, --vials, --bands"
    )
    assert not (tmp_path / "d.csv").exists()


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_cohort_of_a_folder_is_a_dataset(tmp_path, engine):
    # the sample split in two files: the dataset's rows and rejects are those of the one file
    import pyarrow.dataset as ds

    lines = (EXAMPLES / "cohort.csv").read_text().splitlines()
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_text("\n".join(lines[:20]) + "\n")
    (folder / "b.csv").write_text("\n".join([lines[0], *lines[20:]]) + "\n")
    args = [
        "cohort",
        str(folder),
        "-o",
        str(tmp_path / "out"),
        "--dose",
        "75mg/m2",
        "--rejects",
        str(tmp_path / "rejects"),
        "--engine",
        engine,
        "--json",
    ]
    if engine == "dask":
        pytest.importorskip("distributed")
    result = run(*args)
    assert result.exit_code == 3, result.output
    summary = json.loads(result.stdout)["summary"]
    assert (summary["rows_read"], summary["rows_written"], summary["rows_rejected"]) == (36, 31, 5)
    assert ds.dataset(tmp_path / "out").count_rows() == 31
    rejects = ds.dataset(tmp_path / "rejects").to_table()
    assert sorted(rejects["file"].to_pylist()) == ["a.csv"] * 3 + ["b.csv"] * 2


def test_scheduler_needs_the_dask_engine(tmp_path):
    result = run(
        "cohort",
        str(EXAMPLES / "cohort.csv"),
        "-o",
        str(tmp_path / "out"),
        "--dose",
        "75mg/m2",
        "--scheduler",
        "tcp://127.0.0.1:1",
    )
    assert result.exit_code == 2
    assert "scheduler" in result.output


def test_no_workers_is_refused_not_waited_for(tmp_path):
    # a local cluster of 0 workers would never run a piece: refused at once, nothing written
    result = run(
        "cohort",
        str(EXAMPLES / "cohort.csv"),
        str(EXAMPLES / "cohort.csv"),
        "-o",
        str(tmp_path / "out"),
        "--dose",
        "75mg/m2",
        "--engine",
        "dask",
        "--workers",
        "0",
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --workers 0: expected at least 1 worker process"
    assert list(tmp_path.iterdir()) == []


def test_cohort_without_rejects_file_says_how_to_see_them(tmp_path):
    result = run("cohort", str(EXAMPLES / "cohort.csv"), "-o", str(tmp_path / "d.csv"), "--dose", "75mg/m2")
    assert result.exit_code == 3
    assert rows(result.stdout)["rejected"] == ["5", "add --rejects FILE for each row and why"]


@pytest.mark.parametrize("command", ["dose 75mg/m2", "regimen 75mg/m2 --days 1,8 --cycle 21"])
def test_a_bsa_formula_beside_a_given_bsa_is_refused_not_ignored(command):
    # --bsa 1.84 with --method dubois: was the BSA given, or to be computed by Du Bois? neither is dropped
    result = run(*shlex.split(command), "--bsa", "1.84", "--method", "dubois")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --method 'dubois': expected no BSA formula with a given bsa"
    assert run(*shlex.split(command), "--bsa", "1.84").exit_code == 0
