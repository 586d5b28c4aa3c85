"""Cohort files dosed by an Order or scheduled by a Protocol: every patient accounted for, rows numbered as read."""

import json
import math
import pathlib

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from test_cohort_files import mounted_tmpfs

import dosecalc.cohort_io
from dosecalc import Order
from dosecalc.cohort_io import convert_dataset, convert_file
from dosecalc.errors import DoseCalcError
from dosecalc.protocol import PROTOCOL_DIR, load_protocol
from dosecalc.provenance import METADATA_KEY

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
EXAMPLE = EXAMPLES / "cohort.csv"
R_CHOP_21 = PROTOCOL_DIR / "r-chop-21.toml"
LB = 0.45359237  # kg per lb, exactly (international pound, 1959)
# the five bad rows of examples/cohort.csv
EXAMPLE_REJECTED = [7, 12, 18, 25, 30]
# R-CHOP-21 (Coiffier et al. 2002): rituximab, cyclophosphamide, doxorubicin, vincristine on day 1 and
# prednisone on days 1-5 of each of 8 cycles: 9 administrations a cycle, 72 a patient
ADMINISTRATIONS = 8 * (4 + 5)


def vincristine():
    # vincristine 1.4 mg/m² up to 2 mg, as R-CHOP gives it (Coiffier et al. 2002)
    return Order("vincristine", "1.4 mg/m2", max_dose="2 mg")


@pytest.fixture
def small_batches(monkeypatch):
    # a few rows per batch, so the example streams in several batches and row numbers must carry over
    monkeypatch.setattr(dosecalc.cohort_io, "BLOCK_BYTES", 64)
    monkeypatch.setattr(dosecalc.cohort_io, "BATCH_ROWS", 3)
    monkeypatch.setattr(dosecalc.cohort_io, "WRITE_ROWS", 3)
    monkeypatch.setattr(dosecalc.cohort_io, "PARQUET_GROUP_ROWS", 3)


def mosteller_m2(height_cm, weight_lb):
    # Mosteller (1987): BSA = sqrt(H[cm] W[kg] / 3600)
    return math.sqrt(height_cm * weight_lb * LB / 3600.0)


def test_an_order_doses_every_row_with_its_maximum_dose(tmp_path, small_batches):
    summary = convert_file(EXAMPLE, tmp_path / "dosed.csv", order=vincristine(), rejects_path=tmp_path / "rejects.csv")
    assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (36, 31, 5)
    assert (summary.output_rows, summary.rejects_rows) == (31, 5)
    dosed, rejects = pcsv.read_csv(tmp_path / "dosed.csv"), pcsv.read_csv(tmp_path / "rejects.csv")
    assert rejects["row"].to_pylist() == EXAMPLE_REJECTED
    assert sorted(dosed["row"].to_pylist() + rejects["row"].to_pylist()) == list(range(1, 37))
    first = dosed.slice(0, 1).to_pylist()[0]
    # MM-1001, 176.7 cm, 225.3 lb: BSA sqrt(176.7 * 102.195 / 3600) = 2.2397 m², 1.4 * 2.2397 = 3.136 mg > 2 mg
    assert first["bsa_m2"] == pytest.approx(mosteller_m2(176.7, 225.3), rel=1e-12)
    assert first["dose_uncapped_mg"] == pytest.approx(1.4 * mosteller_m2(176.7, 225.3), rel=1e-12)
    assert (first["final_dose_mg"], first["dose_capped"], first["drug"]) == (2.0, True, "vincristine")
    # every dose equals the scalar path's for that patient
    for row in dosed.to_pylist():
        expected = vincristine().for_patient(height=f"{row['height_cm']} cm", weight=f"{row['weight_lb']} lb")
        assert row["final_dose_mg"] == pytest.approx(expected.dose.m_as("mg"), rel=1e-12)
    assert summary.provenance["options"]["order"] == vincristine().to_dict()
    assert summary.provenance["rows_written"] == 31


