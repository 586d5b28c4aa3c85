"""Datasets: a directory or glob of files to a Parquet dataset, equal to the single-file runs, by either driver."""

import doctest
import glob
import pathlib
import re

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from test_cohort_files import cli

import dosecalc.cohort_io
from dosecalc import Q_
from dosecalc.cohort_io import PROVENANCE_FILE, convert_dataset, convert_file
from dosecalc.errors import DoseCalcError

DOSE = "75 mg/m^2"
HEADER = ("patient_id", "height_cm", "weight_lb")


def patients(prefix, count, bad_every=4):
    """Rows of a site: every ``bad_every``-th height in metres (rejected), one missing weight."""
    rows = [
        (f"{prefix}{number:03d}", 1.7 if number % bad_every == 0 else 160 + number % 30, 120 + number)
        for number in range(1, count + 1)
    ]
    rows[1] = (rows[1][0], rows[1][1], "")
    return rows


def write_csv(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(",".join(HEADER) + "\n" + "".join(",".join(map(str, row)) + "\n" for row in rows))
    return path


def write_parquet(path, rows, row_group_size):
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(zip(*rows))
    table = pa.table(
        {
            "patient_id": pa.array(columns[0]),
            "height_cm": pa.array(columns[1], pa.float64()),
            "weight_lb": pa.array([None if weight == "" else weight for weight in columns[2]], pa.float64()),
        }
    )
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


@pytest.fixture
def csv_dataset(tmp_path):
    """Hive-style site folders, three CSV files of 11, 9 and 13 rows."""
    root = tmp_path / "extracts"
    write_csv(root / "site=BOS" / "2024.csv", patients("B", 11))
    write_csv(root / "site=BOS" / "2025.csv", patients("C", 9))
    write_csv(root / "site=SEA" / "2024.csv", patients("S", 13))
    (root / "_SUCCESS").write_text("")  # not data, as for pyarrow.dataset
    (root / "site=SEA" / ".2025.csv.tmp.csv").write_text("not,a,dataset,file\n")
    return root


@pytest.fixture
def parquet_dataset(tmp_path, monkeypatch):
    """Two Parquet files in row groups of 3 rows; pieces of up to 7 rows, so each file is split."""
    monkeypatch.setattr(dosecalc.cohort_io, "PIECE_ROWS", 7)
    root = tmp_path / "parquet"
    write_parquet(root / "a.parquet", patients("A", 17), row_group_size=3)
    write_parquet(root / "b.parquet", patients("B", 8, bad_every=3), row_group_size=3)
    return root


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(dosecalc.cohort_io, "BLOCK_BYTES", 64)
    monkeypatch.setattr(dosecalc.cohort_io, "BATCH_ROWS", 2)
    monkeypatch.setattr(dosecalc.cohort_io, "WRITE_ROWS", 2)
    monkeypatch.setattr(dosecalc.cohort_io, "PARQUET_GROUP_ROWS", 2)


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        with distributed.Client(cluster) as client:
            yield client


@pytest.fixture(params=["local", "dask"])
def driver(request):
    """The dataset driver: in this process, or on a Dask cluster."""
    if request.param == "local":
        return convert_dataset
    on_dask = pytest.importorskip("dosecalc.dask")
    client = request.getfixturevalue("client")
    return lambda *args, **kwargs: on_dask.convert_dataset(*args, scheduler=client, **kwargs)


def single_file_runs(root, folder):
    """Each input through convert_file, concatenated; the rejects named by their file as the dataset names them."""
    dosed, rejects = [], []
    for number, path in enumerate(sorted(path for path in root.rglob("*.*") if not path.name.startswith((".", "_")))):
        convert_file(path, folder / f"{number}.parquet", dose=DOSE, rejects_path=folder / f"{number}-rejects.parquet")
        dosed.append(pq.read_table(folder / f"{number}.parquet"))
        rejected = pq.read_table(folder / f"{number}-rejects.parquet")
        source = path.relative_to(root).as_posix()
        rejects.append(rejected.add_column(rejected.num_columns - 2, "file", pa.repeat(source, rejected.num_rows)))
    return pa.concat_tables(dosed), pa.concat_tables(rejects)


def rows(table, *keys):
    return table.sort_by([(key, "ascending") for key in keys]).to_pylist()


def files_under(folder):
    """The data files under a folder; the run's provenance, which no dataset reader reads, aside."""
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and path.name != PROVENANCE_FILE
    )


