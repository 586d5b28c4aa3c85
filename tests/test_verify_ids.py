"""
Who a day's orders are for: a row without a patient_id (empty, spaces,
invisible characters, null, NaN) is rejected as ``patient_id is missing``,
never merged into one patient ''; and the file's sex column is read as one
column: beside an ``H`` (Spanish *hombre*) on any row, the ``M`` of a row
whose order reads the sex may be *mujer* and is rejected as ambiguous.

Doses by hand: Mosteller BSA sqrt(H W / 3600) (doi:10.1056/NEJM198710223171717);
R-CHOP-21 as Coiffier et al. 2002 (doi:10.1056/NEJMoa011795); carboplatin by
Calvert, AUC × (GFR + 25), the GFR by Cockcroft-Gault, (140 - age) × weight /
(72 × creatinine), × 0.85 for a woman (doi:10.1159/000180580).
"""

import math

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from typer.testing import CliRunner

import dosecalc.cli.verify  # noqa: F401  (registers the command until the package imports it)
from dosecalc.cli import app
from dosecalc.grammar import as_compared
from dosecalc.protocol import load_protocol
from dosecalc.verify_table import _holds_ascii_space, verify_table

RCHOP = load_protocol("r-chop-21")
CARBOPLATIN_PACLITAXEL = load_protocol("carboplatin-paclitaxel")
# 175 cm, 80 kg: BSA sqrt(175 × 80 / 3600) = 1.97203 m²; doxorubicin 50 mg/m² × 1.97203 = 98.60 mg
DOXORUBICIN_MG = 50 * math.sqrt(175 * 80 / 3600)


def verify_cli(*args):
    return CliRunner().invoke(app, ["verify", *map(str, args)])


def reasons(result) -> dict:
    return dict(zip(result.rejected["row"].to_pylist(), result.rejected["reason"].to_pylist()))


# --- a row without a patient ----------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", "  ", "\t", "\u200b", "\u00a0", None])
def test_a_blank_patient_id_rejects_its_row_as_missing(blank):
    # rows 2 and 3 have no id and two heights: merged as one patient '', they were rejected for "two heights"
    table = pa.table(
        {
            "patient_id": pa.array(["DL-1", blank, blank, "DL-2"], pa.string()),
            "drug": ["doxorubicin"] * 4,
            "ordered_mg": [98.6] * 4,
            "day": [1, 1, 1, 1],
            "height_cm": [175.0, 175.0, 165.0, 175.0],
            "weight_kg": [80.0] * 4,
        }
    )
    result = verify_table(RCHOP, table)
    summary = result.summary()
    assert (summary["rows"], summary["rejected"]) == (4, 2)
    assert reasons(result) == {2: "patient_id is missing", 3: "patient_id is missing"}
    # the patients named are verified: 98.6 mg against 98.60 mg
    assert result.checked["row"].to_pylist() == [1, 4]
    assert_allclose(result.checked["computed_dose"].to_pylist(), [DOXORUBICIN_MG] * 2)
    # the doses due on day 1 and not ordered are listed for the patients named, none for a patient ''
    assert set(result.not_ordered["patient_id"].to_pylist()) == {"DL-1", "DL-2"}


def test_blank_ids_in_a_file_sorted_by_patient_are_missing_too():
    # a run of blank ids between two patients (sorted exports put them first or last)
    table = pa.table(
        {
            "patient_id": ["", " ", "A", "A", "B"],
            "drug": ["doxorubicin", "vincristine", "doxorubicin", "vincristine", "doxorubicin"],
            "ordered_mg": [98.6, 2.0, 98.6, 2.0, 98.6],
            "height_cm": [175.0] * 5,
            "weight_kg": [80.0] * 5,
        }
    )
    result = verify_table(RCHOP, table)
    assert reasons(result) == {1: "patient_id is missing", 2: "patient_id is missing"}
    assert result.verified["row"].to_pylist() == [3, 4, 5]