def test_an_order_in_parquet_keeps_numbers_and_row(tmp_path):
    convert_file(EXAMPLE, tmp_path / "dosed.parquet", order=vincristine())
    table = pq.read_table(tmp_path / "dosed.parquet")
    assert table.schema.field("height_cm").type == pa.float64()
    assert table.schema.field("row").type == pa.int64()
    convert_file(EXAMPLE, tmp_path / "plan.parquet", protocol=load_protocol(R_CHOP_21), cycles=1)
    schedule = pq.read_table(tmp_path / "plan.parquet")
    assert schedule.schema.field("weight_lb").type == schedule.schema.field("dose").type == pa.float64()
    record = json.loads(pq.read_metadata(tmp_path / "dosed.parquet").metadata[METADATA_KEY.encode()])
    assert record["options"]["order"]["max_dose"] == {"value": 2.0, "unit": "mg"}


def test_a_protocol_schedules_every_patient_or_rejects_them(tmp_path, small_batches):
    protocol = load_protocol(R_CHOP_21)
    summary = convert_file(EXAMPLE, tmp_path / "plan.csv", protocol=protocol, rejects_path=tmp_path / "rejects.csv")
    # per patient: 36 read = 31 scheduled + 5 rejected; the schedule has 72 rows a patient, the rejects 5 drugs each
    assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (36, 31, 5)
    assert (summary.output_rows, summary.rejects_rows) == (31 * ADMINISTRATIONS, 5 * 5)
    schedule, rejects = pcsv.read_csv(tmp_path / "plan.csv"), pcsv.read_csv(tmp_path / "rejects.csv")
    assert schedule.num_rows == summary.output_rows and rejects.num_rows == summary.rejects_rows
    scheduled = sorted(set(schedule["row"].to_pylist()))
    assert sorted(set(rejects["row"].to_pylist())) == EXAMPLE_REJECTED
    assert sorted(scheduled + EXAMPLE_REJECTED) == list(range(1, 37))  # row numbers carry over the batches
    assert set(rejects["drug"].to_pylist()) == {
        "rituximab",
        "cyclophosphamide",
        "doxorubicin",
        "vincristine",
        "prednisone",
    }
    first = [row for row in schedule.to_pylist() if row["row"] == 1 and row["cycle"] == 1 and row["day"] == 1]
    bsa = mosteller_m2(176.7, 225.3)  # MM-1001, 2.2397 m²
    doses = {row["drug"]: row["dose"] for row in first}
    # Coiffier et al. (2002): rituximab 375, cyclophosphamide 750, doxorubicin 50, prednisone 40 mg/m²;
    # vincristine 1.4 mg/m² up to 2 mg
    assert doses["rituximab"] == pytest.approx(375 * bsa, rel=1e-12)
    assert doses["cyclophosphamide"] == pytest.approx(750 * bsa, rel=1e-12)
    assert doses["doxorubicin"] == pytest.approx(50 * bsa, rel=1e-12)
    assert doses["prednisone"] == pytest.approx(40 * bsa, rel=1e-12)
    assert doses["vincristine"] == 2.0
    record = summary.provenance["options"]["protocol"]
    assert (record["name"], record["source"], record["cycles"]) == ("R-CHOP-21", "r-chop-21.toml", 8)
    assert len(record["sha256"]) == 64
    assert summary.provenance["output_rows"] == 31 * ADMINISTRATIONS
    assert sum(summary.rejects_by_reason.values()) == 25  # the rejects' rows, by class of reason


def test_the_protocols_digest_is_that_of_its_record(tmp_path):
    import hashlib

    first = convert_file(EXAMPLE, tmp_path / "a.csv", protocol=load_protocol(R_CHOP_21), cycles=2)
    again = convert_file(EXAMPLE, tmp_path / "b.csv", protocol=load_protocol("r-chop-21"), cycles=2)
    record = dict(first.provenance["options"]["protocol"])
    digest = record.pop("sha256")
    assert digest == again.provenance["options"]["protocol"]["sha256"]
    text = json.dumps(record, sort_keys=True, ensure_ascii=False)
    assert digest == hashlib.sha256(text.encode("utf-8")).hexdigest()
    third = convert_file(EXAMPLE, tmp_path / "c.csv", protocol=load_protocol(R_CHOP_21), cycles=3)
    assert third.provenance["options"]["protocol"]["sha256"] != digest
    assert third.output_rows == 31 * 3 * 9