def test_docstring_examples():
    failures, tried = doctest.testmod(dosecalc.cohort_io, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


@pytest.mark.parametrize("dataset", ["csv_dataset", "parquet_dataset"])
def test_dataset_equals_the_single_file_runs(request, tmp_path, small_batches, dataset, driver):
    # one engine, several drivers: the dataset is convert_file on each file, concatenated, by either driver
    root = request.getfixturevalue(dataset)
    (tmp_path / "single").mkdir()
    expected_dosed, expected_rejects = single_file_runs(root, tmp_path / "single")
    seen = []
    summary = driver(root, tmp_path / "dosed", dose=DOSE, rejects_dir=tmp_path / "rejects", progress=seen.append)
    dosed, rejects = ds.dataset(tmp_path / "dosed").to_table(), ds.dataset(tmp_path / "rejects").to_table()
    assert rows(dosed, "patient_id") == rows(expected_dosed, "patient_id")
    assert rows(rejects, "patient_id") == rows(expected_rejects, "patient_id")
    assert dosed.schema.field("dose_mg").type == pa.float64()
    assert rejects.column_names[-3:] == ["file", "row", "reason"]
    total = expected_dosed.num_rows + expected_rejects.num_rows
    assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (total, dosed.num_rows, rejects.num_rows)
    assert seen == sorted(seen) and seen[-1] == total
    assert (summary.output, summary.rejects) == (str(tmp_path / "dosed"), str(tmp_path / "rejects"))


@pytest.mark.parametrize("dataset", ["csv_dataset", "parquet_dataset"])
def test_a_dataset_by_an_order_or_a_protocol_on_either_driver(request, tmp_path, small_batches, dataset, driver):
    # the Parquet files split in pieces of 7 rows: the schedule's rows count from each file's first row
    from dosecalc import Order
    from dosecalc.protocol import load_protocol

    root = request.getfixturevalue(dataset)
    prescriptions = {
        "order": {"order": Order("vincristine", "1.4 mg/m2", max_dose="2 mg")},
        "protocol": {"protocol": load_protocol("r-chop-21"), "cycles": 2},
    }
    for name, prescribed in prescriptions.items():
        summary = driver(root, tmp_path / name, rejects_dir=tmp_path / f"{name}-rejects", **prescribed)
        dosed = ds.dataset(tmp_path / name).to_table()
        rejects = ds.dataset(tmp_path / f"{name}-rejects").to_table()
        expected = []
        for path in sorted(path for path in root.rglob("*.*") if not path.name.startswith((".", "_"))):
            single = convert_file(path, tmp_path / f"{name}-single.parquet", **prescribed)
            expected += pq.read_table(tmp_path / f"{name}-single.parquet").to_pylist()
            assert single.rows_read == single.rows_written + single.rows_rejected
        key = lambda row: (row["patient_id"], row["drug"], row.get("cycle"), row.get("day"))  # noqa: E731
        assert sorted(dosed.to_pylist(), key=key) == sorted(expected, key=key)
        assert summary.rows_read == summary.rows_written + summary.rows_rejected
        assert summary.rejects_rows == rejects.num_rows and summary.output_rows == dosed.num_rows
        per_patient = 1 if name == "order" else 2 * 9  # R-CHOP-21: 9 administrations a cycle
        assert dosed.num_rows == summary.rows_written * per_patient


def test_both_drivers_write_the_same_files(tmp_path, csv_dataset, parquet_dataset, client):
    on_dask = pytest.importorskip("dosecalc.dask")
    for root in (csv_dataset, parquet_dataset):
        for name, driver in (("local", convert_dataset), ("dask", on_dask.convert_dataset)):
            (tmp_path / name).mkdir(exist_ok=True)
            options = {"scheduler": client} if name == "dask" else {}
            driver(
                root,
                tmp_path / name / root.name,
                dose=DOSE,
                rejects_dir=tmp_path / name / f"{root.name}-rejects",
                **options,
            )
    local, on_dask = tmp_path / "local", tmp_path / "dask"
    assert files_under(local) == files_under(on_dask)
    for name in files_under(local):
        assert pq.read_table(local / name).equals(pq.read_table(on_dask / name))


def test_layout_mirrors_the_input(tmp_path, csv_dataset, parquet_dataset):
    convert_dataset(csv_dataset, tmp_path / "dosed", dose=DOSE)
    assert files_under(tmp_path / "dosed") == [
        "site=BOS/2024.parquet",
        "site=BOS/2025.parquet",
        "site=SEA/2024.parquet",
    ]
    # hive partitions stay partitions
    by_site = ds.dataset(tmp_path / "dosed", partitioning="hive").to_table(columns=["site"])
    assert by_site["site"].value_counts().to_pylist() == [
        {"values": "BOS", "counts": 14},
        {"values": "SEA", "counts": 9},
    ]
    # a Parquet file split into pieces (runs of row groups): one output file each
    convert_dataset(parquet_dataset, tmp_path / "split", dose=DOSE)
    assert files_under(tmp_path / "split") == [
        "a-0.parquet",
        "a-1.parquet",
        "a-2.parquet",
        "b-0.parquet",
        "b-1.parquet",
    ]


def test_rejects_numbered_within_their_file_across_pieces(tmp_path, parquet_dataset):
    summary = convert_dataset(parquet_dataset, tmp_path / "dosed", dose=DOSE, rejects_dir=tmp_path / "rejects")
    rejects = ds.dataset(tmp_path / "rejects").to_table()
    numbered = {(row["file"], row["row"]): row["patient_id"] for row in rejects.to_pylist()}
    # patients(...) numbers its rows from 1: row n is patient <prefix>n
    assert numbered == {key: f"{key[0][0].upper()}{key[1]:03d}" for key in numbered}
    assert sorted(numbered) == [("a.parquet", n) for n in (2, 4, 8, 12, 16)] + [("b.parquet", n) for n in (2, 3, 6)]
    assert summary.rows_rejected == 8 and summary.rows_read == 25


def test_a_glob_and_one_file(tmp_path, csv_dataset):
    summary = convert_dataset(
        str(csv_dataset / "site=BOS" / "*.csv"), tmp_path / "dosed", dose=DOSE, rejects_dir=tmp_path / "rejects"
    )
    assert summary.rows_read == 20
    assert files_under(tmp_path / "dosed") == ["2024.parquet", "2025.parquet"]  # under the files' common folder
    assert set(ds.dataset(tmp_path / "rejects").to_table()["file"].to_pylist()) == {"2024.csv", "2025.csv"}
    one = convert_dataset(csv_dataset / "site=SEA" / "2024.csv", tmp_path / "one", dose=Q_(75, "mg/m**2"))
    assert one.rows_read == 13 and files_under(tmp_path / "one") == ["2024.parquet"]


def test_a_list_of_inputs_as_a_shell_expands_a_glob(tmp_path, csv_dataset, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = sorted(glob.glob("extracts/*/*.csv"))  # as the shell expands extracts/*/*.csv
    summary = convert_dataset(files, "dosed", dose=DOSE, rejects_dir="rejects")
    assert summary.rows_read == 33 and summary.output == "dosed"
    # named under their common folder, the input directory
    assert files_under(tmp_path / "dosed") == [
        "site=BOS/2024.parquet",
        "site=BOS/2025.parquet",
        "site=SEA/2024.parquet",
    ]


def test_every_file_named_is_read(tmp_path):
    # a file named is taken whatever its name, as convert_file takes it: not skipped for its suffix,
    # nor read as a glob pattern for its brackets
    inputs = [
        write_csv(tmp_path / "in" / name, patients(name[0].upper(), 5)) for name in ("a.csv", "b.txt", "c[1].csv")
    ]
    (tmp_path / "in" / "c1.csv").write_text("a different file that c[1].csv, as a pattern, would match\n")
    summary = convert_dataset(inputs, tmp_path / "dosed", dose=DOSE, rejects_dir=tmp_path / "rejects")
    assert summary.rows_read == 15
    assert files_under(tmp_path / "dosed") == ["a.parquet", "b.parquet", "c[1].parquet"]


def test_a_pattern_skips_what_a_folder_scan_skips(tmp_path):
    # "_skip.csv" and hidden files are not data to a folder scan (as pyarrow.dataset), nor to a pattern
    for name in ("a.csv", "_skip.csv", ".hidden.csv"):
        write_csv(tmp_path / "in" / name, patients(name.strip("._")[0].upper(), 5))
    by_pattern = convert_dataset(str(tmp_path / "in" / "*.csv"), tmp_path / "by_pattern", dose=DOSE)
    by_folder = convert_dataset(tmp_path / "in", tmp_path / "by_folder", dose=DOSE)
    assert by_pattern.rows_read == by_folder.rows_read == 5
    assert files_under(tmp_path / "by_pattern") == files_under(tmp_path / "by_folder") == ["a.parquet"]


@pytest.mark.parametrize("missing", ["missing.csv", "none-*.csv"])
def test_an_input_that_brings_no_file_is_an_error(tmp_path, csv_dataset, missing):
    # rows are never left out unseen: each input named brings a file
    present = csv_dataset / "site=SEA" / "2024.csv"
    with pytest.raises(
        DoseCalcError, match=rf"input={re.escape(str(tmp_path / missing))}: no (such file|CSV or Parquet files)"
    ):
        convert_dataset([present, tmp_path / missing], tmp_path / "dosed", dose=DOSE)
    assert not (tmp_path / "dosed").exists()


def test_a_path_through_dotdot_is_written_inside_the_output_folder(tmp_path, monkeypatch):
    # in/../../victim/a.csv is victim/a.csv: named under the inputs' common folder, never ../victim/a.parquet
    write_csv(tmp_path / "w" / "in" / "a.csv", patients("A", 5))
    write_csv(tmp_path / "victim" / "a.csv", patients("V", 3))
    (tmp_path / "victim" / "a.parquet").write_text("an earlier file\n")
    monkeypatch.chdir(tmp_path / "w")
    summary = convert_dataset(["in/a.csv", "in/../../victim/a.csv"], "out", dose=DOSE)
    assert (tmp_path / "victim" / "a.parquet").read_text() == "an earlier file\n"
    assert files_under(tmp_path / "w" / "out") == ["victim/a.parquet", "w/in/a.parquet"]
    dosed = ds.dataset(tmp_path / "w" / "out").to_table()
    assert summary.rows_written == dosed.num_rows == 5  # rows 2 (no weight) and 4 (a height in metres) rejected
    assert sorted(dosed["patient_id"].to_pylist()) == ["A001", "A003", "A005", "V001", "V003"]
    assert [item["path"] for item in summary.provenance["inputs"]] == [
        str(tmp_path / "victim" / "a.csv"),
        str(tmp_path / "w" / "in" / "a.csv"),
    ]


@pytest.mark.parametrize(
    "inputs, again",
    [
        (["in/a.csv", "in/../in/a.csv"], "in/a.csv again (input=in/a.csv brings it already)"),
        (["in", "in/a.csv"], "in/a.csv again (input=in brings it already)"),
        (["in/*.csv", "./in/a.csv"], "in/a.csv again (input=in/*.csv brings it already)"),
        (
            ["in/a.csv", "in/link.csv"],
            "in/link.csv, the same file as {tmp}/in/a.csv (input=in/a.csv brings it already)",
        ),
    ],
)
def test_a_file_given_twice_is_refused(tmp_path, monkeypatch, inputs, again):
    # read twice, its patients would be dosed and counted twice
    write_csv(tmp_path / "in" / "a.csv", patients("A", 5))
    monkeypatch.chdir(tmp_path)
    if "in/link.csv" in inputs:
        (tmp_path / "in" / "link.csv").symlink_to("a.csv")
    before = files_under(tmp_path)
    with pytest.raises(DoseCalcError) as raised:
        convert_dataset(inputs, "dosed", dose=DOSE)
    assert (
        str(raised.value) == f"input={inputs[1]}: brings {tmp_path}/{again.format(tmp=tmp_path)}; give each file once"
    )
    assert files_under(tmp_path) == before


def test_a_link_in_a_folder_to_a_file_there_is_refused(tmp_path):
    write_csv(tmp_path / "in" / "a.csv", patients("A", 5))
    (tmp_path / "in" / "b.csv").symlink_to("a.csv")
    with pytest.raises(DoseCalcError) as raised:
        convert_dataset(tmp_path / "in", tmp_path / "dosed", dose=DOSE)
    assert str(raised.value) == (
        f"input={tmp_path / 'in'}: brings {tmp_path / 'in' / 'b.csv'}, the same file as {tmp_path / 'in' / 'a.csv'}; "
        "give each file once"
    )
    assert not (tmp_path / "dosed").exists()


def test_a_linked_file_is_named_by_its_link(tmp_path):
    # the link's folder is resolved, not the link: its piece is named as the folder shows it
    write_csv(tmp_path / "raw" / "2024-export.csv", patients("A", 5))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").symlink_to(tmp_path / "raw" / "2024-export.csv")
    summary = convert_dataset(tmp_path / "in", tmp_path / "dosed", dose=DOSE)
    assert files_under(tmp_path / "dosed") == ["a.parquet"] and summary.rows_read == 5


def test_a_piece_is_never_named_outside_the_output_folder(tmp_path):
    source = write_csv(tmp_path / "in" / "a.csv", patients("A", 5))
    with pytest.raises(DoseCalcError) as raised:
        dosecalc.cohort_io._pieces([tmp_path / "in" / ".." / "a.csv"], tmp_path / "in")
    assert str(raised.value) == (
        f"input={tmp_path / 'in' / '..' / 'a.csv'}: would be written to ../a.parquet, outside the output folder; "
        "name it without '..'"
    )
    assert [piece.name for piece in dosecalc.cohort_io._pieces([source], tmp_path / "in")] == ["a.parquet"]


def test_a_reading_option_no_file_of_the_dataset_uses_is_refused(tmp_path, parquet_dataset):
    for option, value in (("delimiter", ";"), ("encoding", "cp1252"), ("sheet", "Patients")):
        with pytest.raises(DoseCalcError) as raised:
            convert_dataset(parquet_dataset, tmp_path / "dosed", dose=DOSE, **{option: value})
        assert str(raised.value).startswith(f"{option}={value!r}: applies to ")
        assert str(raised.value).endswith(f"input={parquet_dataset / 'a.parquet'} is a Parquet file")
    assert not (tmp_path / "dosed").exists()


def test_a_sheet_is_read_from_each_spreadsheet_of_a_dataset(tmp_path, csv_dataset):
    pytest.importorskip("python_calamine")
    from test_cohort_files import write_xlsx

    rows = [list(HEADER), ["X001", 170, 150], ["X002", 1.7, 150]]
    book = write_xlsx(tmp_path / "clinic.xlsx", {"Notes": [["exported by the pharmacy"]], "Patients": rows})
    files = [csv_dataset / "site=SEA" / "2024.csv", book]
    summary = convert_dataset(files, tmp_path / "dosed", dose=DOSE, rejects_dir=tmp_path / "rejects", sheet="Patients")
    assert (summary.rows_read, summary.provenance["options"]["sheet"]) == (13 + 2, "Patients")
    rejects = ds.dataset(tmp_path / "rejects").to_table().to_pylist()
    assert [(row["file"], row["row"]) for row in rejects if row["file"] == "clinic.xlsx"] == [("clinic.xlsx", 2)]


def test_an_empty_output_directory_is_used(tmp_path, csv_dataset):
    (tmp_path / "dosed").mkdir()
    assert convert_dataset(csv_dataset, tmp_path / "dosed", dose=DOSE).rows_read == 33


def test_a_failed_run_leaves_nothing(tmp_path, csv_dataset, small_batches, monkeypatch, driver):
    real = dosecalc.cohort_io.dose_batch

    def fails_in_seattle(table, *args, **kwargs):
        # the last file fails (locally, after the others are written; on Dask, beside them)
        if "S001" in pa.table(table)["patient_id"].to_pylist():
            raise RuntimeError("disk full")
        return real(table, *args, **kwargs)

    monkeypatch.setattr(dosecalc.cohort_io, "dose_batch", fails_in_seattle)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RuntimeError, match="disk full"):
        driver(csv_dataset, out / "dosed", dose=DOSE, rejects_dir=out / "rejects")
    assert list(out.iterdir()) == []  # no dataset, no rejects, no temporary directory


@pytest.mark.parametrize(
    "setup, arguments, match",
    [
        (None, {"input_paths": "nowhere/*.csv"}, "no CSV or Parquet files"),
        (lambda root, tmp: (tmp / "dosed").mkdir() or (tmp / "dosed" / "old.parquet").write_text(""), {}, "exists"),
        (lambda root, tmp: (tmp / "dosed").write_text(""), {}, "exists"),
        (None, {"output_dir": "missing/dosed"}, "no such directory"),
        (None, {"output_dir": "dosed.csv"}, "output=dosed.csv: a dataset is written as a folder of Parquet files"),
        (None, {"output_dir": "extracts/dosed"}, "inside the input directory"),
        (None, {"rejects_dir": "dosed"}, "is or holds the output directory"),
        (
            lambda root, tmp: (tmp / "dosed").mkdir(),
            {"rejects_dir": "dosed/rejects"},
            "is or holds the output directory",
        ),
        (
            lambda root, tmp: (root / "site=SEA" / "2026.csv").write_text("patient_id,height_cm\nX,170\n"),
            {},
            "2026.csv: its columns differ",
        ),
        (lambda root, tmp: (root / "site=SEA" / "2026.csv").write_text("patient_id,height,weight_lb\n"), {}, "height"),
        (
            lambda root, tmp: (root / "site=SEA" / "2026.csv").write_text(
                "patient_id,height_cm,weight_lb\nX,170,150,9\n"
            ),
            {},
            "Expected 3 columns",
        ),
        (
            lambda root, tmp: pq.write_table(
                pa.table({name: pa.array(["1"]) for name in HEADER}), root / "site=BOS" / "2024.parquet"
            ),
            {},
            "site=BOS/2024.csv, site=BOS/2024.parquet would all be written to site=BOS/2024.parquet",
        ),
    ],
)
def test_unusable_input_raises_and_writes_nothing(tmp_path, csv_dataset, monkeypatch, setup, arguments, match):
    monkeypatch.chdir(tmp_path)
    if setup is not None:
        setup(csv_dataset, tmp_path)
    before = files_under(tmp_path)
    arguments = {"input_paths": "extracts", "output_dir": "dosed", "rejects_dir": "rejects", "dose": DOSE, **arguments}
    with pytest.raises(DoseCalcError, match=match) as raised:
        convert_dataset(**arguments)
    assert "\n" not in str(raised.value)
    assert files_under(tmp_path) == before


def test_a_file_column_would_be_overwritten(tmp_path):
    source = write_csv(tmp_path / "in" / "a.csv", [])
    source.write_text("patient_id,height_cm,weight_lb,file\nA,170,150,x.pdf\n")
    with pytest.raises(DoseCalcError, match="column named 'file'"):
        convert_dataset(tmp_path / "in", tmp_path / "dosed", dose=DOSE, rejects_dir=tmp_path / "rejects")
    # without rejects there is no file column to write: it passes through
    assert convert_dataset(tmp_path / "in", tmp_path / "dosed", dose=DOSE).rows_written == 1


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_a_local_cluster_needs_a_worker(tmp_path, csv_dataset, workers):
    on_dask = pytest.importorskip("dosecalc.dask")
    with pytest.raises(DoseCalcError, match=f"workers={workers}: expected at least 1 worker process"):
        on_dask.convert_dataset(csv_dataset, tmp_path / "dosed", dose=DOSE, workers=workers)
    assert [path.name for path in tmp_path.iterdir()] == ["extracts"]


def test_example_cohort_as_a_dataset_of_one(tmp_path):
    example = pathlib.Path(__file__).resolve().parents[1] / "examples" / "cohort.csv"
    summary = convert_dataset(example, tmp_path / "dosed", dose=DOSE, rejects_dir=tmp_path / "rejects")
    assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (36, 31, 5)
    assert ds.dataset(tmp_path / "rejects").to_table(columns=["row"])["row"].to_pylist() == [7, 12, 18, 25, 30]


def test_no_scheduler_at_the_address(tmp_path, csv_dataset):
    dask = pytest.importorskip("dask")
    import dosecalc.dask

    with dask.config.set({"distributed.comm.timeouts.connect": "0.5s"}):
        with pytest.raises(DoseCalcError, match="scheduler=tcp://127.0.0.1:9: "):
            dosecalc.dask.convert_dataset(csv_dataset, tmp_path / "dosed", dose=DOSE, scheduler="tcp://127.0.0.1:9")
    assert [path.name for path in tmp_path.iterdir()] == ["extracts"]  # no dataset, no temporary directory


def test_files_differing_only_in_int_or_float_are_read_together(tmp_path):
    # one extract wrote whole numbers as int64, the next as double: one dataset, heights read as float64
    (tmp_path / "in").mkdir()
    pq.write_table(
        pa.table({"patient_id": ["a"], "height_cm": pa.array([170], pa.int64()), "weight_kg": [70.0]}),
        tmp_path / "in" / "1.parquet",
    )
    pq.write_table(
        pa.table({"patient_id": ["b"], "height_cm": [170.5], "weight_kg": [70.0]}), tmp_path / "in" / "2.parquet"
    )
    summary = convert_dataset(tmp_path / "in", tmp_path / "dosed", dose=DOSE)
    dosed = ds.dataset(tmp_path / "dosed").to_table().sort_by("patient_id")
    assert summary.rows_written == 2 and dosed.schema.field("height_cm").type == pa.float64()
    assert dosed["height_cm"].to_pylist() == [170.0, 170.5]
    # a column that is text in one file and numbers in another is still refused
    pq.write_table(
        pa.table({"patient_id": ["c"], "height_cm": ["170"], "weight_kg": [70.0]}), tmp_path / "in" / "3.parquet"
    )
    with pytest.raises(DoseCalcError, match="3.parquet: its columns differ"):
        convert_dataset(tmp_path / "in", tmp_path / "dosed2", dose=DOSE)


def test_a_dataset_carries_its_provenance(tmp_path, csv_dataset):
    import hashlib
    import json

    summary = convert_dataset(csv_dataset, tmp_path / "dosed", dose=DOSE, rejects_dir=tmp_path / "rejects")
    record = json.loads((tmp_path / "dosed" / PROVENANCE_FILE).read_text())
    assert record == summary.provenance
    files = sorted(path for path in csv_dataset.rglob("*.csv") if not path.name.startswith((".", "_")))
    assert record["inputs"] == [
        {"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()} for path in files
    ]
    assert sum(record["rejects_by_reason"].values()) == record["rows_rejected"] == summary.rows_rejected
    assert ds.dataset(tmp_path / "dosed").to_table().num_rows == summary.rows_written  # a dataset reader skips it


@pytest.mark.parametrize("option", [["-o", "-"], ["-o", "out", "--rejects", "-"]])
def test_a_dataset_is_never_written_to_stdout_nor_to_a_folder_named_dash(tmp_path, monkeypatch, option):
    # a dataset run given -o - said "written 2 stdout" and wrote ./-/a.parquet
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "a.csv").write_text("patient_id,height_cm,weight_kg\nA,190,110\n", encoding="utf-8")
    result = cli("cohort", "ds", "--dose", "1mg/m2", *option)
    assert result.exit_code == 2 and "a dataset is written as a folder of Parquet files, not to stdout" in result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ds"]


def test_a_datasets_files_read_their_sex_columns_as_one(tmp_path, driver, request):
    # an H (hombre) in one file makes the M of the other ambiguous; an H after an M read as male stops the run.
    # On Dask the files are read apart, side by side, then together: an H in one, an M read as male in the other
    # stop it too, whichever came first
    header = "id,sex,height_cm,weight_kg\n"
    (tmp_path / "a.csv").write_text(header + "1,H,175,90\n")
    (tmp_path / "b.csv").write_text(header + "2,M,175,90\n")
    files = [tmp_path / "a.csv", tmp_path / "b.csv"]
    mixed = "^sex: 'H' \\(hombre\\?\\) in one part of the input, and rows of another whose 'M' was read as male"
    if request.node.callspec.params["driver"] == "local":
        summary = driver(files, tmp_path / "out", dose="75 mg/m^2", weight_basis="ideal")
        assert (summary.rows_written, summary.rows_rejected) == (0, 2)
    else:
        with pytest.raises(DoseCalcError, match=mixed):
            driver(files, tmp_path / "out", dose="75 mg/m^2", weight_basis="ideal")
        assert not (tmp_path / "out").exists()
    (tmp_path / "a.csv").write_text(header + "1,M,175,90\n")
    (tmp_path / "b.csv").write_text(header + "2,H,175,90\n")
    with pytest.raises(DoseCalcError, match="after rows whose 'M' was read as male|" + mixed):
        driver(files, tmp_path / "again", dose="75 mg/m^2", weight_basis="ideal")
    assert not (tmp_path / "again").exists()
    (tmp_path / "b.csv").write_text(header + "2,F,175,90\n")  # f/m: no H, an M is male in every file
    summary = driver(files, tmp_path / "recoded", dose="75 mg/m^2", weight_basis="ideal")
    assert (summary.rows_written, summary.rows_rejected) == (2, 0)
