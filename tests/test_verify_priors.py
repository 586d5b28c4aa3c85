"""
Prior exposures and the baseline weight in verification: a prior of a drug
without a lifetime limit is refused (one patient) or rejects its row (a day's
orders), never checked against nothing; a prior is a mapping of drug to
exposure; each prior and condition given is shown as given and as counted,
limit reached or not; a baseline weight must describe a body with the height.

Doses by hand: Mosteller BSA sqrt(H W / 3600) (doi:10.1056/NEJM198710223171717);
R-CHOP-21 as Coiffier et al. 2002 (doi:10.1056/NEJMoa011795); doxorubicin's
limits, 550 mg/m² and 400 mg/m² after mediastinal radiotherapy, from its label.
"""

import json
import math

import pyarrow as pa
import pytest
from numpy.testing import assert_allclose
from test_verify_files import one_line_error, verify_cli

from dosecalc.errors import DoseCalcError, ImplausibleInputError, UnitError, UnknownNameError
from dosecalc.grammar import escaped
from dosecalc.order import Order
from dosecalc.protocol import Protocol, load_protocol
from dosecalc.verify import verify
from dosecalc.verify_table import verify_table

RCHOP = load_protocol("r-chop-21")
PATIENT = {"height": 175, "weight": 70}
# 175 cm, 70 kg: BSA sqrt(175 × 70 / 3600) = 1.84466 m²; doxorubicin 50 mg/m² × 1.84466 = 92.233 mg
BSA = math.sqrt(175 * 70 / 3600)
LIMITED = "bleomycin, daunorubicin, doxorubicin, epirubicin"


#: A patient of R-CHOP-21 given doxorubicin 92 mg, on the command line.
RCHOP_ORDER = ("r-chop-21", "--height", "175cm", "--weight", "70kg", "--ordered", "doxorubicin=92mg")


# --- a prior of a drug without a lifetime limit -------------------------------------


def test_a_prior_of_a_single_order_without_a_lifetime_limit_is_refused():
    # idarubicin 12 mg/m² × 1.84466 = 22.1 mg: the order is right, but 880 mg/m² before it is checked against nothing
    with pytest.raises(ImplausibleInputError) as err:
        verify(Order("idarubicin", "12 mg/m2"), "22 mg", prior={"idarubicin": "880 mg/m2"}, **PATIENT)
    assert err.value.field == "prior" and err.value.value == "idarubicin"
    message = str(err.value)
    assert "dosecalc has no lifetime limit for idarubicin, so its prior exposure cannot be checked" in message
    assert "check it against the label" in message and f"({LIMITED})" in message
    assert "did you mean" not in message


def test_a_prior_of_a_protocol_drug_without_a_lifetime_limit_is_refused():
    with pytest.raises(ImplausibleInputError) as err:
        verify(RCHOP, {"doxorubicin": "92 mg"}, prior={"vincristine": "520 mg/m2"}, **PATIENT)
    assert str(err.value) == (
        "prior=vincristine: expected a drug of the protocol R-CHOP-21 with a lifetime limit (doxorubicin); "
        "dosecalc has no lifetime limit for vincristine, so its prior exposure cannot be checked: "
        "check it against the label"
    )
    # a prior of zero is still a prior of a drug the limits do not count: refused the same way
    with pytest.raises(ImplausibleInputError, match="no lifetime limit for vincristine"):
        verify(RCHOP, {"vincristine": "2 mg"}, prior={"vincristine": "0 mg/m2"}, **PATIENT)


def test_a_prior_of_a_drug_not_in_the_protocol_names_no_other_drug():
    # idarubicin is close to doxorubicin as text, and another drug: it is never offered as the one meant
    with pytest.raises(UnknownNameError) as err:
        verify(RCHOP, {"doxorubicin": "92 mg"}, prior={"idarubicin": "100 mg/m2"}, **PATIENT)
    assert err.value.hint is None and "did you mean" not in str(err.value)
    assert str(err.value) == (
        "prior='idarubicin' is not in the protocol R-CHOP-21; expected one of its drugs with a lifetime limit: "
        "doxorubicin"
    )
    assert err.value.to_dict()["code"] == "unknown_name_error"
    assert err.value.to_dict()["expected"] == "one of its drugs with a lifetime limit: doxorubicin"
    # a protocol with no drug under a limit says so
    with pytest.raises(UnknownNameError, match="none of its drugs has a lifetime limit in dosecalc"):
        verify(load_protocol("carboplatin-paclitaxel"), {"paclitaxel": "300 mg"}, prior={"doxorubicin": "1 mg/m2"})


def test_a_prior_for_an_order_of_no_named_drug_asks_for_the_drug():
    with pytest.raises(UnknownNameError) as err:
        verify("50 mg/m2", "92 mg", prior={"doxorubicin": "400 mg/m2"}, **PATIENT)
    assert str(err.value) == (
        "prior='doxorubicin' is not in the order, which names no drug; "
        "expected the order's drug named, for its lifetime limit"
    )
    # named, the order's drug has doxorubicin's limit: 400 + 92 / 1.84466 = 449.87 mg/m², below 550
    named = verify("50 mg/m2", "92 mg", drug="doxorubicin", prior={"doxorubicin": "400 mg/m2"}, **PATIENT)
    assert named.ok and named.priors[0].counted.m_as("mg/m**2") == 400.0