def test_a_protocol_whose_every_patient_is_rejected(tmp_path):
    (tmp_path / "in.csv").write_text("patient_id,height_cm,weight_kg\nA,1.75,70\nB,abc,70\n")
    summary = convert_file(
        tmp_path / "in.csv", tmp_path / "plan.csv", protocol=load_protocol(R_CHOP_21), rejects_path=tmp_path / "r.csv"
    )
    assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (2, 0, 2)
    assert (summary.output_rows, summary.rejects_rows) == (0, 10)
    header = (tmp_path / "plan.csv").read_text().splitlines()
    assert len(header) == 1 and header[0].startswith("row,patient_id,height_cm,weight_kg,cycle,day,time,drug")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_header_only_file_by_an_order_or_a_protocol(tmp_path, suffix):
    (tmp_path / "in.csv").write_text("patient_id,height_cm,weight_kg\n")
    for name, prescribed in (("order", {"order": vincristine()}), ("protocol", {"protocol": load_protocol(R_CHOP_21)})):
        summary = convert_file(tmp_path / "in.csv", tmp_path / f"{name}{suffix}", **prescribed)
        assert (summary.rows_read, summary.rows_written, summary.rows_rejected, summary.output_rows) == (0, 0, 0, 0)
        read = pq.read_table if suffix == ".parquet" else pcsv.read_csv
        assert read(tmp_path / f"{name}{suffix}").num_rows == 0


def test_a_kidney_function_is_added_to_an_orders_rows(tmp_path):
    (tmp_path / "in.csv").write_text(
        "patient_id,age_years,sex,height_cm,weight_kg,creatinine_mg_dl\nA,60,M,175,72,1.0\nB,60,M,175,72,\n"
    )
    summary = convert_file(
        tmp_path / "in.csv",
        tmp_path / "dosed.csv",
        order=vincristine(),
        kidney_function="cockcroft-gault",
        rejects_path=tmp_path / "rejects.csv",
    )
    assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (2, 1, 1)
    dosed = pcsv.read_csv(tmp_path / "dosed.csv").to_pylist()
    # Cockcroft-Gault (1976) by hand: (140 - 60) * 72 / (72 * 1.0) = 80 mL/min
    assert dosed[0]["crcl_cockcroft_gault_ml_min"] == pytest.approx(80.0, rel=1e-12)
    assert pcsv.read_csv(tmp_path / "rejects.csv")["row"].to_pylist() == [2]
    assert summary.provenance["options"]["kidney_function"] == "cockcroft-gault"


@pytest.mark.parametrize(
    "options, match",
    [
        ({"order": "vincristine"}, "order: expected a dosecalc.Order, not str"),
        ({"protocol": "r-chop-21"}, r"protocol: expected a dosecalc.Protocol \(dosecalc.load_protocol\), not str"),
        ({"order": vincristine(), "dose": "75 mg/m^2"}, "dose=75 mg/m\\^2: the order gives the dose"),
        ({"order": vincristine(), "max_dose": "2 mg"}, "max_dose: the order holds the safeguards"),
        ({"protocol": load_protocol(R_CHOP_21), "round_to": "5 mg"}, "round_to: the protocol holds the safeguards"),
        ({"order": vincristine(), "protocol": load_protocol(R_CHOP_21)}, "order, protocol: give one"),
        ({"dose": "75 mg/m^2", "cycles": 4}, "cycles: the cycles of a protocol to plan; give protocol= too"),
        ({"dose": "75 mg/m^2", "kidney_function": "cockcroft-gault"}, "kidney_function: .* give order= too"),
        ({"protocol": load_protocol(R_CHOP_21), "cycles": 0}, "cycles"),
    ],
)
def test_what_cannot_go_together_is_refused_before_anything_is_written(tmp_path, options, match):
    for convert, output in ((convert_file, tmp_path / "dosed.csv"), (convert_dataset, tmp_path / "dosed")):
        with pytest.raises(DoseCalcError, match=match):
            convert(EXAMPLE, output, **options)
        assert not output.exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_a_dataset_by_an_order_or_a_protocol_equals_the_single_file_runs(tmp_path, small_batches):
    root = tmp_path / "extracts"
    root.mkdir()
    lines = EXAMPLE.read_text().splitlines()
    (root / "a.csv").write_text("\n".join(lines[:20]) + "\n")
    (root / "b.csv").write_text("\n".join(lines[:1] + lines[20:]) + "\n")
    for name, prescribed in (("order", {"order": vincristine()}), ("protocol", {"protocol": load_protocol(R_CHOP_21)})):
        summary = convert_dataset(root, tmp_path / name, rejects_dir=tmp_path / f"{name}-rejects", **prescribed)
        assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (36, 31, 5)
        for part in ("a", "b"):
            convert_file(root / f"{part}.csv", tmp_path / f"{name}-{part}.parquet", **prescribed)
            assert pq.read_table(tmp_path / name / f"{part}.parquet").equals(
                pq.read_table(tmp_path / f"{name}-{part}.parquet")
            )
        rejects = ds.dataset(tmp_path / f"{name}-rejects").to_table()
        assert sorted({(f, row) for f, row in zip(rejects["file"].to_pylist(), rejects["row"].to_pylist())}) == [
            ("a.csv", 7),
            ("a.csv", 12),
            ("a.csv", 18),
            ("b.csv", 6),
            ("b.csv", 11),
        ]