def test_a_null_or_nan_id_is_missing_and_a_numeric_id_is_a_patient():
    for ids in (pa.array([7.0, float("nan"), 8.0]), pa.array([7, None, 8], pa.int64())):
        table = pa.table(
            {
                "patient_id": ids,
                "drug": ["doxorubicin"] * 3,
                "ordered_mg": [98.6] * 3,
                "height_cm": [175.0] * 3,
                "weight_kg": [80.0] * 3,
            }
        )
        result = verify_table(RCHOP, table)
        assert reasons(result) == {2: "patient_id is missing"}, ids
        assert result.verified["row"].to_pylist() == [1, 3]


def test_every_row_accounted_for_when_no_row_names_its_patient():
    # an all-empty patient_id column (a Parquet file's, type null): each row rejected, with its reason
    table = pa.table(
        {
            "patient_id": pa.nulls(3),
            "drug": ["doxorubicin"] * 3,
            "ordered_mg": [98.6] * 3,
            "height_cm": [175.0] * 3,
            "weight_kg": [80.0] * 3,
        }
    )
    summary = verify_table(RCHOP, table).summary()
    assert (summary["rows"], summary["verified"], summary["flagged"], summary["rejected"]) == (3, 0, 0, 3)


def test_a_file_without_a_patient_id_column_is_verified_row_by_row():
    table = {"drug": ["doxorubicin"], "ordered_mg": [98.6], "height_cm": [175.0], "weight_kg": [80.0]}
    assert verify_table(RCHOP, table).verified.num_rows == 1


def test_the_command_counts_a_blank_id_among_the_rejected(tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "patient_id,drug,ordered_mg,day,height_cm,weight_kg\n"
        "DL-1,doxorubicin,98.6,1,175,80\n"
        ",doxorubicin,98.6,1,175,80\n"
        "  ,doxorubicin,98.6,1,165,80\n"
    )
    rejects = tmp_path / "rejects.csv"
    result = verify_cli("r-chop-21", "--orders", orders, "-o", tmp_path / "out.csv", "--rejects", rejects)
    assert result.exit_code == 4, result.output
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines()[:4])
    assert (lines["rows"], lines["verified"], lines["flagged"], lines["rejected"]) == ("3", "1", "0", "2")
    text = rejects.read_text()
    assert text.count("patient_id is missing") == 2 and "which is the patient's" not in text


# --- the sex column read as one column ----------------------------------------------------------

HEADER = "patient_id,drug,ordered,ordered_unit,cycle,day,sex,height_cm,weight_kg,age_years,creatinine_mg_dl\n"
# 170 cm, 68 kg: BSA sqrt(170 × 68 / 3600) = 1.79196 m², paclitaxel 175 mg/m² × 1.79196 = 313.59 mg;
# a man of 60, 68 kg, creatinine 1.0 mg/dL: GFR 80 × 68 / 72 = 75.56 mL/min, carboplatin 5 × (75.56 + 25) = 502.78 mg
PACLITAXEL_MG = 175 * math.sqrt(170 * 68 / 3600)
CARBOPLATIN_MALE_MG = 5 * (80 * 68 / 72 + 25)


def _orders(sexes) -> pa.Table:
    rows = [("B", "paclitaxel", "300"), ("A", "paclitaxel", "300"), ("B", "carboplatin", "500")]
    return pa.table(
        {
            "patient_id": [patient for patient, _, _ in rows],
            "drug": [drug for _, drug, _ in rows],
            "ordered": [ordered for _, _, ordered in rows],
            "ordered_unit": ["mg"] * 3,
            "cycle": [1] * 3,
            "day": [1] * 3,
            "sex": sexes,
            "height_cm": [170.0] * 3,
            "weight_kg": [68.0] * 3,
            "age_years": [60.0] * 3,
            "creatinine_mg_dl": [1.0] * 3,
        }
    )