def test_a_limit_that_applies_under_a_condition_alone_counts_a_prior_only_with_it():
    # a protocol's own limit of drug-x after mediastinal radiotherapy: without the condition, no limit counts it
    protocol = Protocol.from_dict(
        {
            "name": "test",
            "cycle_days": 21,
            "cycles": 2,
            "order": [{"drug": "drug-x", "dose": "10 mg/m2", "days": [1]}],
            "limit": [
                {
                    "drug": "drug-x",
                    "amount": "100 mg/m2",
                    "condition": "mediastinal-radiotherapy",
                    "source": "institutional policy",
                }
            ],
        }
    )
    with pytest.raises(ImplausibleInputError) as err:
        verify(protocol, {"drug-x": "18.4 mg"}, prior={"drug-x": "90 mg/m2"}, **PATIENT)
    assert "drug-x's lifetime limit applies with mediastinal-radiotherapy, not given" in str(err.value)
    # with it (10 mg/m² × 1.84466 = 18.45 mg): 90 + 18.4 / 1.84466 = 99.97 mg/m², below 100 mg/m²;
    # 18.9 mg, +2.46 %, within tolerance: 90 + 10.25 = 100.25 mg/m², reaching it
    below = verify(
        protocol,
        {"drug-x": "18.4 mg"},
        prior={"drug-x": "90 mg/m2"},
        conditions=("mediastinal-radiotherapy",),
        **PATIENT,
    )
    assert below.ok and below.priors[0].limit.amount.m_as("mg/m**2") == 100.0
    reached = verify(
        protocol,
        {"drug-x": "18.9 mg"},
        prior={"drug-x": "90 mg/m2"},
        conditions=("mediastinal-radiotherapy",),
        **PATIENT,
    )
    assert reached.checks[0].verdict == "within_tolerance"
    assert [flag.code for flag in reached.checks[0].flags] == ["lifetime_limit"]
    assert_allclose(dict(reached.checks[0].flags[0].values)["total"].m_as("mg/m**2"), 90 + 18.9 / BSA)


def test_a_prior_named_by_a_brand_or_in_capitals_is_refused_with_the_generic_name():
    with pytest.raises(ImplausibleInputError, match="write 'doxorubicin'"):
        verify(RCHOP, {"doxorubicin": "92 mg"}, prior={"Adriamycin": "100 mg/m2"}, **PATIENT)
    with pytest.raises(ImplausibleInputError, match="write 'doxorubicin'"):
        verify(RCHOP, {"doxorubicin": "92 mg"}, prior={"Doxorubicin": "100 mg/m2"}, **PATIENT)


@pytest.mark.parametrize(
    "args, named",
    [
        (
            ["--dose", "12mg/m2", "--drug", "idarubicin", "--ordered", "22mg", "--prior", "idarubicin=880mg/m2"],
            "idarubicin",
        ),
        (
            ["--dose", "1.4mg/m2", "--drug", "vincristine", "--ordered", "2mg", "--prior", "vincristine=520mg/m2"],
            "vincristine",
        ),
        (["r-chop-21", "--ordered", "doxorubicin=92mg", "--prior", "vincristine=520mg/m2"], "vincristine"),
    ],
)
def test_the_command_refuses_a_prior_without_a_lifetime_limit_in_one_line(args, named):
    line = one_line_error(verify_cli(*args, "--height", "175cm", "--weight", "70kg"))
    assert line.startswith(f"error: --prior {named}: expected a drug")
    assert f"dosecalc has no lifetime limit for {named}, so its prior exposure cannot be checked" in line
    assert "check it against the label" in line


def test_the_command_names_no_other_drug_for_a_prior_not_in_the_protocol():
    result = verify_cli(
        *RCHOP_ORDER,
        "--prior",
        "idarubicin=100mg/m2",
    )
    line = one_line_error(result)
    assert line == (
        "error: --prior 'idarubicin' is not in the protocol R-CHOP-21; "
        "expected one of its drugs with a lifetime limit: doxorubicin"
    )


# --- a prior of the wrong shape ----------------------------------------------------------


@pytest.mark.parametrize("prior", ["520 mg/m2", ["doxorubicin", "520 mg/m2"], [("doxorubicin", "520 mg/m2")], 520])
def test_a_prior_that_is_no_mapping_is_a_dosecalc_error(prior):
    # dict("520 mg/m2") failed as a bare ValueError; a list of pairs would let a drug given twice keep its last
    with pytest.raises(UnitError) as err:
        verify(Order("doxorubicin", "50 mg/m2"), "92 mg", prior=prior, **PATIENT)
    assert isinstance(err.value, DoseCalcError) and err.value.field == "prior"
    assert err.value.expected == "each drug's exposure before this dose: {'doxorubicin': '300 mg/m2'}"