def test_a_batch_that_loses_a_row_stops_the_run_and_writes_nothing(tmp_path, monkeypatch):
    # every row written or rejected: a dosing that drops one is caught, not written
    real = dosecalc.cohort_io.OrderDosing.__call__

    def losing(self, table, row_offset=0):
        dosed, rejects = real(self, table, row_offset)
        return dosecalc.cohort_io.DosedTable(dosed.slice(1), rejects)

    monkeypatch.setattr(dosecalc.cohort_io.OrderDosing, "__call__", losing)
    with pytest.raises(DoseCalcError, match="rows 1-36: 36 read, but 30 dosed and 5 rejected; nothing was written"):
        convert_file(EXAMPLE, tmp_path / "dosed.csv", order=vincristine(), rejects_path=tmp_path / "rejects.csv")
    assert list(tmp_path.iterdir()) == []


def test_a_protocol_reads_decimal_commas(tmp_path):
    (tmp_path / "in.csv").write_text("patient_id;height_cm;weight_kg\nA;175,5;70,2\nB;1,75;70\n")
    summary = convert_file(
        tmp_path / "in.csv",
        tmp_path / "plan.csv",
        protocol=load_protocol(R_CHOP_21),
        cycles=1,
        delimiter=";",
        decimal_comma=True,
        rejects_path=tmp_path / "rejects.csv",
    )
    assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (2, 1, 1)
    schedule = pcsv.read_csv(tmp_path / "plan.csv").to_pylist()
    # Mosteller (1987): sqrt(175.5 * 70.2 / 3600) = 1.8500 m²; doxorubicin 50 mg/m² (Coiffier et al. 2002)
    doxorubicin = [row["dose"] for row in schedule if row["drug"] == "doxorubicin"]
    assert doxorubicin == [pytest.approx(50 * math.sqrt(175.5 * 70.2 / 3600), rel=1e-12)]


@pytest.mark.parametrize("output", ["plan.csv", "plan.parquet"])
def test_a_full_disk_under_a_schedule_is_one_line_and_leaves_nothing(tmp_path, output):
    # 3,000 patients of distinct heights are 216,000 rows of schedule: far more than 64 KiB, even in Parquet
    rows = "".join(f"P{number},{150 + number / 100},70\n" for number in range(3000))
    (tmp_path / "in.csv").write_text("patient_id,height_cm,weight_kg\n" + rows)
    with mounted_tmpfs(tmp_path / "disk", "size=64k") as disk:
        with pytest.raises(DoseCalcError) as raised:
            convert_file(
                tmp_path / "in.csv", disk / output, protocol=load_protocol(R_CHOP_21), rejects_path=disk / "r.csv"
            )
        # the schedule fills the disk; whichever file's write fails first is named
        named = {
            f"{disk / name}: cannot be written (No space left on device); nothing was written there"
            for name in (output, "r.csv")
        }
        assert str(raised.value) in named
        assert list(disk.iterdir()) == []


