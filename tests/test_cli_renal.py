"""
``dosecalc crcl`` and ``dosecalc carboplatin`` with the kidney-function settings: the formula, the BSA that
de-indexes an eGFR, the weight basis, the creatinine floor, the physiological range, the GFR policy and the
safeguards of a dose. CliRunner for each option, the ``--json`` keys pinned (the earlier keys kept), and published
or hand-worked values beside their source; each bad input (exit 2, one stderr line naming the option) is a case of
the one table in tests/test_cli_safeguards.py.
"""

import math

import pytest

# the helpers and the man of tests/test_cli_safeguards.py: 60 years, 80 kg, creatinine 1.2 mg/dL; Cockcroft & Gault,
# Nephron 1976;16:31, doi:10.1159/000180580: (140 - 60) × 80 / (72 × 1.2) = 6400 / 86.4 mL/min
from test_cli_safeguards import CG_MAN, CG_MAN_ML_MIN, rows, run, run_json

import dosecalc

# Inker et al., N Engl J Med 2021;385:1737, doi:10.1056/NEJMoa2102953: a man of 55, creatinine 1.2 mg/dL:
# 142 × (1.2/0.9)^−1.2 × 0.9938^55 = 71.418 mL/min/1.73 m²
EPI_MAN = ["--formula", "ckd-epi-2021", "--age", "55", "--sex", "m", "--creatinine", "1.2mg/dL"]
EPI_MAN_173 = 142 * (1.2 / 0.9) ** -1.2 * 0.9938**55