def test_the_prior_mapping_is_read_as_documented():
    # 400 mg/m² + 92 mg / 1.84466 m² = 449.87 mg/m²: below 550, reached against 400 after mediastinal radiotherapy
    result = verify(Order("doxorubicin", "50 mg/m2"), "92 mg", prior={"doxorubicin": "400 mg/m2"}, **PATIENT)
    assert result.ok
    radiotherapy = verify(
        Order("doxorubicin", "50 mg/m2"),
        "92 mg",
        prior={"doxorubicin": "400 mg/m2"},
        conditions=("mediastinal-radiotherapy",),
        **PATIENT,
    )
    assert [flag.code for flag in radiotherapy.checks[0].flags] == ["lifetime_limit"]


# --- a prior in a day's orders ---------------------------------------------------------------


ORDERS = {
    "patient_id": ["A", "A"],
    "drug": ["doxorubicin", "vincristine"],
    "ordered_mg": [92.0, 2.0],
    "cycle": [2, 2],
    "day": [1, 1],
    "height_cm": [175.0, 175.0],
    "weight_kg": [70.0, 70.0],
}


def test_a_prior_on_the_row_of_a_drug_without_a_lifetime_limit_rejects_the_row():
    table = pa.table({**ORDERS, "prior_mg_m2": [None, "520"]})
    result = verify_table(RCHOP, table)
    summary = result.summary()
    assert (summary["rows"], summary["verified"], summary["flagged"], summary["rejected"]) == (2, 1, 0, 1)
    assert_allclose(result.verified["computed_dose"].to_pylist(), [50 * BSA])
    assert result.rejected["row"].to_pylist() == [2]
    assert result.rejected["reason"][0].as_py() == (
        "prior_mg_m2=520 on a vincristine row: dosecalc has no lifetime limit for vincristine, and the prior "
        "column names no drug: whose exposure is it? give a prior on the rows of doxorubicin only "
        "(check vincristine's against the label)"
    )


def test_a_prior_of_zero_on_such_a_row_is_rejected_and_an_empty_cell_is_none():
    table = pa.table({**ORDERS, "prior_mg_m2": ["0", " "]})
    result = verify_table(RCHOP, table)
    # doxorubicin's 0 mg/m² is its exposure: verified; vincristine's empty cell is none: verified too
    assert result.rejected.num_rows == 0 and result.verified.num_rows == 2
    rejected = verify_table(RCHOP, pa.table({**ORDERS, "prior_mg_m2": [None, 0.0]})).rejected
    assert rejected["row"].to_pylist() == [2] and "on a vincristine row" in rejected["reason"][0].as_py()


def test_a_prior_in_a_protocol_without_limits_asks_for_an_empty_column():
    table = pa.table(
        {
            "drug": ["paclitaxel"],
            "ordered_mg": [313.6],
            "height_cm": [170.0],
            "weight_kg": [68.0],
            "prior_mg_m2": [175.0],
        }
    )
    result = verify_table(load_protocol("carboplatin-paclitaxel"), table)
    assert result.rejected.num_rows == 1 and result.checked.num_rows == 0
    assert "leave it empty: no drug of the protocol carboplatin-paclitaxel has a lifetime limit in dosecalc" in (
        result.rejected["reason"][0].as_py()
    )


def test_the_command_rejects_the_vincristine_row_of_a_file_and_verifies_the_other(tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "patient_id,drug,ordered_mg,cycle,day,height_cm,weight_kg,prior_mg_m2\n"
        "A,doxorubicin,92,2,1,175,70,\n"
        "A,vincristine,2,2,1,175,70,520\n"
    )
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = verify_cli("r-chop-21", "--orders", orders, "-o", out, "--rejects", rejects, "--json")
    assert result.exit_code == 4, result.output
    summary = json.loads(result.stdout)["summary"]
    assert (summary["rows"], summary["verified"], summary["flagged"], summary["rejected"]) == (2, 1, 0, 1)
    assert "prior_mg_m2=520 on a vincristine row" in rejects.read_text()


# --- the priors and conditions given, shown ------------------------------------------------------


