"""dose_dataframe: the batch engine on every partition of a dask DataFrame, lazily, every row accounted for."""

import doctest
import pickle
import subprocess
import sys
import textwrap

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")

import dosecalc.cohort_io  # noqa: E402
import dosecalc.dask  # noqa: E402
from dosecalc import Q_  # noqa: E402
from dosecalc.cohort import dose_table  # noqa: E402
from dosecalc.cohort_io import convert_file  # noqa: E402
from dosecalc.dask import dose_dataframe  # noqa: E402
from dosecalc.errors import DoseCalcError, MissingInputError  # noqa: E402

DOSE = "75 mg/m^2"


@pytest.fixture(autouse=True)
def synchronous():
    with dask.config.set(scheduler="sync"):
        yield


def cohort(rows=40):
    """Adults with height in cm and weight in lb; every 7th height in metres, the 10th weight missing."""
    height_cm = [1.7 if number % 7 == 0 else 150.0 + number for number in range(1, rows + 1)]
    weight_lb = [None if number == 10 else 110.0 + 2 * number for number in range(1, rows + 1)]
    return pd.DataFrame(
        {
            "patient_id": [f"P{number:03d}" for number in range(1, rows + 1)],
            "height_cm": height_cm,
            "weight_lb": weight_lb,
        }
    )


@pytest.fixture
def counted(monkeypatch):
    """The rows of each call of the engine."""
    calls, real = [], dosecalc.dask.dose_table

    def counting(table, *args, **kwargs):
        calls.append(pa.table(table).num_rows)
        return real(table, *args, **kwargs)

    monkeypatch.setattr(dosecalc.dask, "dose_table", counting)
    return calls


