"""
The README's kidney cohort (``examples/kidney-cohort.csv``): carboplatin and a
protocol over a file, each number computed by hand.

Cockcroft-Gault: CrCl = (140 − age) × weight / (72 × Scr) × 0.85 for a woman
(Cockcroft DW, Gault MH. Nephron 1976;16:31-41). Calvert: dose = AUC × (GFR +
25) mg (Calvert AH et al. J Clin Oncol 1989;7:1748-56), the GFR capped at
125 mL/min under the FDA's policy (carboplatin label).
"""

import csv
from pathlib import Path

import pytest

from dosecalc import Order, load_protocol
from dosecalc.cohort_io import convert_file

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "kidney-cohort.csv"


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_carboplatin_auc_5_over_the_sample_by_hand(tmp_path):
    summary = convert_file(
        SAMPLE,
        tmp_path / "dosed.csv",
        rejects_path=tmp_path / "rejects.csv",
        order=Order("carboplatin", "5 mg/mL*min", round_to="10 mg"),
    )
    assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (6, 4, 2)
    dosed = _rows(tmp_path / "dosed.csv")
    crcl = [(140 - 62) * 68 / (72 * 0.9) * 0.85, (140 - 55) * 92 / (72 * 0.7) * 0.85]
    crcl += [(140 - 71) * 55 / (72 * 1.4) * 0.85, (140 - 48) * 61 / (72 * 0.5) * 0.85]
    assert [float(row["crcl_cockcroft_gault_ml_min"]) for row in dosed] == pytest.approx(crcl, rel=1e-12)
    calvert = [5 * (min(gfr, 125.0) + 25) for gfr in crcl]  # 472.87, 750 (capped), 285.01, 750 (capped)
    assert [float(row["dose_mg"]) for row in dosed] == pytest.approx(calvert, rel=1e-12)
    assert [row["gfr_capped"] for row in dosed] == ["false", "true", "false", "true"]
    assert [float(row["final_dose_mg"]) for row in dosed] == [470.0, 750.0, 290.0, 750.0]
    rejects = _rows(tmp_path / "rejects.csv")
    assert [(row["patient_id"], row["row"]) for row in rejects] == [("OV-05", "5"), ("OV-06", "6")]
    assert "use the bedside Schwartz formula" in rejects[0]["reason"]
    assert rejects[1]["reason"].endswith("did you mean 88 µmol/L?")
    # the rejected rows keep every field as typed
    assert rejects[1]["creatinine_mg_dl"] == "88"


def test_a_protocol_over_the_sample_schedules_every_drug_for_each_patient(tmp_path):
    summary = convert_file(
        SAMPLE,
        tmp_path / "schedule.csv",
        rejects_path=tmp_path / "rejects.csv",
        protocol=load_protocol("carboplatin-paclitaxel"),
    )
    # patients: read = scheduled + rejected; rows: 4 patients × 6 cycles × 2 drugs
    assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (6, 4, 2)
    assert summary.output_rows == 48
    schedule = _rows(tmp_path / "schedule.csv")
    first = {
        row["drug"]: float(row["dose"]) for row in schedule if row["patient_id"] == "OV-01" and row["cycle"] == "1"
    }
    # paclitaxel 175 mg/m² × Mosteller sqrt(165 × 68 / 3600) = 1.7654 m²; carboplatin as above, unrounded
    assert first["paclitaxel"] == pytest.approx(175 * (165 * 68 / 3600) ** 0.5, rel=1e-12)
    assert first["carboplatin"] == pytest.approx(5 * ((140 - 62) * 68 / (72 * 0.9) * 0.85 + 25), rel=1e-12)
    assert {row["drug"] for row in _rows(tmp_path / "rejects.csv")} == {"carboplatin"}