def test_an_h_on_a_row_that_reads_no_sex_makes_another_rows_m_ambiguous():
    # the H sits on a paclitaxel row (its BSA reads no sex); carboplatin's Cockcroft-Gault reads B's M: mujer?
    # Every row whose sex is given and none (the H, an M beside it) is rejected, as --sex H is for one patient,
    # whether its order reads it or not
    result = verify_table(CARBOPLATIN_PACLITAXEL, _orders(["M", "H", "M"]))
    ambiguous = (
        "sex='M' is ambiguous beside 'H' in the same column (H/M is hombre/mujer, M a woman); "
        "expected f, female, m or male in a column without H"
    )
    assert reasons(result) == {
        1: ambiguous,
        2: "sex='H' is not known; expected one of: f, female, woman, w, m, male, man",
        3: ambiguous,
    }
    recoded = verify_table(CARBOPLATIN_PACLITAXEL, _orders(["F", "M", "F"]))  # f/m: each order verified
    assert recoded.rejected.num_rows == 0
    paclitaxel = recoded.checked.filter(pa.compute.equal(recoded.checked["drug"], "paclitaxel"))
    assert_allclose(paclitaxel["computed_dose"].to_pylist(), [PACLITAXEL_MG] * 2)  # 300 mg against 313.59 mg


def test_without_an_h_in_the_column_m_is_male():
    result = verify_table(CARBOPLATIN_PACLITAXEL, _orders(["M", "M", "M"]))
    assert result.rejected.num_rows == 0
    carboplatin = result.checked.filter(pa.compute.equal(result.checked["drug"], "carboplatin"))
    assert_allclose(carboplatin["computed_dose"].to_pylist(), [CARBOPLATIN_MALE_MG])


def test_an_h_on_a_later_row_counts_as_one_on_an_earlier_row():
    # the H after the M it makes ambiguous, on a row of another order: the whole column is read first
    table = _orders(["M", "M", "M"]).set_column(6, "sex", pa.array(["h", "M", "M"]))
    table = table.set_column(0, "patient_id", pa.array(["A", "B", "B"]))
    assert sorted(reasons(verify_table(CARBOPLATIN_PACLITAXEL, table))) == [1, 2, 3]


def test_the_command_rejects_the_rows_of_an_ambiguous_sex(tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text(
        HEADER
        + "B,paclitaxel,300,mg,1,1,M,170,68,60,1.0\n"
        + "A,paclitaxel,300,mg,1,1,H,170,68,60,1.0\n"
        + "B,carboplatin,500,mg,1,1,M,170,68,60,1.0\n"
    )
    rejects = tmp_path / "rejects.csv"
    result = verify_cli("carboplatin-paclitaxel", "--orders", orders, "-o", tmp_path / "out.csv", "--rejects", rejects)
    assert result.exit_code == 4, result.output
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines()[:4])
    assert (lines["rows"], lines["verified"], lines["flagged"], lines["rejected"]) == ("3", "0", "0", "3")
    assert "sex='M' is ambiguous beside 'H'" in rejects.read_text()


def test_a_categorical_sex_column_is_read_as_one_column_too():
    table = _orders(["M", "H", "M"])
    table = table.set_column(6, "sex", table["sex"].dictionary_encode())
    assert reasons(verify_table(CARBOPLATIN_PACLITAXEL, table)) == reasons(
        verify_table(CARBOPLATIN_PACLITAXEL, _orders(["M", "H", "M"]))
    )


def test_ids_that_differ_by_a_no_break_space_are_one_patient_written_two_ways():
    # "DL-1" and "DL-1\u00a0" (a no-break space a spreadsheet leaves): one patient or two? both rows rejected
    table = pa.table(
        {
            "patient_id": ["DL-1", "DL-1\u00a0"],
            "drug": ["doxorubicin", "vincristine"],
            "ordered_mg": [98.6, 2.0],
            "height_cm": [175.0] * 2,
            "weight_kg": [80.0] * 2,
        }
    )
    found = reasons(verify_table(RCHOP, table))
    assert (
        sorted(found) == [1, 2]
        and "differ only in case, spaces, dashes, invisible characters or look-alike letters" in found[1]
    )


