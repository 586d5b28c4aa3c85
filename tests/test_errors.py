"""The exception tree: one base, fields as attributes, and errors that survive pickling."""

import pickle

import pytest

from dosecalc import DoseCalcError, ImplausibleInputError, MissingInputError, UnitError, UnknownNameError, bsa


@pytest.mark.parametrize(
    "error",
    [
        UnitError("height", "175", "a length such as '175 cm'"),
        ImplausibleInputError("height", "1.75 cm", "20-280 cm", "did you mean 1.75 m?"),
        UnknownNameError("method", "dubious", ["mosteller", "dubois"]),
        MissingInputError("weight", "a dose in mg/kg"),
        DoseCalcError("give km or species, not both"),
    ],
)
def test_errors_are_value_errors_that_pickle_whole(error):
    # an error raised on a Dask worker crosses a process boundary by pickle
    assert isinstance(error, ValueError)
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and str(again) == str(error)
    assert vars(again) == vars(error)  # every field: field, value, expected, hint, valid, needed_for


def test_fields_are_attributes():
    assert UnknownNameError("method", "dubious", ["mosteller", "dubois"]).valid == ("mosteller", "dubois")
    assert MissingInputError("weight", "a dose in mg/kg").needed_for == "a dose in mg/kg"
    assert UnitError("height", "175", "a length").expected == "a length"


def test_message_names_field_value_and_expectation():
    error = ImplausibleInputError("height", "1.75 cm", "20-280 cm", "did you mean 1.75 m?")
    assert str(error) == "height=1.75 cm: expected 20-280 cm; did you mean 1.75 m?"
    assert (error.field, error.value, error.expected, error.hint) == (
        "height",
        "1.75 cm",
        "20-280 cm",
        "did you mean 1.75 m?",
    )


def test_an_unknown_name_that_looks_like_a_known_one_is_shown_escaped():
    # U+2010 HYPHEN for "-" and a Cyrillic "о" for "o" read like the names they imitate: shown by code point
    from dosecalc.protocol import load_protocol

    with pytest.raises(UnknownNameError, match=r"^protocol='r\\u2010chop-21' is not known"):
        load_protocol("r\u2010chop-21")
    with pytest.raises(UnknownNameError, match=r"^method='m\\u043esteller' is not known"):
        bsa(175, 70, method="m\u043esteller")
    # where a valid name is not ASCII, the value is shown as typed
    assert "'µ'" in str(UnknownNameError("unit", "µ", ("µg", "mg")))


def test_json_gives_the_value_as_typed_without_the_messages_quotes():
    # the message quotes the text and escapes what cannot be seen; the JSON value is that text without quotes,
    # and it survives pickling (an error of a Dask worker) with its unquoted form
    with pytest.raises(UnitError) as raised:
        bsa("175\u200b cm", 70)
    assert str(raised.value).startswith("height='175\\u200b cm': ")
    assert raised.value.to_dict()["value"] == "175\\u200b cm"
    assert pickle.loads(pickle.dumps(raised.value)).to_dict()["value"] == "175\\u200b cm"
    with pytest.raises(UnitError) as quote:
        bsa("175 c'm", 70)
    assert quote.value.to_dict()["value"] == "175 c'm"
    # a value written without quotes stays as it is
    assert ImplausibleInputError("height", "1.75 cm", "20-280 cm").to_dict()["value"] == "1.75 cm"


def test_an_unknown_name_lists_each_name_once_and_a_drug_is_never_guessed():
    from dosecalc.errors import UnknownDrugError

    err = UnknownNameError("method", "mostellar", ["mosteller", "dubois", "mosteller"])
    assert str(err) == "method='mostellar' is not known; expected one of: mosteller, dubois; did you mean 'mosteller'?"
    drug = UnknownDrugError("prior", "idarubicin", ["doxorubicin", "daunorubicin"])
    assert str(drug) == "prior='idarubicin' is not known; expected one of: doxorubicin, daunorubicin"
    assert drug.hint is None and drug.code == "unknown_name_error"  # the same class of error for programs
    assert str(pickle.loads(pickle.dumps(drug))) == str(drug)