def test_the_report_of_an_order_or_a_protocol_counts_each_patient_once(tmp_path):
    pytest.importorskip("matplotlib")
    import re

    from dosecalc.report import histograms, write_report

    order = convert_file(EXAMPLE, tmp_path / "dosed.csv", order=vincristine())
    drawn = histograms(tmp_path / "dosed.csv", order.provenance["options"])
    assert sorted(drawn) == ["BSA of the dosed rows", "dose to give of the dosed rows"]
    counts, edges = drawn["dose to give of the dosed rows"]
    # every patient of the example is above 1.43 m²: all 31 doses capped at vincristine's 2 mg, in the first bin
    assert (counts[0], counts.sum(), edges[0]) == (31, 31, 2.0)
    plan = convert_file(EXAMPLE, tmp_path / "plan.parquet", protocol=load_protocol(R_CHOP_21))
    drawn = histograms(tmp_path / "plan.parquet", plan.provenance["options"])
    drugs = ["rituximab", "cyclophosphamide", "doxorubicin", "vincristine", "prednisone"]
    assert list(drawn) == ["BSA of the patients scheduled"] + [f"first dose of {drug}, cycle 1" for drug in drugs]
    assert all(counts.sum() == 31 for counts, _ in drawn.values())  # one a patient, of 2,232 rows of schedule
    page = write_report(tmp_path / "report.html", plan).read_text()
    titles = re.findall(r"<h2>([^<]+)</h2><img", page)
    assert titles == [*drawn, "rejected rows by reason"]


def _formulas(summary):
    return [(entry["kind"], entry["name"]) for entry in summary.provenance["formulas"]]


def test_the_provenance_names_the_formulas_that_computed_the_doses(tmp_path):
    kidney = EXAMPLES / "kidney-cohort.csv"
    carboplatin = convert_file(kidney, tmp_path / "auc.csv", order=Order("carboplatin", "5 mg/mL*min"))
    # Calvert (1989) with the FDA policy's Cockcroft-Gault (1976) on the actual weight; no BSA is used
    assert _formulas(carboplatin) == [
        ("carboplatin dose", "calvert"),
        ("carboplatin GFR policy", "fda"),
        ("kidney function where no GFR is measured", "cockcroft_gault"),
        ("dosing weight", "actual"),
    ]
    assert "10.1200/JCO.1989.7.11.1748" in carboplatin.provenance["formulas"][0]["reference"]
    addikd = convert_file(kidney, tmp_path / "addikd.csv", order=Order("carboplatin", "5 mg/mL*min", policy="addikd"))
    # CKD-EPI 2021 de-indexed by the patient's BSA (Mosteller)
    assert ("body surface area", "mosteller") in _formulas(addikd)
    assert ("kidney function where no GFR is measured", "ckd_epi_2021") in _formulas(addikd)
    beside = convert_file(kidney, tmp_path / "v.csv", order=vincristine(), kidney_function="cockcroft-gault")
    assert _formulas(beside) == [
        ("body surface area", "mosteller"),
        ("kidney function", "cockcroft_gault"),
        ("dosing weight", "actual"),
    ]
    plan = convert_file(EXAMPLE, tmp_path / "plan.csv", protocol=load_protocol(R_CHOP_21), cycles=1)
    assert _formulas(plan) == [("body surface area", "mosteller")]
    flat = convert_file(EXAMPLE, tmp_path / "flat.csv", order=Order("ondansetron", "8 mg"))
    assert _formulas(flat) == []  # a flat dose: no formula computed it


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_report_of_a_carboplatin_order_draws_no_empty_bsa(tmp_path, suffix):
    # Cockcroft-Gault computes no BSA: the bsa_m2 column is empty in every row, and is not drawn
    pytest.importorskip("matplotlib")
    from dosecalc.report import histograms, write_report

    output = tmp_path / f"auc{suffix}"
    summary = convert_file(EXAMPLES / "kidney-cohort.csv", output, order=Order("carboplatin", "5 mg/mL*min"))
    drawn = histograms(output, summary.provenance["options"])
    assert list(drawn) == ["dose to give of the dosed rows"]
    assert drawn["dose to give of the dosed rows"][0].sum() == summary.rows_written
    assert "dose to give of the dosed rows" in write_report(tmp_path / "report.html", summary).read_text()
