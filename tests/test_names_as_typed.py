"""
A name (a species, a BSA formula, a kidney-function formula, a creatinine
floor, a carboplatin policy) is read exactly as typed against its closed list:
never stripped, case-folded or with its spaces collapsed. Anything else is
refused with the name as typed (invisible characters escaped) and the closest
valid name as a hint, on the command line as in the library.
"""

import pytest
from typer.testing import CliRunner

import dosecalc
from dosecalc import UnknownNameError
from dosecalc.bsa import BSA_METHOD_SPELLINGS, BSA_METHODS, bsa_method
from dosecalc.carboplatin import CARBOPLATIN_POLICIES, POLICY_SPELLINGS, policy_key
from dosecalc.cli import app
from dosecalc.conversions import SPECIES, SPECIES_SPELLINGS, species_name
from dosecalc.renal import RENAL_FORMULA_SPELLINGS, RENAL_FORMULAS, renal_formula_key

runner = CliRunner()

SPECIES_NAMES = ", ".join(SPECIES)
METHODS = ", ".join(BSA_METHODS)
FORMULAS = "cockcroft-gault, ckd-epi-2021, schwartz-bedside"
KIDNEY = ("--age", "60", "--weight", "80kg", "--sex", "m", "--creatinine", "1.2mg/dL")
BODY = ("--height", "175cm", "--weight", "70kg")


def refused(*args) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    return line


@pytest.mark.parametrize(
    "command, option, typed, expected, nearest",
    [
        (("hed", "50mg/kg"), "--species", "rat\n", SPECIES_NAMES, "rat"),
        (("hed", "50mg/kg"), "--species", "guinea\u2003pig", SPECIES_NAMES, "guinea_pig"),
        (("hed", "50mg/kg"), "--species", "mini\tpig", SPECIES_NAMES, "mini_pig"),
        (("hed", "50mg/kg"), "--species", "RAT", SPECIES_NAMES, "rat"),
        (("convert", "225mg/m2", "--to", "mg/kg"), "--species", " rat", SPECIES_NAMES, "rat"),
        (("bsa", *BODY), "--method", "dubois\u00a0", METHODS, "dubois"),
        (("bsa", *BODY), "--method", "mosteller\t", METHODS, "mosteller"),
        (("bsa", *BODY), "--method", "MOSTELLER", METHODS, "mosteller"),
        (("dose", "75mg/m2", *BODY), "--method", "dubois\u00a0", METHODS, "dubois"),
        (
            ("regimen", "75mg/m2", "--days", "1,8,15", "--cycle", "28", *BODY),
            "--method",
            "mosteller\t",
            METHODS,
            "mosteller",
        ),
        (("crcl", *KIDNEY), "--formula", "ckd-epi-2021\n", FORMULAS, "ckd-epi-2021"),
        (("crcl", *KIDNEY), "--formula", "CKD-EPI 2021", FORMULAS, "ckd-epi-2021"),
        (("crcl", *KIDNEY), "--creatinine-floor", " nccn", "none, nccn", "nccn"),
        (("crcl", *KIDNEY), "--creatinine-floor", "NCCN", "none, nccn", "nccn"),
        (("carboplatin", "--auc", "5", "--gfr", "90mL/min"), "--policy", "FDA ", "fda, addikd", "fda"),
        (("carboplatin", "--auc", "5", "--gfr", "90mL/min"), "--policy", "Addikd", "fda, addikd", "addikd"),
    ],
)
def test_a_name_not_as_listed_is_refused_on_the_command_line(command, option, typed, expected, nearest):
    line = refused(*command, option, typed)
    assert line == (
        f"error: {option} {ascii(typed)} is not known; expected one of: {expected}; did you mean {nearest!r}?"
    )


def test_all_is_read_exactly_as_typed():
    refused("bsa", *BODY, "--method", " all\n")