def test_docstring_examples():
    failures, tried = doctest.testmod(dosecalc.dask, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


def test_nothing_computed_until_asked_and_each_partition_dosed_once(counted):
    ddf = dd.from_pandas(cohort(), npartitions=4)
    dosed, rejects = dose_dataframe(ddf, dose=DOSE)
    assert counted == [0]  # only the empty meta, which checks the columns
    assert list(dosed.dtypes.index) == list(dosed._meta.columns)
    dosed, rejects = dask.compute(dosed, rejects)
    assert sorted(counted) == [0, 10, 10, 10, 10]
    assert len(dosed) + len(rejects) == 40


def test_equals_dose_table_on_the_whole_frame():
    frame = cohort()
    whole = dose_table(pa.Table.from_pandas(frame, preserve_index=False), DOSE)
    ddf = dd.from_pandas(frame, npartitions=3)
    lengths = [len(part) for part in (frame.iloc[0:14], frame.iloc[14:27], frame.iloc[27:])]
    assert list(ddf.map_partitions(len).compute()) == lengths
    # rows before each partition, as Parquet metadata would give them: global numbering
    dosed, rejects = dask.compute(*dose_dataframe(ddf, dose=DOSE, row_offsets=[0, 14, 27]))
    assert pa.Table.from_pandas(dosed.drop(columns="partition"), preserve_index=False).to_pylist() == (
        whole.dosed.to_pylist()
    )
    assert rejects.drop(columns="partition").to_dict("records") == whole.rejects.to_pylist()
    assert rejects["partition"].tolist() == [0, 0, 0, 1, 2, 2]  # rows 7, 10, 14 | 21 | 28, 35
    # every row once, dosed or rejected: rows 1-40 with 34 doses
    assert sorted(dosed["row"].tolist() + rejects["row"].tolist()) == list(range(1, 41))
    # without offsets each partition counts from 1: (partition, row) names the row
    dosed, by_partition = dask.compute(*dose_dataframe(ddf, dose=DOSE))
    starts = {0: 0, 1: 14, 2: 27}
    assert [starts[part] + row for part, row in zip(by_partition["partition"], by_partition["row"])] == whole.rejects[
        "row"
    ].to_pylist()
    assert [starts[part] + row for part, row in zip(dosed["partition"], dosed["row"])] == whole.dosed["row"].to_pylist()


def test_dosed_rows_join_back_to_their_patients():
    # a dose assigned by (partition, row) lands on its own patient, whatever was rejected before it
    frame = cohort()
    ddf = dd.from_pandas(frame, npartitions=3)
    dosed = dose_dataframe(ddf, dose=DOSE)[0].compute()
    starts = {0: 0, 1: 14, 2: 27}
    for part, row, patient, height in zip(dosed["partition"], dosed["row"], dosed["patient_id"], dosed["height_cm"]):
        source = frame.iloc[starts[part] + row - 1]
        assert (source["patient_id"], source["height_cm"]) == (patient, height)


@pytest.mark.parametrize("index", [None, "patient_id"])
def test_a_dose_assigned_by_index_lands_on_its_own_patient(index):
    # ddf.assign aligns by index label: each dosed row keeps its input's label, a rejected patient gets none
    frame = cohort()
    frame = frame.set_index(index, drop=False) if index else frame.set_axis(range(100, 140))
    ddf = dd.from_pandas(frame, npartitions=3)
    dosed, rejects = dose_dataframe(ddf, dose=DOSE)
    assigned = ddf.assign(dose_mg=dosed["dose_mg"]).compute()
    rejected = set(rejects.compute()["patient_id"])
    for patient in assigned.itertuples():
        if patient.patient_id in rejected:
            assert pd.isna(patient.dose_mg)
        else:  # Mosteller (N Engl J Med 1987;317:1098), the weight in lb x 0.45359237 kg/lb
            bsa_m2 = (patient.height_cm * patient.weight_lb * 0.45359237 / 3600) ** 0.5
            assert patient.dose_mg == pytest.approx(75 * bsa_m2, rel=1e-12)
    assert len(rejected) == 6 and list(rejects.compute().index) == list(frame.index[frame["patient_id"].isin(rejected)])


def test_types_are_the_engines():
    dosed, rejects = dose_dataframe(dd.from_pandas(cohort(), npartitions=2), dose=DOSE, method="dubois")
    assert dosed.dtypes["dose_mg"] == pd.ArrowDtype(pa.float64())
    assert isinstance(dosed.dtypes["bsa_method"], pd.CategoricalDtype)
    assert rejects.dtypes["row"] == rejects.dtypes["partition"] == pd.ArrowDtype(pa.int64())
    computed = dosed.compute()
    assert (computed.dtypes == dosed.dtypes).all()
    assert set(computed["bsa_method"]) == {"dubois"}
    assert list(rejects.columns[-3:]) == ["partition", "row", "reason"]


def test_files_read_by_dask_give_the_single_file_runs(tmp_path):
    # a partition per file (blocksize=None), its path as a column: the rejects name file and row
    paths = []
    for number, part in enumerate((cohort().iloc[:15], cohort().iloc[15:])):
        paths.append(tmp_path / f"site{number}.csv")
        part.to_csv(paths[-1], index=False)
    ddf = dd.read_csv(
        [str(path) for path in paths], blocksize=None, dtype=str, keep_default_na=False, include_path_column="file"
    )
    dosed, rejects = dask.compute(*dose_dataframe(ddf, dose=DOSE))
    expected_dosed, expected_rejects = [], []
    for path in paths:
        convert_file(
            path, tmp_path / f"{path.stem}.parquet", dose=DOSE, rejects_path=tmp_path / f"{path.stem}-rejects.parquet"
        )
        expected_dosed += pq.read_table(tmp_path / f"{path.stem}.parquet").drop_columns("row").to_pylist()
        expected_rejects += [
            {"file": str(path), **row} for row in pq.read_table(tmp_path / f"{path.stem}-rejects.parquet").to_pylist()
        ]
    # the file driver writes the numeric inputs as numbers; dose_dataframe keeps them as given (text here)
    by_id = sorted(
        dosed.drop(columns=["file", "partition", "row"]).to_dict("records"), key=lambda row: row["patient_id"]
    )
    numbers = ("height_cm", "weight_lb")
    by_id = [{**row, **{name: float(row[name]) for name in numbers}} for row in by_id]
    assert by_id == sorted(expected_dosed, key=lambda row: row["patient_id"])
    found = rejects.drop(columns="partition").astype({"file": str}).to_dict("records")
    assert sorted(found, key=lambda row: row["patient_id"]) == sorted(
        expected_rejects, key=lambda row: row["patient_id"]
    )


def test_unusable_frames_fail_at_once():
    frame = cohort().rename(columns={"weight_lb": "weight"})
    with pytest.raises(DoseCalcError, match="weight"):
        dose_dataframe(dd.from_pandas(frame, npartitions=2), dose=DOSE)
    with pytest.raises(MissingInputError, match="dose"):
        dose_dataframe(dd.from_pandas(cohort(), npartitions=2))
    with pytest.raises(DoseCalcError, match="2 numbers for 3 partitions"):
        dose_dataframe(dd.from_pandas(cohort(), npartitions=3), dose=DOSE, row_offsets=[0, 10])
    with pytest.raises(DoseCalcError, match="column named 'partition'"):
        dose_dataframe(dd.from_pandas(cohort().assign(partition=1), npartitions=2), dose=DOSE)


def test_mapped_columns_and_text_cells():
    frame = pd.DataFrame({"MRN": ["a", "b", "c"], "Ht": ["69", "5'7\"", "70"], "Wt": [154.0, 121.0, 160.0]}).astype(
        {"Ht": object}
    )
    options = {"column_map": {"height": "Ht", "weight": "Wt"}, "column_units": {"height": "in", "weight": "lb"}}
    dosed, rejects = dask.compute(*dose_dataframe(dd.from_pandas(frame, npartitions=2), "1.5 mg/kg", **options))
    assert dosed["MRN"].tolist() == ["a", "c"]
    assert rejects["reason"].tolist() == [
        "Ht='5'7\"': expected a number; the number alone: a unit in a cell is not read (the column's unit is in its name or its mapping)"
    ]


def test_partitions_of_different_dtypes_are_an_error_naming_the_column():
    # a ddf built from pieces (from_delayed, from_map) need not match its meta: one partition's heights are text
    numbers = pd.DataFrame({"height_cm": [170.0, 160.0], "weight_kg": [70.0, 60.0]})
    text = pd.DataFrame({"height_cm": ["170", "1,60"], "weight_kg": [70.0, 60.0]})
    ddf = dd.from_delayed([dask.delayed(numbers), dask.delayed(text)], meta=numbers.iloc[:0], verify_meta=False)
    with pytest.raises(
        DoseCalcError, match=r"partition 1: column 'height_cm' holds .*, not the double the dataframe's meta"
    ):
        dask.compute(*dose_dataframe(ddf, dose=DOSE))
    # integers where the meta says float convert exactly: no error
    integers = numbers.astype({"height_cm": "int64"})
    ddf = dd.from_delayed([dask.delayed(numbers), dask.delayed(integers)], meta=numbers.iloc[:0], verify_meta=False)
    dosed, rejects = dask.compute(*dose_dataframe(ddf, dose=DOSE))
    assert len(dosed) == 4 and len(rejects) == 0


def test_a_quantity_dose_crosses_to_worker_processes():
    # a pint Quantity unpickled in another process belongs to another registry: the tasks carry its text
    ddf = dd.from_pandas(cohort(), npartitions=2)
    by_text = dask.compute(*dose_dataframe(ddf, dose=DOSE))
    by_quantity = dask.compute(*dose_dataframe(ddf, dose=Q_(75, "mg/m**2")), scheduler="processes", num_workers=2)
    pd.testing.assert_frame_equal(by_quantity[0], by_text[0])
    pd.testing.assert_frame_equal(by_quantity[1], by_text[1])


def test_dosecalc_works_without_dask(tmp_path):
    # import of dask made impossible, as when it is not installed
    script = textwrap.dedent(
        """
        import sys
        sys.modules["dask"] = sys.modules["distributed"] = None
        import dosecalc, dosecalc.cli, dosecalc.dask
        from dosecalc.cohort_io import convert_dataset
        from dosecalc.errors import DoseCalcError
        folder = sys.argv[1]
        open(folder + "/a.csv", "w").write("patient_id,height_cm,weight_kg\\nA,170,70\\n")
        assert convert_dataset(folder + "/a.csv", folder + "/local", dose="75 mg/m^2").rows_written == 1
        try:
            dosecalc.dask.convert_dataset(folder + "/a.csv", folder + "/on-dask", dose="75 mg/m^2")
        except DoseCalcError as err:
            print(err)
        """
    )
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "the Dask driver needs dask and distributed: pip install 'dosecalc[dask]'"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.csv", "local"]


def test_the_package_module_does_not_shadow_dask():
    check = "import dosecalc.dask, dask, dask.dataframe; print(dask.__file__ != dosecalc.dask.__file__, dosecalc.dask.__name__)"
    run = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["True", "dosecalc.dask"]  # the real dask beside the package's module
    run = subprocess.run(
        [sys.executable, "-c", "import dosecalc, sys; print('dask' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.strip() == "False"  # import dosecalc does not load dask


_RECEIVED = """
import pickle, sys
from dosecalc.dask import _received
from dosecalc.units import registry
shipped = sys.stdin.buffer.read()
plain = pickle.loads(shipped)
received = _received(shipped)
print(plain.order.max_dose._REGISTRY is registry(), received.order.max_dose._REGISTRY is registry())
table = {"height_cm": ["176.7"], "weight_lb": ["225.3"]}
print(received(table).dosed["final_dose_mg"].to_pylist())
"""


def test_an_order_shipped_to_a_worker_is_in_dosecalcs_unit_registry():
    # a worker process unpickles a quantity into pint's application registry; _received into dosecalc's
    from dosecalc import Order
    from dosecalc.cohort_io import OrderDosing

    dosing = OrderDosing(Order("vincristine", "1.4 mg/m2", max_dose="2 mg"), "mosteller")
    run = subprocess.run([sys.executable, "-c", _RECEIVED], input=pickle.dumps(dosing), capture_output=True, check=True)
    # 1.4 mg/m² of a 2.24 m² patient, capped at 2 mg (Coiffier et al. 2002)
    assert run.stdout.decode().split("\n")[:2] == ["False True", "[2.0]"]


def test_inline_rejects_are_refused_naming_the_join():
    ddf = dd.from_pandas(cohort(), npartitions=2)
    with pytest.raises(DoseCalcError, match="rejects: dose_dataframe gives the dosed rows and the rejects apart"):
        dose_dataframe(ddf, dose=DOSE, rejects="inline")


def test_an_h_in_one_partition_makes_the_m_of_every_partition_ambiguous():
    # a Spanish export codes hombre/mujer as H/M: partition 0 holds no H, but the column does; its M may be women
    frame = pd.DataFrame(
        {"id": ["a", "b", "c", "d"], "sex": ["M", "M", "H", "F"], "height_cm": [175.0] * 4, "weight_kg": [90.0] * 4}
    )
    dosed, rejects = dask.compute(*dose_dataframe(dd.from_pandas(frame, npartitions=2), DOSE, weight_basis="ideal"))
    whole = dose_table(frame, DOSE, weight_basis="ideal")
    assert sorted(dosed["id"]) == sorted(whole.dosed["id"]) == ["d"]
    assert sorted(rejects["reason"]) == sorted(whole.rejects["reason"])
    # recoded f/m, no H: every M is male in every partition
    recoded = frame.assign(sex=["M", "M", "M", "F"])
    dosed, rejects = dask.compute(*dose_dataframe(dd.from_pandas(recoded, npartitions=2), DOSE, weight_basis="ideal"))
    assert len(dosed) == 4 and len(rejects) == 0
