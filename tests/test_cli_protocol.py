"""protocol list, protocol show and plan on the command line."""

import json

import pytest
from typer.testing import CliRunner

import dosecalc.cli.protocol  # noqa: F401  (registers the commands)
from dosecalc.cli import app
from dosecalc.cli.protocol import NEEDS_ATTENTION as PLAN_NEEDS_ATTENTION
from dosecalc.cli.protocol import read_priors
from dosecalc.cli.verify import NEEDS_ATTENTION
from dosecalc.errors import DoseCalcError
from dosecalc.grammar import escaped

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_protocol_list_json():
    result = run("protocol", "list", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["command"] == "protocol list"
    names = [entry["name"] for entry in data["protocols"]]
    assert names == ["abvd", "carboplatin-paclitaxel", "imgn901-rd", "mfolfox6", "r-chop-21"]


def test_protocol_show():
    result = run("protocol", "show", "r-chop-21")
    assert result.exit_code == 0, result.output
    assert "max 2 mg" in result.output and "Coiffier" in result.output
    data = json.loads(run("protocol", "show", "mfolfox6", "--json").output)["protocol"]
    assert [order["note"] for order in data["orders"] if order["drug"] == "fluorouracil"] == [
        "IV bolus",
        "continuous IV infusion over 46 hours",
    ]


def test_plan_text_marks_the_cap_and_the_limit():
    # vincristine 1.4 mg/m² × 1.84 m² = 2.58 mg, capped at 2 mg; doxorubicin 150 + 8 × 50 = 550 mg/m²: the limit
    result = run("plan", "r-chop-21", "--height", "175cm", "--weight", "70kg", "--prior", "doxorubicin=150mg/m2")
    assert result.exit_code == 4, result.output  # the limit reached within the 8 cycles planned
    vincristine = next(line for line in result.output.splitlines() if "vincristine" in line and "mg/m²" in line)
    assert "2 mg" in vincristine and "max dose (2.58 mg → 2 mg)" in vincristine
    doxorubicin = [line for line in result.output.splitlines() if line.startswith("doxorubicin")][-1]
    assert "(550 mg/m²)" in doxorubicin and "REACHED at cycle 8" in doxorubicin


def test_plan_json_has_every_step():
    result = run("plan", "r-chop-21", "--height", "180cm", "--weight", "80kg", "--cycles", "2", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["command"] == "plan"
    assert data["inputs"]["height"] == {"given": "180cm", "value": 180.0, "unit": "cm"}
    orders = data["schedule"]["orders"]
    assert [step["name"] for step in orders[3]["steps"]] == ["prescribed", "calculation", "max dose"]
    assert orders[2]["dose"]["value"] == pytest.approx(100.0)  # doxorubicin 50 mg/m² × 2.0 m²
    assert len(data["schedule"]["administrations"]) == 2 * 9
    doxorubicin = next(e for e in data["cumulative"]["exposures"] if e["drug"] == "doxorubicin")
    assert doxorubicin["total"]["value"] == pytest.approx(200.0)


def test_plan_carboplatin_from_creatinine():
    # Cockcroft-Gault (140 − 60) × 60 / (72 × 0.8) × 0.85 = 70.8 mL/min; Calvert 5 × (70.8 + 25) = 479 mg
    result = run(
        "plan",
        "carboplatin-paclitaxel",
        "--height",
        "165cm",
        "--weight",
        "60kg",
        "--sex",
        "f",
        "--age",
        "60",
        "--creatinine",
        "0.8mg/dL",
        "--json",
    )
    assert result.exit_code == 0, result.output
    carboplatin = json.loads(result.output)["schedule"]["orders"][1]
    assert carboplatin["dose"]["value"] == pytest.approx(5 * ((140 - 60) * 60 / (72 * 0.8) * 0.85 + 25))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "r-chop-14", "--height", "175cm", "--weight", "70kg"), "r-chop-21"),
        (("plan", "imgn901-rd", "--height", "175cm", "--weight", "70kg"), "--cycles"),
        (("plan", "r-chop-21", "--height", "175cm", "--weight", "70kg", "--prior", "doxorubicin"), "drug=amount"),
        (
            (
                "plan",
                "r-chop-21",
                "--height",
                "175cm",
                "--weight",
                "70kg",
                "--prior",
                "doxorubicin=1mg/m2",
                "--prior",
                "doxorubicin=2mg/m2",
            ),
            "twice",
        ),
        (
            ("plan", "r-chop-21", "--height", "175cm", "--weight", "70kg", "--prior", "Adriamycin=150mg/m2"),
            "doxorubicin",
        ),
        (
            ("plan", "r-chop-21", "--height", "175cm", "--weight", "70kg", "--prior", "doxorubicin=150–200mg/m2"),
            "prior doxorubicin",
        ),
        (
            ("plan", "r-chop-21", "--height", "175cm", "--weight", "70kg", "--condition", "radiotherapy"),
            "mediastinal-radiotherapy",
        ),
        (("plan", "r-chop-21", "--height", "175cm"), "weight"),
        (("plan", "r-chop-21", "--height", "70kg", "--weight", "175cm"), "height"),
        (("plan", "r-chop-21", "--height", "175cm", "--weight", "70kg", "--cycles", "0"), "cycles"),
        (("protocol", "show", "no-such-file.toml"), "no-such-file.toml"),
    ],
)
def test_plan_refusals(args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.output


def test_plan_of_a_file(tmp_path):
    path = tmp_path / "weekly.toml"
    path.write_text(
        'name = "weekly"\ncycle_days = 7\ncycles = 3\n[[order]]\ndrug = "paclitaxel"\ndose = "80 mg/m2"\ndays = [1]\n',
        encoding="utf-8",
    )
    result = run("plan", str(path), "--bsa", "2.0", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["schedule"]["orders"][0]["dose"]["value"] == pytest.approx(160.0)  # 80 × 2.0
    assert data["cumulative"]["exposures"][0]["total"]["value"] == pytest.approx(480.0)  # 3 × 160


def test_plan_with_a_named_anthracycline_equivalence():
    # Feijen 2019: epirubicin 0.8; 0.8 × 250 = 200 mg/m² before, 50 mg/m² a cycle: (550 − 200) / 50 = 7
    args = ("plan", "r-chop-21", "--height", "175cm", "--weight", "70kg", "--prior", "epirubicin=250mg/m2")
    assert run(*args).exit_code == 2  # not converted unless a conversion is named
    result = run(*args, "--equivalence", "feijen-2019")
    assert result.exit_code == 4, result.output  # reached at cycle 7 of 8
    line = next(line for line in result.output.splitlines() if line.startswith("doxorubicin-equivalent"))
    assert "200 mg/m²" in line and "REACHED at cycle 7" in line
    assert "doi:10.1001/jamaoncol.2018.6634" in result.output


def test_plan_errors_about_the_patient_name_the_option():
    result = run("plan", "abvd", "--bsa", "2.5", "--height", "175cm", "--weight", "70kg")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --bsa '2.5': expected within 5 % of 1.84 m²")  # as typed
    result = run("plan", "carboplatin-paclitaxel", "--height", "165cm", "--weight", "60kg")
    assert result.exit_code == 2 and "carboplatin" in result.stderr  # the order that needs a GFR says so


@pytest.mark.parametrize(
    "args, nearest",
    [
        (["plan", "r-chop21", "--bsa", "1.9"], "r-chop-21"),
        (["plan", "RCHOP", "--bsa", "1.9"], "r-chop-21"),
        (["protocol", "show", "mfolfox-6"], "mfolfox6"),
        (["verify", "abdv", "--bsa", "1.9", "--ordered", "doxorubicin=47.5mg"], "abvd"),
        (["protocol", "show", "xyz"], None),  # nothing near: the names alone
        (["protocol", "show", ""], None),  # not the current folder, which the empty path names
        (["plan", "r-chop-21\u200b", "--bsa", "1.9"], "r-chop-21"),  # an invisible character pasted along
    ],
)
def test_unknown_protocol_name_suggests_the_nearest(args, nearest):
    result = run(*args)
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: --protocol {args[1 if args[0] != 'protocol' else 2]!r} is not known")
    assert "abvd, carboplatin-paclitaxel, imgn901-rd, mfolfox6, r-chop-21" in line
    if nearest is None:
        assert "did you mean" not in line
    else:
        assert line.endswith(f"; did you mean {nearest!r}?")
        report = json.loads(run(*args, "--json").stdout)
        assert report["hint"] == f"did you mean {nearest!r}?" and report["field"] == "--protocol"
        assert report["command"] == ("protocol show" if args[0] == "protocol" else args[0])


@pytest.mark.parametrize(
    "patient, gfr",
    [
        # Cockcroft-Gault (Nephron 1976;16:31): (140 − 62) × 68 / (72 × 0.9) × 0.85 = 69.57 mL/min; Calvert
        # (J Clin Oncol 1989;7:1748): 5 × (69.57 + 25) = 473 mg; under the FDA cap of 125 mL/min
        (
            "--sex f --age 62 --creatinine 0.9mg/dL",
            "Calvert at GFR 69.6 mL/min (Cockcroft-Gault; fda cap 125 mL/min not applied)",
        ),
        # a measured 140 mL/min capped at 125: 5 × (125 + 25) = 750 mg
        (
            "--gfr 140mL/min",
            "Calvert at GFR 140 mL/min (measured; fda cap 125 mL/min applied: the dose uses 125 mL/min)",
        ),
    ],
)
def test_plan_says_which_gfr_dosed_carboplatin(patient, gfr):
    result = run("plan", "carboplatin-paclitaxel", "--height", "165cm", "--weight", "68kg", *patient.split())
    assert result.exit_code == 0, result.output
    (row,) = [line for line in result.stdout.splitlines() if " carboplatin " in line and "mg·min/mL" in line]
    assert row.endswith(gfr), row
    assert ("473 mg" if "creatinine" in patient else "750 mg") in row


def test_plan_of_one_cycle_says_cycle():
    result = run("plan", "r-chop-21", "--height", "175cm", "--weight", "70kg", "--cycles", "1")
    assert result.exit_code == 0 and "cumulative after 1 cycle " in result.output


def test_plan_and_verify_take_a_gfr_per_173_m2():
    # de-indexed by the BSA as `dosecalc carboplatin --gfr ... --bsa` does: 90 × 1.66 / 1.73 = 86.36 mL/min;
    # Calvert (J Clin Oncol 1989;7:1748): 5 × (86.36 + 25) = 556.8 mg
    patient = ("--bsa", "1.66", "--gfr", "90 mL/min/1.73m2")
    result = run("plan", "carboplatin-paclitaxel", *patient)
    assert result.exit_code == 0, result.output
    (row,) = [line for line in result.stdout.splitlines() if " carboplatin " in line and "mg·min/mL" in line]
    assert "557 mg" in row and "Calvert at GFR 86.4 mL/min (90 mL/min/1.73 m² × BSA / 1.73 m², measured;" in row
    assert "gfr     90 mL/min/1.73 m²  from 90 mL/min/1.73m2" in result.stdout
    data = json.loads(run("plan", "carboplatin-paclitaxel", *patient, "--json").stdout)
    assert data["inputs"]["gfr"] == {"given": "90 mL/min/1.73m2", "value": 90.0, "unit": "mL/min/1.73 m²"}
    carboplatin = next(order for order in data["schedule"]["orders"] if order["drug"] == "carboplatin")
    assert carboplatin["dose"]["value"] == pytest.approx(5 * (90 * 1.66 / 1.73 + 25))
    result = run("verify", "carboplatin-paclitaxel", *patient, "--ordered", "carboplatin=557mg")
    assert result.exit_code == 0, result.output
    result = run("verify", "carboplatin-paclitaxel", *patient, "--ordered", "carboplatin=557mg", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["inputs"]["gfr"]["given"] == "90 mL/min/1.73m2"
    # without a BSA it cannot be de-indexed: one line, exit 2
    result = run("plan", "carboplatin-paclitaxel", "--gfr", "90 mL/min/1.73m2")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1, result.output


@pytest.mark.parametrize("as_json", [(), ("--json",)])
def test_plan_exits_4_when_a_lifetime_limit_is_reached(as_json):
    # doxorubicin label (Adriamycin, Bedford 2013): 550 mg/m² cumulative; 600 mg/m² before cycle 1 exceeds it
    args = ("plan", "r-chop-21", "--height", "175cm", "--weight", "70kg", *as_json)
    result = run(*args, "--prior", "doxorubicin=600mg/m2")
    assert result.exit_code == PLAN_NEEDS_ATTENTION == NEEDS_ATTENTION == 4, (
        result.output
    )  # verify's code, the same condition
    if not as_json:
        assert "REACHED before cycle 1" in result.stdout
    else:
        assert json.loads(result.stdout)["command"] == "plan"  # the whole answer, then the code
    # 150 + 50 × 7 = 500 mg/m² after the 7 cycles planned: below 550, exit 0; 8 cycles reach it
    assert run(*args, "--prior", "doxorubicin=150mg/m2", "--cycles", "7").exit_code == 0
    assert run(*args, "--prior", "doxorubicin=150mg/m2", "--cycles", "8").exit_code == 4
    assert "Exit 0, or 4 when a lifetime limit is reached" in " ".join(run("plan", "--help").stdout.split())


def test_a_protocol_whose_one_cycle_exceeds_a_lifetime_limit_is_refused(tmp_path):
    # doxorubicin 50 mg/m² on days 1-28: 28 × 50 = 1400 mg/m² in one cycle, above the label's 550 mg/m²
    path = tmp_path / "daily-doxorubicin.toml"
    path.write_text(
        'name = "t"\ncycle_days = 28\ncycles = 4\n[[order]]\ndrug = "doxorubicin"\ndose = "50 mg/m2"\ndays = "1-28"\n',
        encoding="utf-8",
    )
    for command in ("plan", "verify"):
        extra = ("--ordered", "doxorubicin=92mg") if command == "verify" else ()
        result = run(command, str(path), "--height", "175cm", "--weight", "70kg", *extra)
        assert result.exit_code == 2, result.output
        (line,) = result.stderr.strip().splitlines()
        assert (
            line.startswith("error: ")
            and "doxorubicin per cycle=1400 mg/m² (order 1: 50 mg/m² × 28 administrations)" in line
        )
        assert "expected at most the lifetime limit, 550 mg/m², in one cycle" in line
    # 11 × 50 = 550 mg/m²: one cycle may reach the limit, not exceed it
    path.write_text(path.read_text(encoding="utf-8").replace("1-28", "1-11"), encoding="utf-8")
    assert run("protocol", "show", str(path)).exit_code == 0


@pytest.mark.parametrize("name", ["lorvotuzumab mertansine", "IMGN901", "imgn901"])
def test_verify_takes_the_inn_and_the_sponsors_code(name):
    # ImmunoGen release, 5 June 2011 (../shared/reference): "IMGN901 (lorvotuzumab mertansine)": the code
    # and the INN; 75 mg/m² × Mosteller 1.8447 m² (175 cm, 70 kg) = 138.35 mg, 138 mg is −0.25 %
    result = run("verify", "imgn901-rd", "--height", "175cm", "--weight", "70kg", "--ordered", f"{name}=138mg")
    assert result.exit_code == 0, result.output
    assert "lorvotuzumab mertansine  138 mg" in result.stdout and "generic" not in result.output


def test_a_prior_of_a_drug_neither_in_the_plan_nor_converted_is_refused_without_another_drugs_name():
    # idarubicin is not a misspelt daunorubicin: the names accepted, each once, and no "did you mean"
    result = run(
        "plan",
        "r-chop-21",
        "--height",
        "175cm",
        "--weight",
        "70kg",
        "--prior",
        "doxorubicin=100mg/m2",
        "--equivalence",
        "feijen-2019",
        "--prior",
        "idarubicin=10mg/m2",
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: --prior 'idarubicin' is not known; expected one of: rituximab, cyclophosphamide, doxorubicin, "
        "vincristine, prednisone, daunorubicin, epirubicin, mitoxantrone"
    )


_PLAN = ("plan", "r-chop-21", "--height", "175cm", "--weight", "70kg")


@pytest.mark.parametrize(
    ("prior", "shown"),
    [
        # a space of any kind around the drug or the "=" is no part of the closed form drug=amount
        ("doxorubicin\t=150mg/m2", "doxorubicin\\x09=150mg/m2"),
        ("doxorubicin\u3000=150mg/m2", "doxorubicin\\u3000=150mg/m2"),
        ("doxorubicin\n=150mg/m2", "doxorubicin\\x0a=150mg/m2"),
        ("doxorubicin\u00a0=150mg/m2", "doxorubicin\\xa0=150mg/m2"),
        ("doxorubicin =150mg/m2", "doxorubicin =150mg/m2"),
        ("doxorubicin= 150mg/m2", "doxorubicin= 150mg/m2"),
        ("doxorubicin=\t150mg/m2", "doxorubicin=\\x09150mg/m2"),
        (" doxorubicin=150mg/m2", " doxorubicin=150mg/m2"),
        ("\tdoxorubicin=150mg/m2", "\\x09doxorubicin=150mg/m2"),
    ],
)
def test_a_prior_with_a_space_around_the_drug_or_the_sign_is_refused_as_typed(prior, shown):
    result = run(*_PLAN, "--prior", prior)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --prior '{shown}': expected drug=amount with no space around the drug or the '=', "
        "such as doxorubicin=150mg/m2\n"
    )


@pytest.mark.parametrize("amount", ["150\tmg/m2", "150mg/m2\t", "150mg/m2\u3000", "150\u200bmg/m2"])
def test_a_priors_amount_is_read_as_typed_by_the_dose_grammar(amount):
    # nothing stripped: the tab or ideographic space reaches the grammar, which refuses it
    result = run(*_PLAN, "--prior", f"doxorubicin={amount}", "--json")
    assert result.exit_code == 2
    error = json.loads(result.stdout)
    assert error["field"] == "prior doxorubicin" and error["code"] == "unit_error"
    assert "\\x09" in error["value"] or "\\u" in error["value"]


def test_a_prior_is_shown_as_typed():
    result = run(*_PLAN, "--prior", "doxorubicin=150mg/m2", "--json")
    assert json.loads(result.stdout)["inputs"]["prior doxorubicin"]["given"] == "150mg/m2"


@pytest.mark.parametrize(
    ("prior", "expected"),
    [
        ("  ", "drug=amount, such as doxorubicin=150mg/m2"),
        ("doxorubicin", "drug=amount, such as doxorubicin=150mg/m2"),
        ("doxorubicin=", "drug=amount, such as doxorubicin=150mg/m2"),
        ("=150mg/m2", "drug=amount, such as doxorubicin=150mg/m2"),
        (
            "doxorubicin\t=150mg/m2",
            "drug=amount with no space around the drug or the '=', such as doxorubicin=150mg/m2",
        ),
        ("Adriamycin=150mg/m2", "drug=amount, the drug as the generic name"),
    ],
)
def test_a_malformed_prior_names_its_field_and_value_for_the_page(prior, expected):
    # the web page marks the field of the error: "prior", with the text as typed (invisible characters escaped)
    with pytest.raises(DoseCalcError) as raised:
        read_priors(["doxorubicin=100mg/m2", prior] if prior != "doxorubicin" else [prior])
    error = raised.value.to_dict()
    assert (error["field"], error["value"], error["expected"]) == ("prior", escaped(prior).unquoted, expected)
    result = run(*_PLAN, "--prior", prior, "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["field"] == "--prior"


def test_a_prior_given_twice_names_its_field():
    with pytest.raises(DoseCalcError) as raised:
        read_priors(["doxorubicin=100mg/m2", "doxorubicin=50mg/m2"])
    assert (raised.value.field, str(raised.value)) == (
        "prior",
        "prior='doxorubicin=50mg/m2': expected each drug once; doxorubicin is given twice: give its total once",
    )


@pytest.mark.parametrize(
    "command",
    [_PLAN, ("verify", "r-chop-21", "--height", "175cm", "--weight", "70kg", "--ordered", "doxorubicin=92mg")],
)
def test_a_condition_given_twice_is_refused_as_a_prior_is(command):
    condition = ("--condition", "mediastinal-radiotherapy")
    result = run(*command, *condition, *condition)
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --condition 'mediastinal-radiotherapy': expected each condition once; it is given twice\n"
    )
    assert run(*command, *condition).exit_code in (0, 4)


def test_a_plan_says_each_reduction_and_weight_basis_that_changed_a_dose(tmp_path):
    # paclitaxel 175 mg/m² reduced by 25 % showed only "131 mg/m²"; cyclophosphamide 10 mg/kg on the adjusted
    # weight, Devine's IBW + 0.4 × excess (180 cm male: 75.0 kg; 100 kg: 85.0 kg), only "850 mg"
    path = tmp_path / "t.toml"
    path.write_text(
        'name = "t"\ncycle_days = 21\ncycles = 6\n'
        '[[order]]\ndrug = "paclitaxel"\ndose = "175 mg/m2"\nreduction_pct = 25\ndays = [1]\n'
        '[[order]]\ndrug = "cyclophosphamide"\ndose = "10 mg/kg"\nweight_basis = "adjusted"\ndays = [1]\n'
    )
    result = runner.invoke(app, ["plan", str(path), "--height", "180cm", "--weight", "100kg", "--sex", "m"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[1]: line for line in result.output.splitlines() if line.startswith("1 ")}
    assert rows["paclitaxel"].endswith("reduced by 25 %")
    assert rows["cyclophosphamide"].endswith("adjusted body weight (IBW + 0.4 × excess) (100 kg → 85 kg)")


def test_a_plan_says_a_gfr_read_outside_its_range_only_as_the_protocol_allows(tmp_path):
    # Cockcroft-Gault (1976): (140 − 18) × 150 / (72 × 0.2) = 1271 mL/min, past 250; with gfr_cap "none" and
    # allow_outside_range the protocol's own settings give 6 × (1271 + 25) = 7775 mg: said, as a plan would not
    path = tmp_path / "cb.toml"
    path.write_text(
        'name = "cb"\ncycle_days = 21\ncycles = 6\n[[order]]\ndrug = "carboplatin"\ndose = "6 mg/mL*min"\n'
        'gfr_cap = "none"\nallow_outside_range = true\ndays = [1]\n'
    )
    result = runner.invoke(
        app, ["plan", str(path), "--age", "18", "--sex", "m", "--weight", "150kg", "--creatinine", "0.2mg/dL"]
    )
    assert result.exit_code == 0, result.output
    assert "Calvert at GFR 1271 mL/min (Cockcroft-Gault; fda: not capped; outside 1-250 mL/min, allowed by the " in (
        result.output
    )