@pytest.mark.parametrize(
    "read, field, typed, nearest",
    [
        (species_name, "species", "rat\n", "rat"),
        (species_name, "species", "guinea\u2003pig", "guinea_pig"),
        (species_name, "species", "Rats", "rat"),
        (bsa_method, "method", " dubois", "dubois"),
        (bsa_method, "method", "du\u00a0bois", "dubois"),
        (bsa_method, "method", "gehan and george", "gehan_george"),
        (renal_formula_key, "formula", "ckd\u00a0epi\u20032021", "ckd-epi-2021"),
        (renal_formula_key, "formula", " cockcroft-gault", "cockcroft-gault"),
        (policy_key, "policy", "FDA ", "fda"),
        (policy_key, "policy", "fda\n", "fda"),
    ],
)
def test_a_name_not_as_listed_is_refused_by_the_library(read, field, typed, nearest):
    with pytest.raises(UnknownNameError) as caught:
        read(typed)
    assert caught.value.field == field and caught.value.value == typed
    assert str(caught.value).startswith(f"{field}={ascii(typed)} is not known; expected one of: ")
    assert caught.value.hint == f"did you mean {nearest!r}?"


def test_the_library_refuses_them_in_its_calculations():
    with pytest.raises(UnknownNameError, match=r"^formula='ckd\\xa0epi\\u20032021' is not known"):
        dosecalc.kidney_function("ckd\u00a0epi\u20032021", age=50, sex="m", serum_creatinine="1 mg/dL")
    with pytest.raises(UnknownNameError, match=r"^policy='FDA ' is not known; expected one of: fda, addikd"):
        dosecalc.carboplatin_dose(auc=5, gfr=90, policy="FDA ")
    with pytest.raises(UnknownNameError, match=r"^species='rat\\n' is not known"):
        dosecalc.hed("50 mg/kg", species="rat\n")
    with pytest.raises(UnknownNameError, match=r"^method='mosteller\\t' is not known"):
        dosecalc.bsa(175, 70, method="mosteller\t")
    with pytest.raises(UnknownNameError, match=r"^creatinine_floor=' nccn' is not known"):
        dosecalc.kidney_function("ckd-epi-2021", age=50, sex="m", serum_creatinine="1 mg/dL", creatinine_floor=" nccn")


@pytest.mark.parametrize(
    "spellings, keys",
    [
        (SPECIES_SPELLINGS, SPECIES),
        (BSA_METHOD_SPELLINGS, BSA_METHODS),
        (RENAL_FORMULA_SPELLINGS, RENAL_FORMULAS),
        (POLICY_SPELLINGS, CARBOPLATIN_POLICIES),
    ],
)
def test_every_listed_spelling_is_plain_text_of_a_key(spellings, keys):
    # each spelling is ASCII, without a space at either end or two together, and names a key
    for spelling, key in spellings.items():
        assert spelling.isascii() and spelling == spelling.strip(" ") and "  " not in spelling, spelling
        assert key in keys
    assert set(keys) <= set(spellings)


@pytest.mark.parametrize(
    "args",
    [
        ("hed", "50mg/kg", "--species", "rat"),
        ("hed", "50mg/kg", "--species", "guinea pig"),
        ("hed", "50mg/kg", "--species", "Guinea pig"),
        ("bsa", *BODY, "--method", "Du Bois"),
        ("bsa", *BODY, "--method", "all"),
        ("crcl", *KIDNEY, "--formula", "cockcroft-gault"),
        ("crcl", *KIDNEY, "--creatinine-floor", "nccn"),
        ("crcl", *KIDNEY, "--creatinine-floor", "none"),
        ("crcl", *KIDNEY, "--creatinine-floor", "0.8mg/dL"),
        ("carboplatin", "--auc", "5", "--gfr", "90mL/min", "--policy", "FDA"),
    ],
)
def test_a_listed_name_is_read(args):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("typed", ["ideal\t", " ideal", "ideal ", "ideal  body weight", "ideal\u00a0body weight"])
def test_a_weight_basis_is_read_as_typed(typed):
    # " ideal\n" was stripped and read as ideal; its spellings are ASCII words, one separator between each
    from dosecalc.body import weight_basis_key
    from dosecalc.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match=r"^weight_basis="):
        weight_basis_key(typed)
    assert weight_basis_key("Ideal body weight") == weight_basis_key("IBW") == "ideal"


@pytest.mark.parametrize("typed", [" adult", "adult\n", "ADULT"])
def test_a_weight_change_population_is_read_as_typed(typed):
    from dosecalc.errors import UnknownNameError
    from dosecalc.verify import weight_change_setting

    with pytest.raises(UnknownNameError, match=r"^weight_change="):
        weight_change_setting(typed)
    assert weight_change_setting("adult").value == 10.0