def test_priors_and_conditions_are_kept_as_given_and_as_counted():
    # 700 mg / 1.84466 m² = 379.47 mg/m², counted against 400 mg/m² (mediastinal radiotherapy); with 92 mg
    # (49.87 mg/m²) 429.35 mg/m², reached
    result = verify(
        RCHOP,
        {"doxorubicin": "92 mg"},
        prior={"doxorubicin": "700 mg"},
        conditions=("mediastinal-radiotherapy",),
        **PATIENT,
    )
    (exposure,) = result.priors
    assert (exposure.drug, exposure.given) == ("doxorubicin", "700 mg")
    assert exposure.amount.m_as("mg") == 700.0
    assert_allclose(exposure.counted.m_as("mg/m**2"), 700 / BSA)
    assert_allclose(exposure.bsa.m_as("m**2"), BSA)
    assert (exposure.limit.amount.m_as("mg/m**2"), exposure.limit.condition) == (400.0, "mediastinal-radiotherapy")
    assert result.conditions == ("mediastinal-radiotherapy",)
    data = result.to_dict()
    assert data["conditions"] == ["mediastinal-radiotherapy"]
    assert data["priors"][0]["given"] == "700 mg" and data["priors"][0]["amount"] == {"value": 700.0, "unit": "mg"}
    assert_allclose(data["priors"][0]["counted"]["value"], 700 / BSA)
    # a prior per m² needs no BSA: counted as given, no BSA named
    per_m2 = verify(RCHOP, {"doxorubicin": "92 mg"}, prior={"doxorubicin": "400 mg/m2"}, **PATIENT).priors[0]
    assert per_m2.counted.m_as("mg/m**2") == 400.0 and per_m2.bsa is None
    # a prior of a drug not ordered today is kept as given, counted by no dose
    unordered = verify(RCHOP, {"vincristine": "2 mg"}, prior={"doxorubicin": "400 mg/m2"}, **PATIENT).priors[0]
    assert unordered.counted is None and unordered.amount.m_as("mg/m**2") == 400.0


def test_the_text_output_shows_each_prior_and_condition_limit_reached_or_not():
    result = verify_cli(
        *RCHOP_ORDER,
        "--prior",
        "doxorubicin=300mg/m2",
        "--condition",
        "mediastinal-radiotherapy",
    )
    # 300 + 49.87 = 349.87 mg/m², below 400: OK, and the prior and the condition are still shown
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    prior = next(line for line in lines if line.startswith("prior doxorubicin"))
    assert prior.split()[2:4] == ["300", "mg/m²"]
    assert prior.endswith("from 300mg/m2; lifetime limit 400 mg/m² (mediastinal-radiotherapy, adults)")
    assert any(line.split() == ["condition", "mediastinal-radiotherapy"] for line in lines)


def test_a_prior_in_mg_shows_todays_bsa_that_converted_it():
    result = verify_cli(
        *RCHOP_ORDER,
        "--prior",
        "doxorubicin=700mg",
    )
    assert result.exit_code == 0, result.output
    prior = next(line for line in result.stdout.splitlines() if line.startswith("prior doxorubicin"))
    # 700 / 1.84466 = 379.47 mg/m², shown to 3 figures; the BSA to 4, as the computation shows it
    assert (
        "from 700mg; 700 mg ÷ today's BSA 1.845 m² (uncapped) = 379 mg/m²; lifetime limit 550 mg/m² (standard, adults)"
        in (prior)
    )


def test_the_json_inputs_carry_each_prior_and_the_conditions():
    result = verify_cli(
        *RCHOP_ORDER,
        "--prior",
        "doxorubicin=700mg",
        "--condition",
        "mediastinal-radiotherapy",
        "--json",
    )
    # 379.47 + 49.87 = 429.35 mg/m², reaching 400: exit 4, and the inputs say what was given
    assert result.exit_code == 4, result.output
    data = json.loads(result.stdout)
    assert [flag["code"] for flag in data["verification"]["checks"][0]["flags"]] == ["lifetime_limit"]
    assert data["inputs"]["prior doxorubicin"] == {"given": "700mg", "value": 700.0, "unit": "mg"}
    assert data["inputs"]["conditions"] == {
        "given": "mediastinal-radiotherapy",
        "value": "mediastinal-radiotherapy",
        "unit": None,
    }
    (prior,) = data["verification"]["priors"]
    assert_allclose([prior["counted"]["value"], prior["bsa"]["value"]], [700 / BSA, BSA])
    assert prior["limit"]["amount"] == {"value": 400.0, "unit": "mg/m²"}


# --- a baseline weight that describes no body -----------------------------------------------------


def test_a_baseline_weight_that_describes_no_body_is_refused():
    # 0.2 kg at 175 cm: BMI 0.0653 kg/m², no body; the weight change from it would be +34900 %
    with pytest.raises(ImplausibleInputError) as err:
        verify(Order("doxorubicin", "50 mg/m2"), "92 mg", baseline_weight="0.2 kg", **PATIENT)
    assert err.value.field == "height, baseline_weight"
    assert str(err.value).startswith("height, baseline_weight=175 cm, 0.2 kg (BMI 0.0653 kg/m²): expected a body")
    # a plausible baseline is read: 70 kg against 80 kg is −12.5 %, flagged
    changed = verify(Order("doxorubicin", "50 mg/m2"), "92 mg", baseline_weight="80 kg", **PATIENT)
    assert_allclose(changed.weight_change_pct, -12.5)


def test_the_command_refuses_a_baseline_weight_that_describes_no_body():
    result = verify_cli(
        "--dose", "75mg/m2", "--height", "175cm", "--weight", "70kg", "--baseline-weight", "0.2kg", "--ordered", "138mg"
    )
    line = one_line_error(result)
    assert line.startswith("error: height, baseline_weight=175 cm, 0.2 kg (BMI 0.0653 kg/m²): expected a body")
    assert "34900" not in result.output


