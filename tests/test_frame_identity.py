"""
A pandas frame's index labels must each name one row: the results keep them, so an assignment or a
join by them puts each dose on its own patient; labels that repeat or are missing are refused.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosecalc import dose_table
from dosecalc.errors import DoseCalcError

HEIGHTS_CM = [170.0, 1.7, 160.0, 1.8]  # b and d: metres in a cm column, rejected
WEIGHTS_KG = [70.0, 70.0, 60.0, 80.0]
FIX = "reset it (df.reset_index()), or join the results on their row column"


def patients(index):
    return pd.DataFrame({"patient_id": list("abcd"), "height_cm": HEIGHTS_CM, "weight_kg": WEIGHTS_KG}, index=index)


@pytest.mark.parametrize(
    "index, message",
    [
        ([10, 10, 5, 5], f"table: the index holds the label 10 more than once; {FIX}"),  # pd.concat of two exports
        ([True, False, True, False], f"table: the index holds the label True more than once; {FIX}"),
        ([np.nan, 1.0, 3.0, 2.0], f"table: the index holds a missing label (row 1); {FIX}"),
        (
            pd.MultiIndex.from_tuples([("a", 1), ("a", None), ("b", 1), ("b", 2)]),
            f"table: the index holds a missing label (row 2); {FIX}",
        ),
    ],
)
def test_labels_that_do_not_name_one_row_are_refused(index, message):
    with pytest.raises(DoseCalcError) as raised:
        dose_table(patients(index), "75 mg/m^2")
    assert str(raised.value) == message


@settings(deadline=None)
@given(st.permutations(range(4)), st.booleans())
def test_an_assigned_dose_lands_on_its_own_patient(order, as_text):
    labels = [f"id{n}" if as_text else 100 + n for n in order]
    frame = patients(labels)
    dosed, rejects = dose_table(frame, "75 mg/m^2")
    frame["dose_mg"] = dosed["dose_mg"]
    # Mosteller (N Engl J Med 1987;317:1098): 170 cm, 70 kg -> 1.818119 m2 -> 136.3589 mg; 160 cm, 60 kg -> 122.4745 mg
    assert frame["dose_mg"].tolist()[0] == pytest.approx(136.35890143, rel=1e-9)
    assert frame["dose_mg"].tolist()[2] == pytest.approx(122.47448714, rel=1e-9)
    assert np.isnan(frame["dose_mg"].tolist()[1]) and np.isnan(frame["dose_mg"].tolist()[3])
    assert list(rejects.index) == [labels[1], labels[3]]


@pytest.mark.parametrize("rejects", ["separate", "inline"])
def test_a_pandas_extension_column_comes_back_in_its_own_dtype_exactly(rejects):
    # a nullable Int64 id with a missing cell read back as float64 rounds ids past 2**53: 9007199254740993 became
    # 9007199254740992, another patient's. Dosed and rejected rows keep each column's dtype and values
    frame = pd.DataFrame(
        {
            "mrn": pd.array([9007199254740993, 9007199254740995, None], "Int64"),
            "consented": pd.array([True, None, False], "boolean"),
            "site": pd.array(["BOS", None, "NYC"], "string"),
            "height_cm": [175.0, 1.6, 170.0],
            "weight_kg": [70.0, 60.0, 65.0],
        }
    )
    result = dose_table(frame, "75 mg/m^2", rejects=rejects)
    parts = [result] if rejects == "inline" else list(result)
    for part in parts:
        for name in ("mrn", "consented", "site"):
            assert part[name].dtype == frame[name].dtype
    ids = pd.concat(parts)["mrn"] if rejects == "separate" else result["mrn"]
    assert sorted(ids.dropna().tolist()) == [9007199254740993, 9007199254740995]


@pytest.mark.parametrize("table", [{"height_cm": 175.0, "weight_kg": 70.0}, 42])
def test_one_patients_values_are_no_table(table):
    # a dict of one patient's numbers was a TypeError from pyarrow; it is refused as dosecalc's error
    with pytest.raises(DoseCalcError, match="^table: a (dict|int) that is no table of columns; .*patient_dose"):
        dose_table(table, "75 mg/m^2")


@pytest.mark.parametrize("name", ["Row", "REASON", " row", "BSA_M2", "Bsa_Method"])
def test_a_column_alike_but_for_case_or_spaces_to_one_dosecalc_writes_is_refused(name):
    # beside dosecalc's own "row", a "Row" column passed through: a tool that reads names whatever their case
    # (SQL, a spreadsheet) takes one for the other
    from dosecalc import dose_table
    from dosecalc.errors import DoseCalcError

    with pytest.raises(DoseCalcError) as refused:
        dose_table({"height_cm": [175.0], "weight_kg": [70.0], name: [1]}, "75 mg/m^2")
    written = name.strip().lower()
    assert str(refused.value) == (
        f"the input has a column named {name!r}, which dosecalc writes (as {written!r}, whatever the case and "
        "spaces); rename it"
    )


def test_a_list_of_rows_or_a_sparse_column_is_a_dosecalc_error():
    # pyarrow's ValueError ("Must pass names or schema") and pandas' sparse TypeError came out as they were
    pd = pytest.importorskip("pandas")
    from dosecalc import dose_table
    from dosecalc.errors import DoseCalcError

    with pytest.raises(DoseCalcError, match="^table: a list that is no table of columns; give a frame or a dict"):
        dose_table([{"height_cm": 170, "weight_kg": 70}], "75 mg/m^2")
    sparse = pd.DataFrame({"height_cm": pd.arrays.SparseArray([170.0, 0.0]), "weight_kg": [70, 70]})
    with pytest.raises(DoseCalcError, match=r"^table: Sparse pandas data \(column height_cm\) not supported; give"):
        dose_table(sparse, "75 mg/m^2")