@given(st.lists(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x7F), max_size=8), max_size=20))
def test_ascii_ids_fold_alike_by_either_path(ids):
    # the fast path (ASCII without a space or a control character: lower case, dashes and underscores dropped)
    # folds ids as a person compares them (grammar.as_compared: NFKC, lower case, look-alike letters, digits of
    # any script, without dashes, spaces, control and invisible characters)
    texts = pa.array(ids, pa.string())
    if not _holds_ascii_space(texts):
        fast = pc.replace_substring_regex(pc.ascii_lower(texts), "[-_]", "")
        assert fast.to_pylist() == [as_compared(text) for text in ids]
    else:
        assert any(ord(character) <= 0x20 or character == "\x7f" for text in ids for character in text)


def two_visits(ids: list, priors: list) -> pa.Table:
    """Two doxorubicin orders of 92 mg (cycles 1 and 2, 175 cm, 70 kg), under ``ids``, with ``priors``."""
    return pa.table(
        {
            "patient_id": ids,
            "drug": ["doxorubicin"] * 2,
            "ordered_mg": [92.0] * 2,
            "cycle": [1, 2],
            "day": [1, 1],
            "height_cm": [175.0] * 2,
            "weight_kg": [70.0] * 2,
            "prior_mg_m2": priors,
        }
    )


def assert_alike(result) -> None:
    assert result.rejected["row"].to_pylist() == [1, 2]
    assert "differ only in case, spaces, dashes, invisible characters or look-alike letters" in (
        result.rejected["reason"][0].as_py()
    )


@pytest.mark.parametrize("other", ["DL-1\x7f", "DL\u20101", "DL-1\u034f", "DL-1\x1f", "DL\u22121"])
def test_ids_alike_but_for_a_dash_or_a_control_character_reject_their_rows(other):
    # DEL, U+001F, the combining grapheme joiner, a word processor's hyphen or a minus sign: one patient, whose
    # prior falls from 300 to 200 mg/m² unseen when read as two
    assert_alike(verify_table(RCHOP, two_visits(["DL-1", other], ["300", "200"])))


def test_a_sex_that_is_none_rejects_its_row_whatever_its_order_reads():
    # doxorubicin per m² reads no sex, but "banana" is refused for one patient (--sex banana): its row is rejected
    # too; an empty cell is no sex given, refused only where an order reads it
    table = pa.table(
        {
            "patient_id": ["A", "B", "C"],
            "drug": ["doxorubicin"] * 3,
            "ordered_mg": [81.6] * 3,
            "cycle": [2] * 3,
            "day": [1] * 3,
            "sex": ["banana", "", "F"],
            "height_cm": [160.0] * 3,
            "weight_kg": [60.0] * 3,
        }
    )
    result = verify_table(RCHOP, table)
    assert result.rejected["row"].to_pylist() == [1]
    assert result.rejected["reason"].to_pylist() == [
        "sex='banana' is not known; expected one of: f, female, woman, w, m, male, man"
    ]
    assert sorted(result.verified["row"].to_pylist()) == [2, 3]


@pytest.mark.parametrize(
    "other",
    ["DL2001", "DL 2001", "DL-2001-", "DL-\u0662\u0660\u0660\u0661", "dl_2001"],  # ٢٠٠١: Arabic-Indic digits
)
def test_ids_alike_but_for_a_dash_added_or_digits_of_another_script_reject_their_rows(other):
    # "DL2001" and "DL-2001" were two patients: each one's doxorubicin prior of 500 mg/m² checked apart, the
    # second order's 550 mg/m² reached unseen (label limit 550 mg/m²)
    assert_alike(verify_table(RCHOP, two_visits(["DL-2001", other], ["500", "500"])))


@pytest.mark.parametrize("pair", [("KOT", "K\u0555T"), ("ADA", "\u2c6dDA"), ("pin", "p\u0131n")])
def test_ids_alike_by_an_armenian_latin_alpha_or_dotless_i_letter_reject_their_rows(pair):
    assert_alike(verify_table(RCHOP, two_visits(list(pair), ["", ""])))