def test_a_baseline_weight_that_describes_no_body_rejects_its_row():
    table = pa.table({**ORDERS, "patient_id": ["A", "B"], "baseline_weight_kg": [0.2, 70.0]})
    result = verify_table(RCHOP, table)
    assert result.rejected["row"].to_pylist() == [1]
    assert (
        result.rejected["reason"][0]
        .as_py()
        .startswith("height_cm, baseline_weight_kg=175 cm, 0.2 kg (BMI 0.0653 kg/m²): expected a body")
    )
    # the other row's baseline is the weight: no change, verified (vincristine 1.4 × 1.84466 = 2.58 mg, capped at 2)
    assert result.verified["row"].to_pylist() == [2] and result.verified["weight_change_pct"].to_pylist() == [0.0]


def test_a_prior_per_m2_against_a_limit_in_units_shows_the_bsa_that_multiplied_it():
    # ABVD, 175 cm, 80 kg: BSA sqrt(175 × 80 / 3600) = 1.97203 m²; bleomycin 200 units/m² × 1.97203 = 394.4 units,
    # counted against the label's 400 units (19.7 units more reach it: 414.1 units)
    result = verify_cli(
        "abvd",
        "--height",
        "175cm",
        "--weight",
        "80kg",
        "--ordered",
        "bleomycin=19.7units",
        "--prior",
        "bleomycin=200units/m2",
    )
    assert result.exit_code == 4, result.output
    prior = next(line for line in result.stdout.splitlines() if line.startswith("prior bleomycin"))
    assert "200 units/m² × today's BSA 1.972 m² (uncapped) = 394 units; lifetime limit 400 units (standard)" in prior
    exposure = verify(
        load_protocol("abvd"),
        {"bleomycin": "19.7 units"},
        prior={"bleomycin": "200 units/m2"},
        height=175,
        weight=80,
    ).priors[0]
    assert_allclose(exposure.counted.m_as("units"), 200 * math.sqrt(175 * 80 / 3600))


def two_cycles(drugs: list, priors: list) -> dict:
    """Patient A's orders of R-CHOP's ``drugs`` on day 1 of cycles 1 and 2 (doxorubicin 92 mg, vincristine 2 mg),
    175 cm and 70 kg, with their ``priors`` (prior_mg_m2 cells)."""
    ordered = {"doxorubicin": 92.0, "vincristine": 2.0}
    return {
        "patient_id": ["A"] * 4,
        "drug": drugs * 2,
        "ordered_mg": [ordered[drug] for drug in drugs] * 2,
        "cycle": [1, 1, 2, 2],
        "day": [1] * 4,
        "height_cm": [175.0] * 4,
        "weight_kg": [70.0] * 4,
        "prior_mg_m2": priors,
    }


def test_a_prior_falls_only_against_the_same_drugs_prior():
    # a vincristine row holds no doxorubicin prior: its empty cell after doxorubicin's 100 mg/m² is no fall;
    # doxorubicin's own empty cell at cycle 2 is
    rows = two_cycles(["vincristine", "doxorubicin"], ["", "100", "", "150"])
    result = verify_table(RCHOP, pa.table(rows))
    assert result.rejected.num_rows == 0 and result.verified.num_rows == 4
    rows["prior_mg_m2"] = ["", "100", "", ""]
    result = verify_table(RCHOP, pa.table(rows))
    assert result.rejected["row"].to_pylist() == [2, 4]
    assert set(result.rejected["reason"].to_pylist()) == {
        "patient_id='A': prior_mg_m2 100 at cycle 1 day 1, then none at cycle 2 day 1; an exposure only grows: "
        "correct the file"
    }


