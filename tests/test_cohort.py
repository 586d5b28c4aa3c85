"""The cohort engine: dose_table on whole columns equals the scalar core, row by row."""

import doctest
import math

import narwhals as nw
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dosecalc.cohort
from dosecalc import BSA_METHODS, Q_, patient_dose
from dosecalc.cohort import OUTPUT_COLUMNS, REJECT_COLUMNS, dose_table
from dosecalc.errors import DoseCalcError, ImplausibleInputError, MissingInputError, UnitError, UnknownNameError
from dosecalc.order import Order


def scalar(dose, height=None, weight=None, method="mosteller", sex=None):
    """The scalar core's result as the engine's output columns, or None if it refuses the row."""
    try:
        result = patient_dose(dose, height=height, weight=weight, method=method, sex=sex)
    except DoseCalcError:
        return None
    return {
        "bsa_m2": None if result.bsa is None else result.bsa.m_as("m**2"),
        "dose_mg": result.dose.m_as("mg"),
        "dose_mg_per_m2": None if result.dose_per_m2 is None else result.dose_per_m2.m_as("mg/m**2"),
        "dose_mg_per_kg": None if result.dose_per_kg is None else result.dose_per_kg.m_as("mg/kg"),
        "bsa_method": result.bsa_method,
    }


def rows(table):
    return table.select(list(OUTPUT_COLUMNS)).to_pylist()