def refused(*args) -> str:
    result = run(*args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


# --- the --json schemas: the earlier keys kept, new ones added ------------------------------------


def test_crcl_json_schema():
    report = run_json("crcl", *CG_MAN)
    assert set(report) >= {"command", "dosecalc_version", "inputs", "results", "formula"}
    assert set(report) - {"command", "dosecalc_version", "inputs", "results", "formula"} == {"kidney_function"}
    assert report["command"] == "crcl" and report["dosecalc_version"] == dosecalc.__version__
    assert list(report["inputs"]) == ["age", "weight", "creatinine", "sex"]
    assert report["inputs"]["age"] == {"given": "60", "value": 60.0, "unit": "yr"}
    assert set(report["results"]) == {"crcl"}
    assert set(report["formula"]) == {"name", "label", "equation", "reference"}
    record = report["kidney_function"]
    assert record["formula"] == "cockcroft_gault" and record["clearance"]["value"] == pytest.approx(CG_MAN_ML_MIN)
    assert record["creatinine_floor_policy"] == "none" and record["physiological_range"] == "(0, 250] mL/min"


def test_carboplatin_json_schema():
    report = run_json("carboplatin", "--auc", "5", *CG_MAN)
    assert set(report) == {
        "command",
        "dosecalc_version",
        "inputs",
        "results",
        "formula",
        "gfr_formula",
        "carboplatin_dose",
    }
    assert set(report["inputs"]) == {"auc", "age", "weight", "creatinine", "sex"}
    assert report["inputs"]["auc"] == {"given": "5", "value": 5.0, "unit": "mg·min/mL"}
    assert set(report["results"]) == {"dose", "dose_uncapped", "gfr", "gfr_uncapped", "gfr_cap"}
    for item in report["results"].values():
        assert set(item) == {"value", "unit"} and isinstance(item["value"], float)
    assert report["formula"]["name"] == "calvert" and set(report["gfr_formula"]) == {
        "name",
        "label",
        "equation",
        "reference",
    }
    earlier = {
        "dose",
        "dose_uncapped",
        "auc",
        "gfr",
        "gfr_uncapped",
        "gfr_source",
        "gfr_cap",
        "cap_applied",
        "age",
        "weight",
        "serum_creatinine",
        "sex",
        "formula",
        "reference",
        "gfr_reference",
        "version",
    }
    added = {
        "policy",
        "policy_label",
        "policy_reference",
        "gfr_cap_source",
        "kidney_function",
        "bsa",
        "bsa_method",
        "dose_calvert",
        "max_dose",
        "max_dose_applied",
        "rounding",
        "steps",
    }
    assert set(report["carboplatin_dose"]) == earlier | added
    # the Calvert dose at the Cockcroft-Gault estimate of CG_MAN
    assert report["results"]["dose"]["value"] == pytest.approx(5 * (CG_MAN_ML_MIN + 25), rel=1e-12)


# --- crcl --formula -------------------------------------------------------------------------


def test_crcl_default_is_cockcroft_gault_and_says_so():
    lines = rows(run("crcl", *CG_MAN).stdout)
    assert lines["CrCl"][0] == "74.1 mL/min" and lines["CrCl"][1].startswith("Cockcroft-Gault: ")
    assert run_json("crcl", *CG_MAN)["formula"]["name"] == "cockcroft_gault"
    assert run_json("crcl", *CG_MAN, "--formula", "cockcroft-gault")["results"]["crcl"]["value"] == pytest.approx(
        CG_MAN_ML_MIN
    )


def test_crcl_ckd_epi_2021_per_173_m2_and_de_indexed():
    report = run_json("crcl", *EPI_MAN)
    assert report["results"] == {"egfr": {"value": pytest.approx(EPI_MAN_173, rel=1e-12), "unit": "mL/min/1.73 m²"}}
    assert report["formula"]["name"] == "ckd_epi_2021" and "10.1056/NEJMoa2102953" in report["formula"]["reference"]
    assert report["inputs"]["formula"] == {"given": "ckd-epi-2021", "value": "ckd_epi_2021", "unit": None}
    assert rows(run("crcl", *EPI_MAN).stdout)["GFR"] == [
        "not in mL/min",
        "per 1.73 m² only: give --bsa, or --height and --weight",
    ]
    # ADDIKD: × BSA / 1.73 m²; 71.418 × 1.9 / 1.73 = 78.43 mL/min
    report = run_json("crcl", *EPI_MAN, "--bsa", "1.9")
    assert report["results"]["gfr"] == {"value": pytest.approx(EPI_MAN_173 * 1.9 / 1.73, rel=1e-12), "unit": "mL/min"}
    lines = rows(run("crcl", *EPI_MAN, "--bsa", "1.9").stdout)
    assert lines["eGFR"][0] == "71.4 mL/min/1.73 m²" and lines["eGFR"][1].startswith("CKD-EPI 2021: eGFR")
    assert lines["GFR"] == ["78.4 mL/min", "de-indexed: eGFR × BSA / 1.73 m²"] and lines["BSA"] == ["1.90 m²", "given"]


def test_crcl_bsa_from_height_and_weight():
    # Mosteller (1987): sqrt(180 × 81 / 3600) = 2.0125 m²; 71.418 × 2.0125 / 1.73 = 83.08 mL/min
    report = run_json("crcl", *EPI_MAN, "--height", "180cm", "--weight", "81kg")
    assert report["results"]["gfr"]["value"] == pytest.approx(EPI_MAN_173 * math.sqrt(180 * 81 / 3600) / 1.73)
    assert report["kidney_function"]["bsa_method"] == "mosteller"
    # --method dubois: 0.007184 × 180^0.725 × 81^0.425 = 2.0103 m² (Du Bois & Du Bois 1916)
    report = run_json("crcl", *EPI_MAN, "--height", "180cm", "--weight", "81kg", "--method", "dubois")
    assert report["results"]["gfr"]["value"] == pytest.approx(
        EPI_MAN_173 * 0.007184 * 180**0.725 * 81**0.425 / 1.73, rel=1e-9
    )
    assert report["kidney_function"]["bsa_method"] == "dubois"


def test_crcl_schwartz_bedside():
    # Schwartz et al., J Am Soc Nephrol 2009;20:629: 0.413 × 101 / 0.6 = 69.52 (transplantr's test: 69.5)
    args = ["--formula", "schwartz-bedside", "--age", "5", "--height", "101cm", "--creatinine", "0.6mg/dL"]
    assert run_json("crcl", *args)["results"]["egfr"]["value"] == pytest.approx(0.413 * 101 / 0.6)
    assert rows(run("crcl", *args).stdout)["eGFR"][0] == "69.5 mL/min/1.73 m²"


def test_crcl_creatinine_floor():
    # NCCN Appendix B: minimum creatinine 0.7 mg/dL. 80 y, 50 kg, woman, 0.4 mg/dL:
    # (140 − 80) × 50 / (72 × 0.7) × 0.85 = 50.60 mL/min; without the floor (… / (72 × 0.4)) = 88.54 mL/min
    args = ["--age", "80", "--weight", "50kg", "--sex", "f", "--creatinine", "0.4mg/dL"]
    for floor in ("0.7mg/dL", "nccn", "61.9 umol/L"):
        report = run_json("crcl", *args, "--creatinine-floor", floor)
        assert report["results"]["crcl"]["value"] == pytest.approx(60 * 50 / (72 * 0.7) * 0.85, rel=1e-3)
        assert report["kidney_function"]["floor_applied"] is True
        assert report["kidney_function"]["without_floor"]["value"] == pytest.approx(60 * 50 / (72 * 0.4) * 0.85)
        assert report["inputs"]["creatinine_floor"]["value"] == pytest.approx(0.7, rel=1e-3)  # 61.9 µmol/L = 0.7002
    lines = rows(run("crcl", *args, "--creatinine-floor", "nccn").stdout)
    assert lines["CrCl"][0] == "50.6 mL/min"
    assert lines["creatinine floor"] == [
        "0.7 mg/dL",
        "NCCN: applied to creatinine 0.4 mg/dL; without it CrCl 88.5 mL/min",
    ]
    assert "NCCN Chemotherapy Order Templates" in run("crcl", *args, "--creatinine-floor", "nccn").stdout
    # a floor that changes nothing is shown as not applied
    assert rows(run("crcl", *CG_MAN, "--creatinine-floor", "0.7mg/dL").stdout)["creatinine floor"] == [
        "0.7 mg/dL",
        "given: not applied",
    ]
    # "none": the default, said so
    report = run_json("crcl", *args, "--creatinine-floor", "none")
    assert report["inputs"]["creatinine_floor"] == {"given": "none", "value": None, "unit": None}
    assert report["results"]["crcl"]["value"] == pytest.approx(60 * 50 / (72 * 0.4) * 0.85)


def test_crcl_weight_basis():
    # a man of 5 ft 10 in, 98 kg: Devine IBW 73 kg, lesser of actual and ideal 73 kg; (140 − 60) × 73 / 86.4
    args = [*CG_MAN[:2], "--weight", "98kg", "--height", "177.8cm", "--sex", "m", "--creatinine", "1.2mg/dL"]
    report = run_json("crcl", *args, "--weight-basis", "lesser")
    assert report["results"]["crcl"]["value"] == pytest.approx(80 * 73 / 86.4)
    assert report["inputs"]["weight_basis"] == {"given": "lesser", "value": "lesser", "unit": None}
    assert rows(run("crcl", *args, "--weight-basis", "ideal").stdout)["dosing weight"] == ["73 kg", "ideal body weight"]


def test_crcl_outside_the_range_is_refused_unless_allowed():
    # 18 years, 700 kg, creatinine 0.1 mg/dL: (140 − 18) × 700 / (72 × 0.1) = 11,861 mL/min
    args = ["--age", "18", "--weight", "700kg", "--sex", "m", "--creatinine", "0.1mg/dL"]
    line = refused("crcl", *args)
    assert line.startswith("error: crcl (Cockcroft-Gault)=11861.1 mL/min: expected (0, 250] mL/min")
    assert "--allow-outside-range" in line
    report = run_json("crcl", *args, "--allow-outside-range")
    assert report["kidney_function"]["outside_range"] is True
    assert report["inputs"]["allow_outside_range"] == {"given": "--allow-outside-range", "value": None, "unit": None}
    assert rows(run("crcl", *args, "--allow-outside-range").stdout)["range"][0] == "outside (0, 250] mL/min"


# --- carboplatin: GFR per 1.73 m², policies, safeguards ----------------------------------------------


def test_carboplatin_gfr_per_173_m2_with_bsa():
    # 90 mL/min/1.73 m² × 1.9 / 1.73 = 98.84 mL/min; Calvert (1989), AUC 5: 5 × (98.84 + 25) = 619.2 mg
    report = run_json("carboplatin", "--auc", "5", "--gfr", "90 mL/min/1.73m2", "--bsa", "1.9")
    assert report["results"]["dose"]["value"] == pytest.approx(5 * (90 * 1.9 / 1.73 + 25))
    assert report["inputs"]["gfr"] == {"given": "90 mL/min/1.73m2", "value": 90.0, "unit": "mL/min/1.73 m²"}
    lines = rows(run("carboplatin", "--auc", "5", "--gfr", "90 mL/min/1.73m2", "--bsa", "1.9").stdout)
    assert lines["GFR"] == ["98.8 mL/min", "given: 90 mL/min/1.73 m² × BSA / 1.73 m²"]
    # BSA from height and weight: Mosteller sqrt(180 × 81 / 3600) = 2.0125 m²
    report = run_json("carboplatin", "--auc", "5", "--gfr", "90 mL/min/1.73m2", "--height", "180cm", "--weight", "81kg")
    assert report["results"]["gfr"]["value"] == pytest.approx(90 * math.sqrt(180 * 81 / 3600) / 1.73)


def test_carboplatin_policy_addikd():
    # ADDIKD (eviQ 2022): CKD-EPI 2021 × BSA / 1.73 m², not capped. A man of 30, creatinine 0.6 mg/dL:
    # 142 × (0.6/0.9)^−0.302 × 0.9938^30 = 134.83; × 2.1 / 1.73 = 163.67 mL/min; AUC 5: 5 × 188.67 = 943.3 mg
    args = [
        "carboplatin",
        "--auc",
        "5",
        "--policy",
        "addikd",
        "--age",
        "30",
        "--sex",
        "m",
        "--creatinine",
        "0.6mg/dL",
        "--bsa",
        "2.1",
    ]
    egfr = 142 * (0.6 / 0.9) ** -0.302 * 0.9938**30
    report = run_json(*args)
    assert report["results"]["dose"]["value"] == pytest.approx(5 * (egfr * 2.1 / 1.73 + 25))
    assert "gfr_cap" not in report["results"] and report["gfr_formula"]["name"] == "ckd_epi_2021"
    assert (
        report["carboplatin_dose"]["policy"] == "addikd" and "ADDIKD" in report["carboplatin_dose"]["policy_reference"]
    )
    lines = rows(run(*args).stdout)
    assert lines["GFR cap"] == ["none", "addikd: not capped"] and lines["policy"][0] == "addikd"
    assert "ADDIKD" in run(*args).stdout


def test_carboplatin_policy_is_shown_with_its_source():
    text = run("carboplatin", "--auc", "5", "--gfr", "90mL/min").stdout
    assert rows(text)["policy"] == [
        "fda",
        "FDA and NCCN: Cockcroft-Gault, GFR capped at 125 mL/min; the GFR given by --gfr, not estimated",
    ]
    assert "reference: FDA, carboplatin dosing: GFR capped at 125 mL/min (2010)" in text
    estimated = ("--age", "60", "--sex", "f", "--creatinine", "1mg/dL", "--weight", "70kg")
    assert rows(run("carboplatin", "--auc", "5", *estimated).stdout)["policy"] == [
        "fda",
        "FDA and NCCN: Cockcroft-Gault, GFR capped at 125 mL/min",
    ]


def test_carboplatin_policy_row_says_when_the_formula_is_not_the_policys():
    # ADDIKD estimates by CKD-EPI 2021: a Cockcroft-Gault clearance chosen by --formula is said beside its label
    estimated = ("--age", "60", "--sex", "f", "--creatinine", "1mg/dL", "--weight", "70kg")
    lines = rows(
        run("carboplatin", "--auc", "5", "--policy", "addikd", "--formula", "cockcroft-gault", *estimated).stdout
    )
    assert lines["policy"][1] == (
        "ADDIKD: CKD-EPI 2021 de-indexed by the BSA, GFR not capped; the GFR by Cockcroft-Gault, set by --formula"
    )


def test_carboplatin_policy_row_says_when_the_cap_is_overridden():
    lines = rows(run("carboplatin", "--auc", "6", "--gfr", "140mL/min", "--no-gfr-cap").stdout)
    assert lines["policy"][1].endswith("; the cap turned off by --no-gfr-cap")
    lines = rows(run("carboplatin", "--auc", "6", "--gfr", "140mL/min", "--gfr-cap", "130").stdout)
    assert lines["policy"][1].endswith("; the cap set by --gfr-cap") and lines["GFR cap"][0] == "130 mL/min"


def test_carboplatin_ckd_epi_under_the_fda_cap():
    # --formula ckd-epi-2021 under the FDA policy: the estimate de-indexed, then capped at 125 mL/min
    args = [
        "carboplatin",
        "--auc",
        "5",
        "--formula",
        "ckd-epi-2021",
        "--age",
        "30",
        "--sex",
        "m",
        "--creatinine",
        "0.6mg/dL",
        "--bsa",
        "2.1",
    ]
    report = run_json(*args)
    assert report["results"]["dose"]["value"] == 750.0 and report["carboplatin_dose"]["cap_applied"] is True


def test_carboplatin_max_dose_and_rounding():
    # Calvert, AUC 5, GFR 120: 5 × 145 = 725 mg, at most 700 mg
    report = run_json("carboplatin", "--auc", "5", "--gfr", "120mL/min", "--max-dose", "700mg")
    assert report["results"]["dose"]["value"] == 700.0 and report["carboplatin_dose"]["max_dose_applied"] is True
    # AUC 5, GFR 87: 5 × 112 = 560 mg; vials of 450, 150 and 50 mg: 550 mg = 450 + 2 × 50, −1.8 %
    args = ["carboplatin", "--auc", "5", "--gfr", "87mL/min", "--vials", "450mg,150mg,50mg"]
    report = run_json(*args)
    assert report["results"]["dose"]["value"] == 550.0
    assert report["carboplatin_dose"]["rounding"]["counts"] == [1, 0, 2]
    assert report["inputs"]["vials"] == {"given": "450mg,150mg,50mg", "value": [450.0, 150.0, 50.0], "unit": "mg"}
    lines = rows(run(*args).stdout)
    assert lines["dose"] == ["550 mg", "rounded to 1 × 450 mg + 2 × 50 mg: −1.79 %, within ±5 %"]
    assert lines["Calvert"][0] == "560 mg"
    # to a 10 mg step: AUC 5.9 capped at 125 mL/min is 885 mg; 890 mg would pass the cap's maximum: 880 mg
    assert (
        run_json("carboplatin", "--auc", "5.9", "--gfr", "200mL/min", "--round-to", "10mg")["results"]["dose"]["value"]
        == 880.0
    )


def test_carboplatin_tolerance():
    # 560 mg to a 50 mg step: 550 mg is −1.8 %: refused at ±1 %, accepted at ±5 %
    line = refused("carboplatin", "--auc", "5", "--gfr", "87mL/min", "--round-to", "50mg", "--tolerance", "1")
    assert line.startswith("error: --round-to 50mg: calculated dose 560 mg: expected a dose within ±1 %")
    assert (
        run_json("carboplatin", "--auc", "5", "--gfr", "87mL/min", "--round-to", "50mg", "--tolerance", "5")["results"][
            "dose"
        ]["value"]
        == 550.0
    )


def test_carboplatin_young_heavy_man_needs_the_override():
    # (140 − 25) × 110 / (72 × 0.5996) = 293 mL/min: above 250 mL/min, refused; capped at 125 only when allowed
    args = ["carboplatin", "--auc", "6", "--age", "25", "--weight", "110kg", "--sex", "m", "--creatinine", "53umol/L"]
    assert refused(*args).startswith("error: crcl (Cockcroft-Gault)=293.1 mL/min")
    assert run_json(*args, "--allow-outside-range")["results"]["dose"]["value"] == 900.0


def test_a_refused_kidney_input_is_shown_as_typed():
    # the value read from the text ("2weeks": 0.0383 years; "1e9") would hide the slip: the text is shown
    crcl = run("crcl", "--age", "2weeks", "--weight", "70kg", "--sex", "m", "--creatinine", "1mg/dL")
    assert crcl.exit_code == 2 and crcl.stderr.strip() == "error: --age '2weeks': expected 18-120 years"
    cap = run("carboplatin", "--auc", "5", "--gfr", "90mL/min", "--gfr-cap", "1e9")
    assert cap.exit_code == 2 and cap.stderr.strip() == "error: --gfr-cap '1e9': expected 1-250 mL/min"