def test_the_files_earlier_orders_of_a_drug_count_towards_its_lifetime_limit():
    # doxorubicin 92 mg at BSA 1.84466 m² is 49.874 mg/m²; its limit 550 mg/m² (label). Cycle 1 after 460 mg/m²:
    # 509.87, under the limit. Cycle 2 gives 460 again (not brought up to date): read alone, 509.87 again; with
    # cycle 1's order counted, 509.87 before it and 559.75 with it, past 550
    rows = two_cycles(["doxorubicin", "vincristine"], ["460", "", "460", ""])
    result = verify_table(RCHOP, pa.table(rows))
    assert result.flagged["row"].to_pylist() == [3]
    assert result.flagged["flags"].to_pylist() == ["lifetime_limit"]
    before = 460 + 92 / BSA
    assert result.flagged["detail"].to_pylist() == [
        f"doxorubicin: {before:.4g} mg/m² before this order, counting the patient's earlier doxorubicin orders "
        "in this file (its prior gives 460 mg/m²)"
    ]
    # the rows in another order are the same visits: cycle 2 first in the file is still after cycle 1
    reordered = {name: values[2:] + values[:2] for name, values in rows.items()}
    assert verify_table(RCHOP, pa.table(reordered)).flagged["row"].to_pylist() == [1]
    # a prior that already counts cycle 1 (510) gives the same exposure, and no detail
    result = verify_table(RCHOP, pa.table({**rows, "prior_mg_m2": ["460", "", "510", ""]}))
    assert result.flagged["flags"].to_pylist() == ["lifetime_limit"] and result.flagged["detail"].to_pylist() == [None]
    # a later prior above the earlier one and its dose is the patient's: it is kept (the largest)
    result = verify_table(RCHOP, pa.table({**rows, "prior_mg_m2": ["100", "", "300", ""]}))
    assert result.flagged.num_rows == 0 and result.verified.num_rows == 4
    # another patient's orders never count: B's cycle 1 is not A's
    result = verify_table(RCHOP, pa.table({**rows, "patient_id": ["B", "B", "A", "A"]}))
    assert result.flagged.num_rows == 0
    # without the column, no prior: the file's orders alone, 11 of them at 49.874 mg/m² reach 548.6, 12 reach 598.5
    many = {
        "patient_id": ["A"] * 12,
        "drug": ["doxorubicin"] * 12,
        "ordered_mg": [92.0] * 12,
        "cycle": list(range(1, 13)),
        "height_cm": [175.0] * 12,
        "weight_kg": [70.0] * 12,
    }
    flagged = verify_table(RCHOP, pa.table(many)).flagged
    assert "lifetime_limit" in flagged.filter(pa.compute.equal(flagged["row"], 12))["flags"].to_pylist()[0]
    assert not any(
        "lifetime_limit" in flags for flags in flagged.filter(pa.compute.less(flagged["row"], 12))["flags"].to_pylist()
    )


def test_a_rejected_earlier_order_counts_for_nothing():
    # cycle 1 with a height that is no body is rejected: its dose is no order to count
    rows = {
        "patient_id": ["A"] * 2,
        "drug": ["doxorubicin"] * 2,
        "ordered_mg": [92.0, 92.0],
        "cycle": [1, 2],
        "day": [1, 1],
        "height_cm": ["1.75", "175"],
        "weight_kg": [70.0] * 2,
        "prior_mg_m2": ["460", "460"],
    }
    # (rejected, it is corrected and the file verified again: then it counts)
    result = verify_table(RCHOP, pa.table(rows))
    assert result.rejected["row"].to_pylist() == [1]
    assert result.verified["row"].to_pylist() == [2] and result.flagged.num_rows == 0
    rows["height_cm"] = ["175", "175"]
    assert verify_table(RCHOP, pa.table(rows)).flagged["row"].to_pylist() == [2]


MG_PER_KG = Protocol.from_dict(
    {"name": "t", "cycle_days": 21, "cycles": 6, "order": [{"drug": "doxorubicin", "dose": "1.5 mg/kg", "days": [1]}]}
)


def test_a_limit_that_cannot_be_checked_is_never_ok():
    # 105 mg after 540 mg/m²: with a BSA under 10.5 m², past doxorubicin's 550 mg/m² (label); without height, no
    # BSA converts 105 mg to mg/m², and the order was "ok" with no flag
    result = verify(Order("doxorubicin", "1.5 mg/kg"), "105 mg", weight=70, prior={"doxorubicin": "540 mg/m2"})
    assert not result.ok
    (flag,) = [flag for check in result.checks for flag in check.flags]
    assert flag.code == "lifetime_unchecked"
    assert flag.message == (
        "this dose, 105 mg, cannot be counted against the lifetime limit of 550 mg/m² without a BSA: "
        "give height and weight"
    )
    table = verify_table(
        MG_PER_KG,
        pa.table({"patient_id": ["A"], "drug": ["doxorubicin"], "ordered_mg": [105.0], "weight_kg": [70.0]}),
    )
    assert table.verified.num_rows == 0 and table.flagged["flags"].to_pylist() == ["lifetime_unchecked"]
    assert table.flagged["detail"].to_pylist() == [
        "doxorubicin: this dose cannot be counted against the lifetime limit of 550 mg/m² without a BSA: "
        "give height and weight"
    ]
    # with a height, it is counted: 1.5 mg/kg × 70 kg at BSA 1.8447 m² is 56.9 mg/m², 540 + 56.9 past 550
    counted = verify(
        Order("doxorubicin", "1.5 mg/kg"), "105 mg", weight=70, height=175, prior={"doxorubicin": "540 mg/m2"}
    )
    assert [flag.code for check in counted.checks for flag in check.flags] == ["lifetime_limit"]


def test_a_plan_whose_limit_cannot_be_checked_exits_4(tmp_path):
    # doxorubicin 2 mg/kg a cycle for 70 kg: 140 mg; 6 cycles 840 mg, per m² of no BSA known
    from typer.testing import CliRunner

    from dosecalc.cli import app

    path = tmp_path / "t.toml"
    path.write_text(
        'name = "t"\ncycle_days = 28\ncycles = 6\n[[order]]\ndrug = "doxorubicin"\ndose = "2 mg/kg"\ndays = [1]\n'
    )
    result = CliRunner().invoke(app, ["plan", str(path), "--weight", "70kg"])
    assert result.exit_code == 4, result.output
    assert "NOT CHECKED: the limit is in mg/m² and the dose in mg; give height and weight (a BSA) to compare them" in (
        " ".join(result.output.split())
    )
    assert CliRunner().invoke(app, ["plan", str(path), "--weight", "70kg", "--height", "175cm"]).exit_code == 0