def test_docstring_examples():
    failures, tried = doctest.testmod(dosecalc.cohort, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


def test_published_mosteller_value():
    # Mosteller (1987) by hand: sqrt(180 cm * 80 kg / 3600) = 2.0 m²; 75 mg/m² (IMGN901) x 2.0 m² = 150 mg
    dosed, rejects = dose_table({"height_cm": [180.0], "weight_kg": [80.0]}, dose="75 mg/m^2")
    assert rows(dosed) == [
        {"bsa_m2": 2.0, "dose_mg": 150.0, "dose_mg_per_m2": 75.0, "dose_mg_per_kg": 1.875, "bsa_method": "mosteller"}
    ]
    assert rejects.num_rows == 0


def test_mixed_unit_columns_equal_the_scalar_core():
    heights_in, weights_lb = [69.0, 64.5, 72.25], [154.0, 121.3, 210.0]
    table = {"patient_id": ["007", "008", "009"], "height_in": heights_in, "weight_lb": weights_lb}
    dosed, _ = dose_table(table, dose="75 mg/m^2", method="dubois")
    expected = [scalar("75 mg/m^2", Q_(h, "in"), Q_(w, "lb"), "dubois") for h, w in zip(heights_in, weights_lb)]
    assert rows(dosed) == expected
    assert dosed["patient_id"].to_pylist() == ["007", "008", "009"]  # ids pass through untouched


@pytest.mark.parametrize(
    "names, units",
    [
        (("height_cm", "weight_kg"), ("cm", "kg")),
        (("Height (cm)", "WEIGHT_KG"), ("cm", "kg")),
        (("height_m", "weight_lb"), ("m", "lb")),
        (("height_in", "weight_lbs"), ("in", "lb")),
        (("height_mm", "weight_g"), ("mm", "g")),
        (("height [cm]", "weight.kg"), ("cm", "kg")),
    ],
)
def test_recognised_column_spellings(names, units):
    height, weight = Q_(175.0, "cm").m_as(units[0]), Q_(70.0, "kg").m_as(units[1])
    dosed, rejects = dose_table({names[0]: [height], names[1]: [weight]}, dose="75 mg/m^2")
    assert rejects.num_rows == 0
    assert rows(dosed) == [scalar("75 mg/m^2", Q_(height, units[0]), Q_(weight, units[1]))]


def test_explicit_column_map_and_units():
    table = {"Ht": [69.0], "Wt": [154.0], "MRN": ["A-1"]}
    dosed, _ = dose_table(
        table, "1.5 mg/kg", column_map={"height": "Ht", "weight": "Wt"}, column_units={"height": "in", "weight": "lb"}
    )
    assert rows(dosed) == [scalar("1.5 mg/kg", Q_(69.0, "in"), Q_(154.0, "lb"))]
    assert dosed.column_names[:3] == ["Ht", "Wt", "MRN"]


@pytest.mark.parametrize(
    "table, options, error, field",
    [
        ({"Ht": [69.0], "weight_kg": [70.0]}, {"column_map": {"height": "Ht"}}, UnitError, "Ht"),  # no unit
        ({"height": [175.0], "weight_kg": [70.0]}, {}, UnitError, "height"),  # a bare name has no unit
        (
            {"height_cm": [175.0], "weight_kg": [70.0]},
            {"column_units": {"height": "furlongz"}},
            UnitError,
            "column_units['height']",
        ),
        (
            {"height_cm": [175.0], "weight_kg": [70.0]},
            {"column_units": {"height": "kg"}},
            UnitError,
            "column_units['height']",
        ),
        (
            {"height_cm": [175.0], "weight_kg": [70.0]},
            {"column_units": {"height": "in"}},
            UnitError,
            "column_units['height']",
        ),
        (
            {"height_cm": [175.0], "weight_kg": [70.0]},
            {"column_map": {"height": "Ht"}},
            UnknownNameError,
            "column for height",
        ),
        ({"height_cm": [175.0], "weight_kg": [70.0]}, {"column_map": {"bmi": "BMI"}}, UnknownNameError, "column_map"),
    ],
)
def test_unusable_columns_raise_naming_the_column(table, options, error, field):
    with pytest.raises(error) as raised:
        dose_table(table, "75 mg/m^2", **options)
    assert raised.value.field == field


@pytest.mark.parametrize(
    "table, dose, match",
    [
        ({"height_cm": [175.0], "weight_kg": [70.0]}, None, "dose"),
        ({"height_cm": [175.0], "weight_kg": [70.0], "dose_mg_m2": [75.0]}, "75 mg/m^2", "dose column"),
        ({"height_cm": [175.0], "height_in": [69.0], "weight_kg": [70.0]}, "75 mg/m^2", "several height columns"),
        ({"weight_kg": [70.0]}, "75 mg/m^2", "height column"),
        ({"height_cm": [175.0]}, "1.5 mg/kg", "weight column"),
        ({"height_cm": [175.0], "weight_kg": [70.0], "bsa_m2": [1.8]}, "75 mg/m^2", "bsa_m2"),
        ({"height_cm": [175.0], "weight_kg": [70.0], "dose_mg_m2_week": [75.0]}, None, "dose"),
        ({"height_cm": [175.0], "weight_kg": [70.0]}, "75", "dose='75': expected"),
        ({"height_cm": [175.0], "weight_kg": [True]}, "75 mg/m^2", "weight_kg: column holds bool"),
    ],
)
def test_unusable_tables_raise(table, dose, match):
    with pytest.raises(DoseCalcError, match=match):
        dose_table(table, dose)


def test_columns_of_one_name_are_refused():
    table = pa.Table.from_arrays(
        [pa.array(["a"]), pa.array([175.0]), pa.array([70.0]), pa.array(["b"])],
        names=["id", "height_cm", "weight_kg", "id"],
    )
    with pytest.raises(DoseCalcError, match="the input has 2 columns named 'id'; rename all but one"):
        dose_table(table, "75 mg/m^2")


def test_sex_specific_formula_needs_a_sex_column():
    with pytest.raises(MissingInputError, match="sex"):
        dose_table({"height_cm": [175.0], "weight_kg": [70.0]}, "75 mg/m^2", method="schlich")


def test_per_row_doses_in_their_columns_units():
    table = {"height_cm": [175.0, 160.0, 182.0], "weight_kg": [70.0, 55.0, 90.0]}
    for column, unit in (
        ("dose_mg_m2", "mg/m**2"),
        ("dose_mg_kg", "mg/kg"),
        ("dose_mg", "mg"),
        ("dose_ug_kg", "ug/kg"),
    ):
        doses = [75.0, 1500.0, 2.5]
        dosed, rejects = dose_table({**table, column: doses})
        assert rejects.num_rows == 0
        assert rows(dosed) == [
            scalar(Q_(d, unit), h, w) for d, h, w in zip(doses, table["height_cm"], table["weight_kg"])
        ], column


def test_weight_only_formula_and_bases_without_bsa():
    # Livingston & Lee needs no height: a mg/m² dose from weight alone
    dosed, _ = dose_table({"weight_kg": [70.0]}, "75 mg/m^2", method="livingston_lee")
    assert rows(dosed) == [scalar("75 mg/m^2", weight=70.0, method="livingston_lee")]
    # a mg/kg dose without heights: no BSA, no per-m² equivalent, no method
    dosed, _ = dose_table({"weight_kg": [70.0]}, "1.5 mg/kg")
    assert rows(dosed) == [
        {"bsa_m2": None, "dose_mg": 105.0, "dose_mg_per_m2": None, "dose_mg_per_kg": 1.5, "bsa_method": None}
    ]
    # a flat dose needs no column at all
    dosed, _ = dose_table({"patient_id": ["a"]}, "100 mg")
    assert dosed["dose_mg"].to_pylist() == [100.0]


def test_every_class_of_bad_row_is_rejected_with_its_reason():
    table = {
        "patient_id": list("abcdefghij"),
        "height_cm": ["175", "", "tall", "NaN", "inf", "0", "-170", "1.75", "175", "175"],
        "weight_lb": ["154", "154", "154", "154", "154", "154", "154", "154", " ", "70000"],
    }
    dosed, rejects = dose_table(table, "75 mg/m^2", row_offset=100)
    assert dosed["patient_id"].to_pylist() == ["a"]
    assert rejects["patient_id"].to_pylist() == list("bcdefghij")
    assert rejects["row"].to_pylist() == list(range(102, 111))
    assert rejects["reason"].to_pylist() == [
        "height_cm is missing",
        "height_cm='tall': expected a number",
        "height_cm='NaN': expected a number; not a finite number",
        "height_cm='inf': expected a number; not a finite number",
        "height_cm=0 cm: expected 20-280 cm",
        "height_cm='-170': expected a number; a measurement has no sign",
        "height_cm=1.75 cm: expected 20-280 cm; did you mean 1.75 m?",
        "weight_lb is missing",
        "weight_lb=70000 lb: expected 0.2-700 kg; did you mean 70000 g?",
    ]
    # the rejects keep the row's fields as given
    assert rejects["height_cm"].to_pylist()[:2] == ["", "tall"]


def test_numeric_columns_reject_nulls_and_nan():
    table = pa.table({"height_cm": [175.0, None, math.nan, 175.0], "weight_kg": [70.0, 70.0, 70.0, -1.0]})
    dosed, rejects = dose_table(table, "75 mg/m^2")
    assert dosed.num_rows == 1
    assert rejects["reason"].to_pylist() == [
        "height_cm is missing",
        "height_cm=nan cm: expected 20-280 cm",
        "weight_kg=-1 kg: expected 0.2-700 kg",
    ]


def test_a_column_of_nulls_only_is_missing_in_every_row(tmp_path):
    # Parquet types a column with no value at all as null: each row is missing it, as in a CSV of blanks
    path = tmp_path / "patients.parquet"
    pq.write_table(pa.table({"height_cm": [175.0, 160.0], "weight_kg": pa.nulls(2)}), path)
    dosed, rejects = dose_table(pq.read_table(path), "75 mg/m^2")
    assert dosed.num_rows == 0
    assert rejects["reason"].to_pylist() == ["weight_kg is missing"] * 2


def test_reasons_of_several_columns_are_joined():
    _, rejects = dose_table({"height_cm": ["1.8"], "weight_kg": ["x"], "sex": ["?"]}, "75 mg/m^2", method="schlich")
    assert rejects["reason"].to_pylist() == [
        "height_cm=1.8 cm: expected 20-280 cm; did you mean 1.8 m?; weight_kg='x': expected a number; "
        "sex='?' is not known; expected one of: f, female, woman, w, m, male, man"
    ]


def test_per_row_dose_out_of_range_is_rejected():
    table = {"height_cm": [175.0, 175.0], "weight_kg": [70.0, 70.0], "dose_mg_m2": [75.0, 75000.0]}
    dosed, rejects = dose_table(table)
    assert dosed.num_rows == 1
    assert rejects["reason"].to_pylist() == [
        "dose_mg_m2=75000 mg/m²: expected [1e-09, 50000] mg/m²; did you mean 75000 µg/m²?"
    ]


@pytest.mark.parametrize("kind", ["text", "dictionary"])
def test_a_dose_cell_of_two_readings_is_rejected_as_the_grammar_refuses_it(kind):
    # "1.500" is 1.5 with a decimal point and 1500 where the full stop separates thousands (a continental export):
    # rejected, as dose "1.500 mg" is refused; "1.5", "1.125" and "0.500" have one reading
    cells = pa.array(["1.500", "1.5", "150.000", "1.125", "0.500", "01.500"])
    table = pa.table(
        {
            "height_cm": [175.0] * 6,
            "weight_kg": [70.0] * 6,
            "dose_mg": cells.dictionary_encode() if kind != "text" else cells,
        }
    )
    dosed, rejects = dose_table(table)
    assert dosed["dose_mg"].to_pylist() == [1.5, 1.125, 0.5] and rejects["row"].to_pylist() == [1, 3, 6]
    assert rejects["reason"].to_pylist() == [
        "dose_mg=1.500: expected an amount of one reading; a full stop is the decimal point or a thousands "
        "separator: write 1.500 as 1.5 or as 1500",
        "dose_mg=150.000: expected an amount of one reading; a full stop is the decimal point or a thousands "
        "separator: write 150.000 as 150 or as 150000",
        "dose_mg=01.500: expected an amount of one reading; a full stop is the decimal point or a thousands "
        "separator: write 01.500 as 1.5 or as 1500",
    ]
    with pytest.raises(UnitError, match="write 1.500 as 1.5 or as 1500"):  # the same text, typed
        patient_dose("1.500 mg", bsa=1.9)
    # a file of decimal commas reads "1.500" as no number, as before
    assert dose_table(table, decimal_comma=True).rejects.num_rows == 6
    # and its "1,500" has the two readings: 1.5 with the decimal comma, 1500 in an English export
    commas = pa.array(["1,500", "1,5", "150,000", "1,125", "0,500"])
    dosed, rejects = dose_table(
        {"height_cm": [175.0] * 5, "weight_kg": [70.0] * 5, "dose_mg": commas}, decimal_comma=True
    )
    assert dosed["dose_mg"].to_pylist() == [1.5, 1.125, 0.5] and rejects["row"].to_pylist() == [1, 3]
    assert rejects["reason"][0].as_py() == (
        "dose_mg=1,500: expected an amount of one reading; a comma is the decimal comma or a thousands "
        "separator: write 1,500 as 1,5 or as 1500"
    )


def test_input_kinds_give_the_same_result():
    data = {"patient_id": ["a", "b"], "height_cm": [175.0, 1.75], "weight_kg": [70.0, 80.0]}
    expected = dose_table(pa.table(data), "75 mg/m^2")
    for kind in (data, pd.DataFrame(data), pl.DataFrame(data), pl.LazyFrame(data), pa.record_batch(data)):
        dosed, rejects = (
            pa.table(nw.from_native(frame).lazy().collect().to_arrow()) for frame in dose_table(kind, "75 mg/m^2")
        )
        assert dosed.to_pylist() == expected.dosed.to_pylist()
        assert rejects.to_pylist() == expected.rejects.to_pylist()


# --- frames: the caller's kind back, every row in its place ---------------------

PANDAS_PATIENTS = pd.DataFrame(
    # the first patient's height is in metres in a cm column: rejected. Index labels are MRNs, not 0..n-1
    {"height_cm": [1.75, 180.0, 160.0, 150.0], "weight_kg": [70.0, 80.0, 60.0, 50.0], "sex": ["f", "m", "f", "m"]},
    index=pd.Index(["MRN-9", "MRN-3", "MRN-7", "MRN-1"], name="mrn"),
)
# Mosteller (1987) by hand, 75 mg/m² x sqrt(H W / 3600):
# 180 cm, 80 kg: sqrt(4.0) = 2.0 m² -> 150 mg; 160 cm, 60 kg: sqrt(2.6667) = 1.63299 m² -> 122.474 mg;
# 150 cm, 50 kg: sqrt(2.08333) = 1.44338 m² -> 108.253 mg
BY_HAND_MG = {"MRN-3": 150.0, "MRN-7": 75 * math.sqrt(160 * 60 / 3600), "MRN-1": 75 * math.sqrt(150 * 50 / 3600)}


def test_each_kind_of_frame_comes_back_as_it_came():
    data = PANDAS_PATIENTS.reset_index()
    kinds = {
        "pandas": (data, pd.DataFrame),
        "polars": (pl.from_pandas(data), pl.DataFrame),
        "lazy": (pl.from_pandas(data).lazy(), pl.LazyFrame),
        "pyarrow": (pa.Table.from_pandas(data), pa.Table),
        "dict": (data.to_dict("list"), pa.Table),
        "record batch": (pa.RecordBatch.from_pandas(data), pa.Table),
    }
    for name, (frame, kind) in kinds.items():
        dosed, rejects = dose_table(frame, "75 mg/m^2")
        inline = dose_table(frame, "75 mg/m^2", rejects="inline")
        assert all(type(result) is kind for result in (dosed, rejects, inline)), name


def test_an_assignment_in_pandas_lands_on_its_own_patient():
    # the misalignment the Arrow result invited: df["dose_mg"] = dosed.to_pandas()["dose_mg"] put MRN-3's dose on
    # MRN-9 (rejected), MRN-7's on MRN-3, ... Here dosed keeps the input's index labels.
    frame = PANDAS_PATIENTS.copy()
    dosed, rejects = dose_table(frame, "75 mg/m^2")
    assert list(dosed.index) == ["MRN-3", "MRN-7", "MRN-1"] and list(rejects.index) == ["MRN-9"]
    frame["dose_mg"] = dosed["dose_mg"]
    assert math.isnan(frame.loc["MRN-9", "dose_mg"])
    for mrn, mg in BY_HAND_MG.items():
        assert frame.loc[mrn, "dose_mg"] == pytest.approx(mg, rel=1e-12)
    assert frame.join(dosed[["bsa_m2"]]).loc["MRN-3", "bsa_m2"] == 2.0  # a join aligns by label too


def test_polars_and_arrow_rows_carry_their_input_position():
    # no index: each dosed row says which input row it is (1-based, as the rejects), so a join aligns by identity
    frame = pl.from_pandas(PANDAS_PATIENTS.reset_index())
    dosed, rejects = dose_table(frame, "75 mg/m^2")
    assert dosed["row"].to_list() == [2, 3, 4] and rejects["row"].to_list() == [1]
    joined = (
        frame.with_row_index("row", offset=1)
        .with_columns(pl.col("row").cast(pl.Int64))
        .join(dosed.select("row", "dose_mg"), on="row", how="left")
    )
    assert joined["dose_mg"][0] is None
    assert joined["dose_mg"][1:].to_list() == pytest.approx(list(BY_HAND_MG.values()), rel=1e-12)
    arrow, _ = dose_table(pa.Table.from_pandas(PANDAS_PATIENTS, preserve_index=False), "75 mg/m^2", row_offset=100)
    assert arrow["row"].to_pylist() == [102, 103, 104]


def test_inline_keeps_every_row_in_order_with_its_index():
    inline = dose_table(PANDAS_PATIENTS, "75 mg/m^2", rejects="inline")
    assert list(inline.index) == list(PANDAS_PATIENTS.index) and inline["row"].tolist() == [1, 2, 3, 4]
    assert list(inline.columns) == [*PANDAS_PATIENTS.columns, "row", *OUTPUT_COLUMNS, "reason"]
    assert inline["dose_mg"].isna().tolist() == [True, False, False, False]
    assert inline["dose_mg"].iloc[1:].tolist() == pytest.approx(list(BY_HAND_MG.values()), rel=1e-12)
    assert inline["reason"].iloc[0] == "height_cm=1.75 cm: expected 20-280 cm; did you mean 1.75 m?"
    assert inline["reason"].iloc[1:].isna().all()
    assert inline["height_cm"].tolist() == PANDAS_PATIENTS["height_cm"].tolist()  # the fields as given


def test_inline_per_row_dose_mg_is_the_parsed_dose_or_null():
    table = {"weight_kg": ["70", "80"], "dose_mg": ["100", "lots"]}
    inline = dose_table(table, rejects="inline")
    assert inline["dose_mg"].to_pylist() == [100.0, None]
    assert inline["reason"].to_pylist() == [None, "dose_mg='lots': expected a number"]


def test_inline_keeps_a_dose_as_given_under_another_name():
    # a row rejected for its height has no checked dose: dose_mg stays null, the ordered dose stays as typed
    table = {"height_cm": ["170", "1.7", "170"], "weight_kg": ["70", "70", "70"], "ordered": ["100", "120", "lots"]}
    inline = dose_table(table, column_map={"dose": "ordered"}, column_units={"dose": "mg"}, rejects="inline")
    assert inline["ordered"].to_pylist() == ["100", "120", "lots"]
    assert inline["dose_mg"].to_pylist() == [100.0, None, None]
    assert inline["reason"].to_pylist()[2] == "ordered='lots': expected a number"
    named = {"height_cm": table["height_cm"], "weight_kg": table["weight_kg"], "dose_mg": table["ordered"]}
    assert dose_table(named, rejects="inline")["dose_mg"].to_pylist() == [100.0, None, None]  # the output's column


def test_rejects_takes_separate_or_inline():
    with pytest.raises(UnknownNameError, match="rejects"):
        dose_table(PANDAS_PATIENTS, "75 mg/m^2", rejects="drop")


def _text_kinds():
    sexes = ["f", "m", "x", "f"]  # "x" is not a sex dosecalc knows: a rejected row among categories
    heights = ["1.75", "180", "160", "150"]
    arrow_kinds = {
        "dictionary": pa.array(sexes).dictionary_encode(),
        "large string": pa.array(sexes, pa.large_string()),
        "string view": pa.array(sexes, pa.string_view()),
        "dictionary of views": pa.DictionaryArray.from_arrays(
            pa.array([0, 1, 2, 0], pa.int32()), pa.array(["f", "m", "x"], pa.string_view())
        ),
    }
    base = {"height_cm": heights, "weight_kg": [70.0, 80.0, 60.0, 50.0]}
    for name, sex in arrow_kinds.items():
        yield f"pyarrow {name}", pa.table({**{k: pa.array(v) for k, v in base.items()}, "sex": sex})
        yield (
            f"pyarrow {name} heights",
            pa.table({"height_cm": pa.array(heights).cast(sex.type), "weight_kg": base["weight_kg"], "sex": sex}),
        )
    yield (
        "pandas categorical",
        pd.DataFrame({**base, "sex": pd.Categorical(sexes), "height_cm": pd.Categorical(heights)}),
    )
    polars = pl.DataFrame({**base, "sex": sexes})
    yield "polars categorical", polars.with_columns(pl.col("sex", "height_cm").cast(pl.Categorical))
    yield "polars enum", polars.with_columns(pl.col("sex").cast(pl.Enum(["f", "m", "x"])))
    yield "polars lazy enum", polars.lazy().with_columns(pl.col("sex").cast(pl.Enum(["f", "m", "x"])))


@pytest.mark.parametrize("name, frame", list(_text_kinds()), ids=[name for name, _ in _text_kinds()])
def test_categorical_enum_dictionary_and_view_columns_work_for_every_input(name, frame):
    # a sex-specific formula reads sex; row 1 (1.75 cm) and row 3 (sex "x") are rejected, rows 2 and 4 dosed
    for rejects in ("separate", "inline"):
        result = dose_table(frame, "75 mg/m^2", method="schlich", rejects=rejects)
        native = [result] if rejects == "inline" else list(result)
        tables = [pa.table(nw.from_native(part).lazy().collect().to_arrow()) for part in native]
        if rejects == "inline":
            assert tables[0]["reason"].is_null().to_pylist() == [False, True, False, True]
        else:
            assert tables[0]["row"].to_pylist() == [2, 4] and tables[1]["row"].to_pylist() == [1, 3]
            assert [str(s) for s in tables[1]["sex"].to_pylist()] == ["f", "x"]
            assert "sex='x'" in tables[1]["reason"][1].as_py()


def _categorical_sexes_with_one_missing():
    sexes, base = ["f", "m", None], {"height_cm": [165.0, 175.0, 160.0], "weight_kg": [90.0, 90.0, 95.0]}
    yield "pyarrow dictionary", pa.table({**base, "sex": pa.array(sexes).dictionary_encode()})
    yield "pandas categorical", pd.DataFrame({**base, "sex": pd.Categorical(sexes)})
    yield "polars categorical", pl.DataFrame({**base, "sex": sexes}).with_columns(pl.col("sex").cast(pl.Categorical))
    yield "polars enum", pl.DataFrame({**base, "sex": sexes}).with_columns(pl.col("sex").cast(pl.Enum(["f", "m"])))


@pytest.mark.parametrize(
    "name, frame",
    list(_categorical_sexes_with_one_missing()),
    ids=[n for n, _ in _categorical_sexes_with_one_missing()],
)
@pytest.mark.parametrize("options", [{"weight_basis": "ideal"}, {"method": "schlich"}])
def test_a_missing_sex_in_a_categorical_column_is_rejected_not_read_as_another(name, frame, options):
    # every height and weight plausible: the whole column is dosed at once, where numpy's view of a dictionary
    # column gave the missing cell another category's sex
    dosed, rejects = (pa.table(nw.from_native(part).to_arrow()) for part in dose_table(frame, "75 mg/m^2", **options))
    assert dosed["row"].to_pylist() == [1, 2] and rejects["row"].to_pylist() == [3]
    assert rejects["reason"].to_pylist() == ["sex is missing"]
    if options == {"weight_basis": "ideal"}:
        # Devine (1974), a woman of 165 cm: 45.5 + 2.3 × (165 / 2.54 − 60) = 56.909 kg;
        # Mosteller sqrt(165 × 56.909 / 3600) = 1.61503 m² × 75 mg/m² = 121.128 mg
        assert dosed["dose_mg"][0].as_py() == pytest.approx(121.128, abs=5e-4)


@given(st.lists(st.sampled_from([170.0, 1.7, None, 160.0]), min_size=0, max_size=20), st.integers(-50, 50))
def test_dosed_and_rejected_labels_partition_the_index(heights, start):
    frame = pd.DataFrame(
        {"height_cm": heights, "weight_kg": 70.0}, index=pd.RangeIndex(start, start + 3 * len(heights), 3)
    )
    dosed, rejects = dose_table(frame, "75 mg/m^2")
    assert sorted([*dosed.index, *rejects.index]) == list(frame.index)
    assert (frame.loc[dosed.index, "height_cm"] == dosed["height_cm"]).all()
    assert list(dosed["row"] - 1) == [frame.index.get_loc(label) for label in dosed.index]
    inline = dose_table(frame, "75 mg/m^2", rejects="inline")
    assert list(inline.index) == list(frame.index)
    assert inline["reason"].isna().tolist() == [label in dosed.index for label in frame.index]


def test_a_column_of_numbers_and_text_is_refused_naming_it():
    # pandas keeps such a column as objects, which Arrow cannot type: an error naming the column
    frame = pd.DataFrame({"height_cm": pd.Series([170.0, "175"], dtype=object), "weight_kg": [70.0, 60.0]})
    with pytest.raises(DoseCalcError, match="column height_cm with type object; give each column one type"):
        dose_table(frame, "75 mg/m^2")


def test_a_column_of_complex_numbers_is_refused_naming_it():
    # a type Arrow has not: a DoseCalcError naming the column, not pyarrow's own error
    frame = pd.DataFrame({"height_cm": np.array([175 + 0j]), "weight_kg": [70.0]})
    with pytest.raises(DoseCalcError, match="column height_cm with type complex128; give each column one type"):
        dose_table(frame, "75 mg/m^2")


def test_method_column_is_dictionary_encoded():
    dosed, _ = dose_table({"height_cm": [175.0] * 3, "weight_kg": [70.0] * 3}, "75 mg/m^2", method="Du Bois")
    assert pa.types.is_dictionary(dosed.schema.field("bsa_method").type)
    assert dosed["bsa_method"].to_pylist() == ["dubois"] * 3


def test_empty_table():
    dosed, rejects = dose_table(
        {"height_cm": pa.array([], pa.float64()), "weight_kg": pa.array([], pa.float64())}, "75 mg/m^2"
    )
    assert dosed.num_rows == rejects.num_rows == 0
    assert dosed.column_names[-len(OUTPUT_COLUMNS) :] == list(OUTPUT_COLUMNS)
    assert rejects.column_names[-2:] == list(REJECT_COLUMNS)


# --- property: the engine is the scalar core, row by row ----------------------

HEIGHT_UNITS, WEIGHT_UNITS = ("cm", "m", "in"), ("kg", "lb")
BAD = st.sampled_from([None, 0.0, -1.0, math.nan, math.inf, 1e6, "n/a"])


@st.composite
def cohorts(draw):
    n = draw(st.integers(1, 25))
    height_unit, weight_unit = draw(st.sampled_from(HEIGHT_UNITS)), draw(st.sampled_from(WEIGHT_UNITS))
    low, high = Q_(15.0, "cm").m_as(height_unit), Q_(290.0, "cm").m_as(height_unit)
    heights = draw(st.lists(st.floats(low, high) | BAD, min_size=n, max_size=n))
    low, high = Q_(0.1, "kg").m_as(weight_unit), Q_(750.0, "kg").m_as(weight_unit)
    weights = draw(st.lists(st.floats(low, high) | BAD, min_size=n, max_size=n))
    method = draw(st.sampled_from(sorted(BSA_METHODS)))
    sexes = draw(st.lists(st.sampled_from(["f", "m", "F", "male", "x"]), min_size=n, max_size=n))
    per_row = draw(st.booleans())
    doses = draw(st.lists(st.floats(0.5, 2000.0) | BAD, min_size=n, max_size=n)) if per_row else None
    dose = None if per_row else draw(st.sampled_from(["75 mg/m^2", "1.5 mg/kg", "100 mg"]))
    as_text = draw(st.booleans())  # as a CSV is read: every cell text
    return height_unit, weight_unit, heights, weights, method, sexes, doses, dose, as_text


def _cell(value, as_text):
    if isinstance(value, str) or value is None:
        return value if as_text else None
    return repr(value) if as_text else value


def cohort_table(cohort):
    """A drawn cohort as a table: numbers as floats, or every cell text, as a CSV is read."""
    height_unit, weight_unit, heights, weights, _, sexes, doses, _, as_text = cohort
    columns = {f"height_{height_unit}": heights, f"weight_{weight_unit}": weights, "sex": sexes}
    if doses is not None:
        columns["dose_mg_m2"] = doses
    kind = pa.string() if as_text else pa.float64()
    return pa.table(
        {
            name: pa.array(values, pa.string())
            if name == "sex"
            else pa.array([_cell(v, as_text) for v in values], kind)
            for name, values in columns.items()
        }
    )


@given(cohorts(), st.integers(0, 10**6))
def test_engine_equals_scalar_core_row_by_row(cohort, row_offset):
    height_unit, weight_unit, heights, weights, method, sexes, doses, dose, as_text = cohort
    table = cohort_table(cohort)
    dosed, rejects = dose_table(table, dose, method, row_offset=row_offset)

    expected, refused = [], []
    for i, (height, weight, sex) in enumerate(zip(heights, weights, sexes)):
        cells = (height, weight) if doses is None else (height, weight, doses[i])
        if any(value is None or isinstance(value, str) for value in cells):
            refused.append(row_offset + i + 1)  # missing or not a number: a reject, never a guess
            continue
        row_dose = dose if doses is None else Q_(doses[i], "mg/m**2")
        result = scalar(row_dose, Q_(height, height_unit), Q_(weight, weight_unit), method, sex)
        if result is None:
            refused.append(row_offset + i + 1)
        else:
            expected.append(result)
    assert rows(dosed) == expected  # exactly equal, not approximately
    assert rejects["row"].to_pylist() == refused
    assert dosed.num_rows + rejects.num_rows == table.num_rows
    assert all(rejects["reason"].to_pylist())


@given(cohorts())
def test_a_rejected_row_s_reason_is_its_own_in_any_batch(cohort):
    # reasons are built once per distinct cell and only for the columns that reject a row: each row's reason in
    # the batch is the one it gets alone
    method, dose = cohort[4], cohort[7]
    table = cohort_table(cohort)
    batch = dose_table(table, dose, method).rejects
    alone = [dose_table(table.slice(i, 1), dose, method, row_offset=i).rejects for i in range(table.num_rows)]
    assert batch["row"].to_pylist() == [row for rejects in alone for row in rejects["row"].to_pylist()]
    assert batch["reason"].to_pylist() == [reason for rejects in alone for reason in rejects["reason"].to_pylist()]


def test_repeated_slips_in_a_column_each_get_their_reason():
    # 1.75 (metres), an empty cell and a word, each repeated among plausible rows; and a row rejected by weight
    # alone, whose height reason is none
    heights = ["175", "1.75", "", "tall", "1.75", "180", "", "tall", "170"]
    weights = ["70", "70", "70", "70", "70", "75", "70", "70", "900"]
    _, rejects = dose_table({"height_cm": heights, "weight_kg": weights}, "75 mg/m^2")
    metres = "height_cm=1.75 cm: expected 20-280 cm; did you mean 1.75 m?"
    word = "height_cm='tall': expected a number"
    assert rejects["row"].to_pylist() == [2, 3, 4, 5, 7, 8, 9]
    assert rejects["reason"].to_pylist() == [
        metres,
        "height_cm is missing",
        word,
        metres,
        "height_cm is missing",
        word,
        "weight_kg=900 kg: expected 0.2-700 kg; did you mean 900 lb?",
    ]


@given(st.text(alphabet="0123456789.eE+-infatyINFATY()_ x", max_size=8))
def test_a_cell_is_a_number_or_not_whatever_its_neighbours(text):
    # a batch with a non-numeric cell takes the engine's other parsing path: it must agree with the fast one
    alone = dose_table({"height_cm": [text], "weight_kg": ["70"]}, "75 mg/m^2")
    beside = dose_table({"height_cm": ["not a number", text], "weight_kg": ["70", "70"]}, "75 mg/m^2")
    assert alone.dosed.num_rows == beside.dosed.num_rows
    assert alone.rejects["reason"].to_pylist() == beside.rejects["reason"].to_pylist()[1:]


@pytest.mark.parametrize("decimal_comma", [False, True])
def test_texts_that_repeat_are_read_as_each_cell_alone(decimal_comma):
    # a long column of few distinct texts is read once per text: the same doses and reasons as short batches,
    # whose texts are each read
    size = 3 * dosecalc.cohort.TEXT_SAMPLE
    point = "," if decimal_comma else "."
    texts = ["170", f"182{point}5", f"1{point}75", "", "abc", " 165 ", None, "7\u200b5", "1e3", f"1{point}2{point}3"]
    heights = [texts[i % len(texts)] for i in range(size)]
    table = pa.table({"height_cm": pa.array(heights, pa.string()), "weight_kg": pa.array(["70"] * size)})
    dosed, rejects = dose_table(table, "75 mg/m^2", decimal_comma=decimal_comma)
    pieces = [
        dose_table(table.slice(start, 1000), "75 mg/m^2", row_offset=start, decimal_comma=decimal_comma)
        for start in range(0, size, 1000)
    ]
    assert dosed["dose_mg"].to_pylist() == [mg for piece in pieces for mg in piece.dosed["dose_mg"].to_pylist()]
    assert dosed["row"].to_pylist() == [row for piece in pieces for row in piece.dosed["row"].to_pylist()]
    assert rejects["reason"].to_pylist() == [why for piece in pieces for why in piece.rejects["reason"].to_pylist()]
    assert dosed.num_rows == sum(text in ("170", f"182{point}5", " 165 ") for text in heights)  # the numbers


def test_two_sex_columns_are_refused_where_a_sex_is_read():
    # "sex" says male, "SEX" female: the engine never picks one (Schlich's BSA and the ideal weight read it)
    table = {"height_cm": [175.0], "weight_kg": [70.0], "sex": ["m"], "SEX": ["f"]}
    for options in ({"method": "schlich"}, {"weight_basis": "ideal"}):
        with pytest.raises(DoseCalcError, match=r"^several sex columns: sex, SEX; keep one or map one with column_map"):
            dose_table(table, "75 mg/m^2", **options)
    mapped = dose_table(table, "75 mg/m^2", method="schlich", column_map={"sex": "SEX"}).dosed
    female = patient_dose("75 mg/m^2", height=175.0, weight=70.0, method="schlich", sex="f").dose.m_as("mg")
    assert mapped["dose_mg"].to_pylist() == [female]
    assert dose_table(table, "75 mg/m^2").dosed.num_rows == 1  # Mosteller reads no sex: both pass through


def test_a_missing_sex_is_said_to_be_missing():
    # a sex-specific formula never defaults a sex: a null or blank cell is a reject naming the column
    table = {"height_cm": [175.0] * 3, "weight_kg": [70.0] * 3, "Gender": ["f", None, " "]}
    dosed, rejects = dose_table(table, "75 mg/m^2", method="schlich", column_map={"sex": "Gender"})
    assert dosed.num_rows == 1
    assert rejects["reason"].to_pylist() == ["Gender is missing", "Gender is missing"]


SPANISH_M = (
    "sex='M' is ambiguous beside 'H' in the same column (H/M is hombre/mujer, M a woman); "
    "expected f, female, m or male in a column without H"
)


def test_an_m_beside_an_h_is_not_read_as_male():
    # a Spanish export codes hombre/mujer as H/M: its M rows are women; the H rows are refused, and so are the M
    table = {"height_cm": [175.0] * 3, "weight_kg": [70.0] * 3, "sexo": ["H", "M", " m "]}
    dosed, rejects = dose_table(table, "75 mg/m^2", method="schlich", column_map={"sex": "sexo"})
    assert dosed.num_rows == 0
    ambiguous = SPANISH_M.replace("sex=", "sexo=")
    assert rejects["reason"].to_pylist() == [
        "sexo='H' is not known; expected one of: f, female, woman, w, m, male, man",
        ambiguous,
        ambiguous.replace("'M'", "' m '"),
    ]


def test_an_m_beside_an_h_is_refused_by_a_kidney_estimate_too():
    # Cockcroft & Gault (Nephron 1976;16:31) reads the sex: (140 - 60) × 70 / (72 × 1) × 0.85 for F = 66.11 mL/min
    order = Order("carboplatin", "5 mg/mL*min", formula="cockcroft_gault")
    table = {"sex": ["H", "M", "F"], "age_years": [60] * 3, "weight_kg": [70.0] * 3, "creatinine_mg_dl": [1.0] * 3}
    dosed, rejects = order.for_table(table)
    assert dosed["row"].to_pylist() == [3]
    assert dosed["dose_mg"].to_pylist() == pytest.approx([5 * (80 * 70 / 72 * 0.85 + 25)], rel=1e-12)
    assert rejects["reason"].to_pylist()[1] == SPANISH_M


def test_an_m_without_an_h_is_male():
    # German and English exports: M/F and M/W; Schlich et al. 2010 differ by sex, so the two rows' BSAs differ
    table = {"height_cm": [175.0] * 2, "weight_kg": [70.0] * 2, "sex": ["M", "W"]}
    dosed, rejects = dose_table(table, "75 mg/m^2", method="schlich")
    assert rejects.num_rows == 0
    expected = [
        patient_dose("75 mg/m^2", height=175, weight=70, method="schlich", sex=sex).bsa.m_as("m**2") for sex in "mf"
    ]
    assert dosed["bsa_m2"].to_pylist() == expected


def test_numbers_past_floats_range_are_rejected_quietly(recwarn):
    # 1e308 m is past float's range in cm (and 1e400 past it as typed): inf, rejected with a reason, no RuntimeWarning
    table = {"height_m": ["1e308", "1.75", "1.75", "-1e308"], "weight_lb": ["154", "1e308", "1e400", "154"]}
    dosed, rejects = dose_table(table, "75 mg/m^2")
    assert dosed.num_rows == 0
    assert rejects["reason"].to_pylist() == [
        "height_m=1e308 m: expected 20-280 cm",
        "weight_lb=1e308 lb: expected 0.2-700 kg",
        "weight_lb=1e400 lb: expected 0.2-700 kg",
        "height_m='-1e308': expected a number; a measurement has no sign",
    ]
    assert [str(warning.message) for warning in recwarn] == []


def test_absurd_absolute_doses_are_rejected_as_the_scalar_path_refuses_them():
    table = {"patient_id": ["a", "b", "c"], "weight_kg": [70.0, 700.0, 80.0], "dose_mg_kg": [5.0, 5000.0, 6.0]}
    dosed, rejects = dose_table(table)
    assert dosed["patient_id"].to_pylist() == ["a", "c"]
    assert rejects.select(["row", "reason"]).to_pylist() == [
        {"row": 2, "reason": "dose_mg=3.5e+06 mg: expected (0, 200000] mg for one administration"}
    ]
    with pytest.raises(ImplausibleInputError, match=r"dose=(3.5e\+06|3500000) mg"):
        patient_dose("5000 mg/kg", weight=700)


def test_numeric_inputs_give_the_numbers_read():
    # text cells as a CSV gives them: dosed rows keep them as the numbers read, rejected rows as given
    table = {"height_cm": ["180", " 175.5 ", "1,8"], "weight_kg": ["80", "70", "70"]}
    dosed, rejects = dose_table(table, "75 mg/m^2", numeric_inputs=True)
    assert dosed.select(["height_cm", "weight_kg"]).to_pylist() == [
        {"height_cm": 180.0, "weight_kg": 80.0},
        {"height_cm": 175.5, "weight_kg": 70.0},
    ]
    assert rejects["height_cm"].to_pylist() == ["1,8"]
    assert dose_table(table, "75 mg/m^2").dosed["height_cm"].to_pylist() == ["180", " 175.5 "]


def test_rows_that_describe_no_body_are_rejected_with_the_scalar_message():
    # 70 cm and 175 kg (BMI 357 kg/m²: swapped); 69 cm and 80 kg (BMI 168 kg/m²: 69 in is 175 cm); both values
    # plausible alone. Many rows such as these are rejected at once, each with patient_dose's message.
    heights, weights = [70.0, 69.0, 175.0] * 20_000, [175.0, 80.0, 70.0] * 20_000
    dosed, rejects = dose_table({"height_cm": heights, "weight_kg": weights}, "75 mg/m^2")
    assert dosed.num_rows == 20_000 and rejects.num_rows == 40_000
    for height, weight, reason in zip(rejects["height_cm"][:2], rejects["weight_kg"][:2], rejects["reason"][:2]):
        with pytest.raises(ImplausibleInputError) as err:
            patient_dose("75 mg/m^2", height=height.as_py(), weight=weight.as_py())
        assert reason.as_py() == str(err.value)
    assert "swapped" in rejects["reason"][0].as_py() and "69 in (175 cm)" in rejects["reason"][1].as_py()


@pytest.mark.parametrize(
    "categorical",
    [
        lambda cells: pd.DataFrame({"height_cm": pd.Categorical(cells), "weight_kg": [70.0] * len(cells)}),
        lambda cells: pl.DataFrame(
            {"height_cm": pl.Series(cells, dtype=pl.Categorical), "weight_kg": [70.0] * len(cells)}
        ),
        lambda cells: pa.table({"height_cm": pa.array(cells).dictionary_encode(), "weight_kg": [70.0] * len(cells)}),
    ],
)
def test_a_categorical_column_s_rejects_read_as_its_text(categorical):
    # the same reasons as for a column of plain text: not a number, shown escaped (a zero-width space), or a slip
    cells = ["175", "n/a", "1\u200b75", "1.75"]
    plain = dose_table({"height_cm": cells, "weight_kg": [70.0] * 4}, "75 mg/m^2").rejects["reason"].to_pylist()
    assert plain == [
        "height_cm='n/a': expected a number",
        "height_cm='1\\u200b75': expected a number; the character U+200B (ZERO WIDTH SPACE) is not part of a number",
        "height_cm=1.75 cm: expected 20-280 cm; did you mean 1.75 m?",
    ]
    reasons = nw.from_native(dose_table(categorical(cells), "75 mg/m^2").rejects)["reason"].to_list()
    assert reasons == plain


@pytest.mark.parametrize("row_offset", [-1, 1.5, "3", None, True])
def test_a_row_offset_is_a_whole_number_of_rows_before_the_batch(row_offset):
    # rows are numbered from row_offset + 1: -1 numbered the first row 0; 1.5, "3" and None crashed in pyarrow
    with pytest.raises(
        ImplausibleInputError, match=r"^row_offset=.*: expected a whole number of rows before the batch"
    ):
        dose_table({"height_cm": [170.0], "weight_kg": [70.0]}, "75 mg/m^2", row_offset=row_offset)
    dosed, _ = dose_table({"height_cm": [170.0], "weight_kg": [70.0]}, "75 mg/m^2", row_offset=4)
    assert dosed["row"].to_pylist() == [5]


@given(st.lists(st.sampled_from(["F", "f", "M", "male", "H", "x", "", None, " F"]), max_size=12))
def test_a_categorical_sex_column_reads_as_its_text(cells):
    from dosecalc.cohort import sexes_of

    plain = sexes_of(pa.table({"sex": pa.array(cells, pa.string())}), "sex")
    categorical = sexes_of(pa.table({"sex": pa.array(cells, pa.string()).dictionary_encode()}), "sex")
    rows = np.arange(len(cells))
    assert plain.known.tolist() == categorical.known.tolist()
    assert plain.female.tolist() == categorical.female.tolist()
    assert plain.reasons(rows).to_pylist() == categorical.reasons(rows).to_pylist()
    # an M beside an H is refused (hombre/mujer), a lone M is male
    if "H" not in cells:
        assert all(known for cell, known in zip(cells, plain.known) if cell in ("M", "male"))


@pytest.mark.parametrize("code", ["V", "v", "Varón", "varon", " V\t"])
def test_an_m_beside_a_v_is_ambiguous(code):
    # V/M is Spanish varón/mujer (M a woman), or Dutch vrouw/man: an M beside a V was dosed as a man, a woman's
    # carboplatin by Cockcroft-Gault without its factor 0.85 (Cockcroft DW, Gault MH. Nephron 1976;16:31-41)
    table = {
        "sex": [code, "M"],
        "age_years": [60, 60],
        "height_cm": [175.0, 160.0],
        "weight_kg": [80.0, 60.0],
        "creatinine_mg_dl": [1.0, 1.0],
    }
    dosed, rejects = dose_table(table, "75 mg/m^2", weight_basis="ideal")
    assert dosed.num_rows == 0
    assert rejects["reason"][1].as_py() == (
        f"sex='M' is ambiguous beside {ascii(code)} in the same column (V/M may be varón/mujer, M a woman); "
        "expected f, female, m or male in a column without V"
    )


@pytest.mark.parametrize("code", ["Hombre", "H\t", "H\u00a0", " h ", "mujer"])
def test_an_m_beside_any_spanish_code_is_ambiguous(code):
    # only an exact "H" was seen: an "M" beside "Hombre" or an "H" with a tab was read as male, on ideal weight
    dosed, rejects = dose_table(
        {"sex": ["M", code], "height_cm": [175.0, 175.0], "weight_kg": [90.0, 90.0]}, "75 mg/m^2", weight_basis="ideal"
    )
    assert dosed.num_rows == 0
    assert rejects["reason"][0].as_py() == (
        f"sex='M' is ambiguous beside {ascii(code)} in the same column (H/M is hombre/mujer, M a woman); "
        "expected f, female, m or male in a column without H"
    )