CONDITION_ROWS = {
    "patient_id": ["A", "A", "B", "B"],
    "drug": ["doxorubicin", "vincristine", "doxorubicin", "vincristine"],
    "ordered_mg": [92.0, 2.0, 92.0, 2.0],
    "cycle": [6] * 4,
    "day": [1] * 4,
    "height_cm": [175.0] * 4,
    "weight_kg": [70.0] * 4,
    "prior_mg_m2": ["360", "", "360", ""],
}


def test_a_condition_column_gives_each_patient_its_own_limit():
    # 360 + 49.874 mg/m² = 409.9: past doxorubicin's 400 mg/m² after mediastinal radiotherapy, under its 550
    # (label); A's condition is written on its vincristine row: it is A's, on A's doxorubicin row; B has none
    rows = {**CONDITION_ROWS, "condition": ["", "mediastinal-radiotherapy", "", ""]}
    result = verify_table(RCHOP, pa.table(rows))
    assert result.rejected.num_rows == 0
    assert result.flagged["row"].to_pylist() == [1] and result.flagged["flags"].to_pylist() == ["lifetime_limit"]
    assert result.flagged["detail"].to_pylist() == [
        "doxorubicin: the lifetime limit under mediastinal-radiotherapy, 400 mg/m², as the patient's other rows give it"
    ]
    # on its own row: no detail; several names, spaces around separators, and a name twice read as one
    for cell in ("mediastinal-radiotherapy", " mediastinal-radiotherapy ; mediastinal-radiotherapy"):
        rows = {**CONDITION_ROWS, "condition": [cell, "", "", ""]}
        flagged = verify_table(RCHOP, pa.table(rows)).flagged
        assert flagged["row"].to_pylist() == [1] and flagged["detail"].to_pylist() == [None]
    # the whole column empty (or the same as --condition for every row) changes nothing
    assert verify_table(RCHOP, pa.table({**CONDITION_ROWS, "condition": [""] * 4})).flagged.num_rows == 0
    both = verify_table(RCHOP, pa.table(CONDITION_ROWS), conditions=("mediastinal-radiotherapy",)).flagged
    assert both["row"].to_pylist() == [1, 3]


@pytest.mark.parametrize(
    "cell, hint",
    [
        ("mediastinal radiotherapy", "; did you mean 'mediastinal-radiotherapy'?"),
        ("Mediastinal-Radiotherapy", "; did you mean 'mediastinal-radiotherapy'?"),
        ("mediastinal-radiotherapy,", ""),  # an empty name after the comma
        ("mediastinal-radiotherapy\u200b", "; did you mean 'mediastinal-radiotherapy'?"),
        ("yes", ""),
    ],
)
def test_a_condition_that_is_none_rejects_every_row_of_its_patient(cell, hint):
    # which limit is A's? not the standard one silently: every row of A rejected, B verified
    rows = {**CONDITION_ROWS, "condition": ["", cell, "", ""]}
    result = verify_table(RCHOP, pa.table(rows))
    said = (
        f"condition={escaped(cell)} is not known; expected empty (none), or one or more of: "
        f"mediastinal-radiotherapy, separated by ',' or ';'{hint}"
    )
    assert result.rejected["row"].to_pylist() == [1, 2]
    assert result.rejected["reason"].to_pylist() == [f"patient_id='A': {said}", said]
    assert result.verified["row"].to_pylist() == [3, 4]
    # without patient_id, its own row alone
    alone = verify_table(RCHOP, pa.table({key: value for key, value in rows.items() if key != "patient_id"}))
    assert alone.rejected["row"].to_pylist() == [2]


def test_two_condition_columns_are_refused():
    with pytest.raises(DoseCalcError, match="several condition columns: condition, Conditions; keep one"):
        verify_table(RCHOP, pa.table({**CONDITION_ROWS, "condition": [""] * 4, "Conditions": [""] * 4}))


def test_two_priors_of_one_drug_on_one_visit_reject_both_rows():
    # a duplicate order of doxorubicin with 480 and 100 mg/m² before it: which exposure is the patient's?
    rows = {
        "patient_id": ["A"] * 3,
        "drug": ["doxorubicin", "Doxorubicin", "vincristine"],
        "ordered_mg": [92.0, 92.0, 2.0],
        "cycle": [2] * 3,
        "day": [1] * 3,
        "height_cm": [175.0] * 3,
        "weight_kg": [70.0] * 3,
        "prior_mg_m2": ["480", "100", ""],
    }
    result = verify_table(RCHOP, pa.table(rows))
    assert result.rejected["row"].to_pylist() == [1, 2]
    assert set(result.rejected["reason"].to_pylist()) == {
        "patient_id='A': the doxorubicin rows of cycle 2 day 1 give prior_mg_m2 480, 100; which is the patient's? "
        "correct the file"
    }
    assert result.verified["row"].to_pylist() == [3]
    rows["prior_mg_m2"] = ["100", "100", ""]  # agreeing: the duplicate is flagged, not rejected
    result = verify_table(RCHOP, pa.table(rows))
    assert result.rejected.num_rows == 0 and result.flagged["flags"].to_pylist() == ["duplicate_order"] * 2


@pytest.mark.parametrize(
    "drug, meant",
    [("doxorubicine", "doxorubicin"), ("doxorubicin hydrochloride", "doxorubicin"), ("bleomicin", "bleomycin")],
)
def test_a_drug_written_otherwise_than_one_with_a_lifetime_limit_is_refused(drug, meant):
    # 600 mg/m² of doxorubicin reaches its 550 mg/m² limit (NEEDS ATTENTION); misspelt, it was "OK", exit 0
    line = one_line_error(
        verify_cli("--dose", "600mg/m2", "--drug", drug, "--height", "160cm", "--weight", "60kg", "--ordered", "980mg")
    )
    assert line == (
        f"error: --drug {drug!r}: expected a drug's generic name: {meant} has a lifetime limit, never checked for "
        f"an order named otherwise; write {meant!r}"
    )


@pytest.mark.parametrize("drug", ["idarubicin", "epirubicin", "valrubicin", "liposomal doxorubicin"])
def test_other_drugs_of_a_family_are_not_taken_for_a_slip(drug):
    # idarubicin is as alike to daunorubicin (0.82) as a family's drugs are: below the slip's 0.85
    result = verify_cli(
        "--dose", "12mg/m2", "--drug", drug, "--height", "160cm", "--weight", "60kg", "--ordered", "20mg"
    )
    assert result.exit_code in (0, 4), result.output


@pytest.mark.parametrize(
    "column, said",
    [
        ("priors_mg_m2", "a prior exposure is prior_<unit>"),
        ("cumulative_mg_m2", "a prior exposure is prior_<unit>"),
        ("conditon", "a patient's conditions are in a column named condition"),
        ("cond", "a patient's conditions are in a column named condition"),
        ("mediastinal_radiotherapy", "a patient's conditions are in a column named condition"),
    ],
)
def test_a_column_named_nearly_as_a_prior_or_a_condition_is_refused(column, said):
    # "priors_mg_m2" 520 was read as nothing: 520 + 50 mg/m² past doxorubicin's 550 (label) verified "ok"
    rows = {**ORDERS, column: ["520", ""]}
    with pytest.raises(DoseCalcError) as refused:
        verify_table(RCHOP, pa.table(rows))
    assert str(refused.value) == f"orders: a column named {column!r} is read as nothing; {said}" + (
        " (prior_mg_m2, prior_mg, prior_units)" if "prior_<unit>" in said else ""
    )


def test_an_order_on_an_ideal_weight_is_counted_per_m2_of_the_bodys_bsa_where_smaller():
    # 48.4 mg after 520 mg/m²: per m² of the ideal weight's BSA (1.936 m²) 545, under doxorubicin's 550 (label);
    # per m² of the body's (1.581 m², Mosteller 1987), 550.6, past it: counted by the smaller
    order = Order("doxorubicin", "25 mg/m2", weight_basis="ideal")
    result = verify(order, "48.4 mg", height=180, weight=50, sex="m", prior={"doxorubicin": "520 mg/m2"})
    assert [flag.code for check in result.checks for flag in check.flags] == ["lifetime_limit"]
    assert not result.ok


def test_a_days_order_on_an_ideal_weight_is_counted_per_m2_of_the_bodys_bsa_where_smaller():
    # as for one patient: 48.4 mg after 520 mg/m² is 550.6 mg/m² of the body's BSA (1.581 m²), past 550
    protocol = Protocol.from_dict(
        {
            "name": "t",
            "cycle_days": 21,
            "cycles": 6,
            "order": [{"drug": "doxorubicin", "dose": "25 mg/m2", "weight_basis": "ideal", "days": [1]}],
        }
    )
    rows = {
        "patient_id": ["A", "B"],
        "drug": ["doxorubicin"] * 2,
        "ordered_mg": [48.4, 48.4],
        "height_cm": [180.0] * 2,
        "weight_kg": [50.0] * 2,
        "sex": ["m"] * 2,
        "prior_mg_m2": ["520", "500"],
    }
    result = verify_table(protocol, pa.table(rows))
    assert result.flagged["row"].to_pylist() == [1] and result.flagged["flags"].to_pylist() == ["lifetime_limit"]
    assert result.verified["row"].to_pylist() == [2]  # 500 + 30.6 = 530.6: under it


@pytest.mark.parametrize("column", ["condition_notes", "conduct_date", "previous_diagnosis", "notes"])
def test_other_columns_of_an_orders_file_pass_through(column):
    # a column named unlike a prior or a condition is the file's own, kept as it is
    result = verify_table(RCHOP, pa.table({**ORDERS, column: ["x", "y"]}))
    assert result.checked[column].to_pylist() == ["x", "y"]
