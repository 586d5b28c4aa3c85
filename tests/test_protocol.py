"""Protocols as data: schedules, cumulative exposure and the files that hold them.

Every schedule is checked for a patient of 180 cm and 80 kg, whose Mosteller BSA
is exactly 2.0 m² (sqrt(180 × 80 / 3600) = 2.0), so each dose per m² is twice
its number.
"""

import json
import math
import pathlib

import pytest

from dosecalc import Q_
from dosecalc.errors import (
    DoseCalcError,
    ImplausibleInputError,
    MissingInputError,
    UnitError,
    UnknownNameError,
)
from dosecalc.protocol import (
    LIFETIME_LIMITS,
    PROTOCOL_DIR,
    Protocol,
    load_protocol,
    protocol_names,
    read_days,
    read_protocol,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]
PATIENT = {"height": 180, "weight": 80}  # BSA 2.0 m²


def doses(schedule, cycle=1):
    """{(day, drug, note): dose in mg} of one cycle."""
    return {(a.day, a.drug, a.note): a.dose.m_as(a.dose.units) for a in schedule.administrations if a.cycle == cycle}


def minimal(**changes):
    data = {
        "name": "test",
        "cycle_days": 21,
        "cycles": 2,
        "order": [{"drug": "drug-x", "dose": "10 mg/m2", "days": [1]}],
    }
    data.update(changes)
    return data


# --- the five protocols, by hand ------------------------------------------------------------


def test_the_library():
    assert protocol_names() == ("abvd", "carboplatin-paclitaxel", "imgn901-rd", "mfolfox6", "r-chop-21")
    assert (ROOT / "dosecalc" / "data" / "protocols") == PROTOCOL_DIR  # installed with the package


def test_r_chop_21():
    # Coiffier et al., NEJM 2002: R 375, C 750, H 50, O 1.4 (max 2 mg) mg/m² day 1, P 40 mg/m² days 1-5, q21d × 8
    protocol = load_protocol("r-chop-21")
    assert (protocol.cycle_days, protocol.cycles) == (21, 8)
    schedule = protocol.for_patient(**PATIENT)
    cycle = doses(schedule)
    assert cycle[(1, "rituximab", None)] == pytest.approx(750.0)  # 375 × 2.0
    assert cycle[(1, "cyclophosphamide", None)] == pytest.approx(1500.0)  # 750 × 2.0
    assert cycle[(1, "doxorubicin", None)] == pytest.approx(100.0)  # 50 × 2.0
    assert cycle[(1, "vincristine", None)] == 2.0  # 1.4 × 2.0 = 2.8 mg, capped at 2 mg
    for day in range(1, 6):
        assert cycle[(day, "prednisone", None)] == pytest.approx(80.0)  # 40 × 2.0
    assert len(cycle) == 9 and len(schedule.administrations) == 9 * 8
    vincristine = next(a for a in schedule.administrations if a.drug == "vincristine")
    assert vincristine.capped is True and vincristine.calculated.m_as("mg") == 2.0
    steps = schedule.doses[3].steps
    assert steps[-1].name == "max dose" and "Coiffier" in steps[-1].reference


def test_r_chop_21_doxorubicin_against_its_limit():
    protocol = load_protocol("r-chop-21")
    # 8 × 50 = 400 mg/m² of the 550 mg/m² limit: reached after 550 / 50 = 11 cycles, beyond the plan
    exposure = protocol.cumulative()["doxorubicin"]
    assert exposure.total.m_as("mg/m**2") == pytest.approx(400.0)
    assert exposure.limit.amount.m_as("mg/m**2") == 550.0
    assert (exposure.reached_at_cycle, exposure.within_plan) == (11, False)
    # with 150 mg/m² before: (550 − 150) / 50 = 8 cycles, the last planned one
    exposure = protocol.cumulative(prior={"doxorubicin": "150 mg/m2"})["doxorubicin"]
    assert exposure.total.m_as("mg/m**2") == pytest.approx(550.0)
    assert (exposure.reached_at_cycle, exposure.within_plan) == (8, True)
    # after mediastinal radiotherapy the limit is 400 mg/m² (label): 400 / 50 = 8
    exposure = protocol.cumulative(conditions=["mediastinal-radiotherapy"])["doxorubicin"]
    assert exposure.limit.amount.m_as("mg/m**2") == 400.0 and exposure.reached_at_cycle == 8
    # a prior above the limit: reached before the first cycle
    assert protocol.cumulative(prior={"doxorubicin": "600 mg/m2"})["doxorubicin"].reached_at_cycle == 0
    # drugs without a limit
    assert protocol.cumulative()["vincristine"].limit is None


def test_patient_cumulative_in_mg_and_per_m2():
    # for the patient: 100 mg a cycle; against 550 mg/m² per 2.0 m² = 1100 mg: 11 cycles; a prior in mg or mg/m²
    schedule = load_protocol("r-chop-21").for_patient(**PATIENT)
    exposure = schedule.cumulative()["doxorubicin"]
    assert exposure.per_cycle.m_as("mg") == pytest.approx(100.0) and exposure.reached_at_cycle == 11
    assert (
        schedule.cumulative(prior={"doxorubicin": "300 mg"})["doxorubicin"].reached_at_cycle == 8
    )  # (1100 − 300) / 100
    assert schedule.cumulative(prior={"doxorubicin": "150 mg/m2"})["doxorubicin"].prior.m_as("mg") == pytest.approx(
        300.0
    )
    # vincristine capped: 8 × 2 mg = 16 mg, not 8 × 2.8
    assert schedule.cumulative()["vincristine"].total.m_as("mg") == pytest.approx(16.0)


def test_mfolfox6():
    # oxaliplatin 85, leucovorin 400, fluorouracil 400 bolus + 2400 over 46 h (mg/m²), day 1 of 14, × 12
    protocol = load_protocol("mfolfox6")
    assert (protocol.cycle_days, protocol.cycles) == (14, 12)
    cycle = doses(protocol.for_patient(**PATIENT))
    assert cycle[(1, "oxaliplatin", "IV over 2 hours")] == pytest.approx(170.0)
    assert cycle[(1, "leucovorin", "IV over 2 hours, with oxaliplatin")] == pytest.approx(800.0)
    assert cycle[(1, "fluorouracil", "IV bolus")] == pytest.approx(800.0)
    assert cycle[(1, "fluorouracil", "continuous IV infusion over 46 hours")] == pytest.approx(4800.0)
    # fluorouracil per cycle: 400 + 2400 = 2800 mg/m²; 12 cycles: 33,600 mg/m²
    exposure = protocol.cumulative()["fluorouracil"]
    assert exposure.per_cycle.m_as("mg/m**2") == pytest.approx(2800.0)
    assert exposure.total.m_as("mg/m**2") == pytest.approx(33600.0)


def test_abvd():
    # Bonadonna et al. 1975: A 25, B 10 (units/m²), V 6, D 375 mg/m² on days 1 and 15 of 28
    protocol = load_protocol("abvd")
    schedule = protocol.for_patient(**PATIENT, cycles=6)
    cycle = doses(schedule)
    for day in (1, 15):
        assert cycle[(day, "doxorubicin", None)] == pytest.approx(50.0)
        assert cycle[(day, "bleomycin", None)] == pytest.approx(20.0)  # units, not mg
        assert cycle[(day, "vinblastine", None)] == pytest.approx(12.0)
        assert cycle[(day, "dacarbazine", None)] == pytest.approx(750.0)
    assert {a.dose.units for a in schedule.administrations if a.drug == "bleomycin"} == {Q_(1, "units").units}
    # bleomycin: 40 units a cycle for this patient; 400 units (label) after 10 cycles
    exposure = schedule.cumulative()["bleomycin"]
    assert exposure.per_cycle.m_as("units") == pytest.approx(40.0) and exposure.reached_at_cycle == 10
    # without a patient, 20 units/m² a cycle cannot be compared with 400 units
    exposure = protocol.cumulative()["bleomycin"]
    assert exposure.reached_at_cycle is None and "BSA" in exposure.note
    # doxorubicin: 50 mg/m² a cycle, 550 / 50 = 11
    assert protocol.cumulative()["doxorubicin"].reached_at_cycle == 11


def test_carboplatin_paclitaxel():
    # paclitaxel 175 mg/m² × 2.0 = 350 mg; carboplatin AUC 5 × (GFR 90 + 25) = 575 mg (Calvert 1989); q21d × 6
    protocol = load_protocol("carboplatin-paclitaxel")
    assert (protocol.cycle_days, protocol.cycles) == (21, 6)
    cycle = doses(protocol.for_patient(**PATIENT, gfr="90 mL/min"))
    assert cycle[(1, "paclitaxel", "IV over 3 hours")] == pytest.approx(350.0)
    assert cycle[(1, "carboplatin", "IV over 30-60 minutes, after paclitaxel")] == pytest.approx(575.0)
    # a GFR of 140 mL/min is capped at 125: 5 × 150 = 750 mg (FDA 2010)
    cycle = doses(protocol.for_patient(**PATIENT, gfr=140))
    assert cycle[(1, "carboplatin", "IV over 30-60 minutes, after paclitaxel")] == pytest.approx(750.0)
    with pytest.raises(MissingInputError, match="carboplatin"):
        protocol.for_patient(**PATIENT)  # no GFR and no Cockcroft-Gault inputs


def test_imgn901_rd():
    # ImmunoGen 2011: IMGN901 75 mg/m² days 1, 8, 15 of 28; lenalidomide 25 mg days 1-21 and dexamethasone
    # 40 mg days 1, 8, 15, 22 (Revlimid label)
    protocol = load_protocol("imgn901-rd")
    assert protocol.cycles is None  # until progression: the cycles to plan are asked for
    with pytest.raises(MissingInputError, match="cycles"):
        protocol.for_patient(**PATIENT)
    schedule = protocol.for_patient(**PATIENT, cycles=2)
    cycle = doses(schedule)
    # named by its INN, IMGN901 its sponsor's code (the release: "IMGN901 (lorvotuzumab mertansine)")
    assert {day for day, drug, _ in cycle if drug == "lorvotuzumab mertansine"} == {1, 8, 15}
    assert cycle[(1, "lorvotuzumab mertansine", None)] == pytest.approx(150.0)  # 75 × 2.0
    assert {day for day, drug, _ in cycle if drug == "lenalidomide"} == set(range(1, 22))
    assert {day for day, drug, _ in cycle if drug == "dexamethasone"} == {1, 8, 15, 22}
    assert cycle[(1, "lenalidomide", "orally, once daily")] == 25.0
    assert cycle[(22, "dexamethasone", "orally, once daily")] == 40.0
    # the release: "225 mg/m² ... over 3 weeks in a 4-week cycle" = 3 × 75
    assert protocol.per_cycle()["lorvotuzumab mertansine"].m_as("mg/m**2") == pytest.approx(225.0)
    assert len(schedule.administrations) == 2 * (3 + 21 + 4)
    assert "press release" in protocol.references[0] and "usual doses" in protocol.references[0]


def test_schedule_to_dict_is_json():
    schedule = load_protocol("r-chop-21").for_patient(**PATIENT, cycles=1)
    data = json.loads(json.dumps(schedule.to_dict()))
    assert data["protocol"] == "R-CHOP-21" and data["cycles"] == 1
    assert data["orders"][3]["drug"] == "vincristine" and data["orders"][3]["steps"][-1]["name"] == "max dose"
    assert len(data["administrations"]) == 9
    doxorubicin = next(e for e in data["cumulative"]["exposures"] if e["drug"] == "doxorubicin")
    assert doxorubicin["reached_at_cycle"] == 11


# --- a table of patients, in long format ---------------------------------------------------------


def test_for_table_long_format():
    protocol = load_protocol("r-chop-21")
    table = {"patient_id": ["a", "b", "c"], "height_cm": [180, 160, 170], "weight_kg": [80, 60, -3]}
    schedule, rejects = protocol.for_table(table, cycles=2)
    # two dosed patients × (4 + 5) administrations × 2 cycles; patient c rejected for every drug
    assert schedule.num_rows == 2 * 9 * 2
    assert schedule.column_names[:4] == ["row", "patient_id", "height_cm", "weight_kg"]
    assert schedule.column_names[4:] == [
        "cycle",
        "day",
        "time",
        "drug",
        "note",
        "dose",
        "dose_unit",
        "calculated_dose",
        "bsa_m2",
        "changed_by",
    ]
    assert set(rejects["row"].to_pylist()) == {3} and rejects.num_rows == 5
    first = schedule.slice(0, 9).to_pylist()
    assert [(r["cycle"], r["day"], r["drug"]) for r in first[:5]] == [
        (1, 1, "rituximab"),
        (1, 1, "cyclophosphamide"),
        (1, 1, "doxorubicin"),
        (1, 1, "vincristine"),
        (1, 1, "prednisone"),
    ]
    # each dose equals the one-patient schedule's
    one = doses(protocol.for_patient(height=160, weight=60))
    for row in schedule.to_pylist():
        if row["row"] == 2 and row["cycle"] == 1:
            assert row["dose"] == pytest.approx(one[(row["day"], row["drug"], None)], rel=1e-12)


def test_for_table_schedules_bleomycin_in_units():
    # ABVD (Bonadonna et al. 1975; Blenoxane label: USP units) on days 1 and 15. By hand, Mosteller:
    # 180 cm, 80 kg: sqrt(180 × 80 / 3600) = 2.0 m²: doxorubicin 25 × 2.0 = 50 mg, bleomycin 10 × 2.0 = 20 units,
    # vinblastine 6 × 2.0 = 12 mg, dacarbazine 375 × 2.0 = 750 mg;
    # 144 cm, 49 kg: sqrt(144 × 49 / 3600) = 1.4 m²: 35 mg, 14 units, 8.4 mg, 525 mg
    table = {"patient_id": ["a", "b", "c"], "height_cm": [180.0, 144.0, 1.8], "weight_kg": [80.0, 49.0, 80.0]}
    schedule, rejects = load_protocol("abvd").for_table(table, cycles=1)
    given = {(r["patient_id"], r["day"], r["drug"]): (r["dose"], r["dose_unit"]) for r in schedule.to_pylist()}
    expected = {}
    for patient, bsa_m2 in (("a", 2.0), ("b", 1.4)):
        for day in (1, 15):
            expected[(patient, day, "doxorubicin")] = (pytest.approx(25 * bsa_m2), "mg")
            expected[(patient, day, "bleomycin")] = (pytest.approx(10 * bsa_m2), "units")
            expected[(patient, day, "vinblastine")] = (pytest.approx(6 * bsa_m2), "mg")
            expected[(patient, day, "dacarbazine")] = (pytest.approx(375 * bsa_m2), "mg")
    assert given == expected
    # the patient whose height is in metres has no plan, with a reason for each of the four drugs
    assert rejects["row"].to_pylist() == [3] * 4 and sorted(rejects["drug"].to_pylist()) == sorted(
        ["doxorubicin", "bleomycin", "vinblastine", "dacarbazine"]
    )
    assert all("did you mean 1.8 m?" in reason for reason in rejects["reason"].to_pylist())


def test_for_table_a_patient_failing_one_drug_gets_no_plan():
    # drug-y 10 mg/m² to a 5 mg step (±5 %): at 2.0 m², 20 mg; at sqrt(160 × 60 / 3600) = 1.633 m², 16.3 mg,
    # whose nearest step, 15 mg, is −8.2 %: refused, so that patient has no doxorubicin either
    protocol = Protocol.from_dict(
        minimal(
            order=[
                {"drug": "doxorubicin", "dose": "50 mg/m2", "days": [1]},
                {"drug": "drug-y", "dose": "10 mg/m2", "round_to": "5 mg", "days": [1]},
            ]
        )
    )
    schedule, rejects = protocol.for_table({"height_cm": [180, 160], "weight_kg": [80, 60]})
    assert set(schedule["row"].to_pylist()) == {1}
    assert schedule.num_rows == 2 * 2  # two orders × two cycles
    assert rejects.to_pylist()[0]["drug"] == "drug-y" and rejects["row"].to_pylist() == [2]
    assert "not rounded" in rejects["reason"][0].as_py()


# --- files: what loading refuses ------------------------------------------------------------------


def test_every_example_is_valid_against_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    import tomllib

    schema = json.loads((ROOT / "schemas" / "protocol.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in sorted(PROTOCOL_DIR.glob("*.toml")):
        jsonschema.validate(tomllib.loads(path.read_text(encoding="utf-8")), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(minimal(cycle=21), schema)


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"cycle": 21}, UnknownNameError, "cycle"),
        (
            {"order": [{"drug": "drug-x", "dose": "10 mg/m2", "days": [1], "max_dos": "2 mg"}]},
            UnknownNameError,
            "max_dos",
        ),
        ({"order": [{"drug": "drug-x", "dose": "10 mg/m2", "days": [0]}]}, ImplausibleInputError, "days"),
        ({"order": [{"drug": "drug-x", "dose": "10 mg/m2", "days": [22]}]}, ImplausibleInputError, "22"),
        ({"order": [{"drug": "drug-x", "dose": "10 mg/m2", "days": "1-22"}]}, ImplausibleInputError, "22"),
        ({"order": [{"drug": "drug-x", "dose": "10 mg/m2", "days": "1\u201321"}]}, ImplausibleInputError, "u2013"),
        ({"order": [{"drug": "drug-x", "dose": "10 mg/m2", "days": "1 to 21"}]}, ImplausibleInputError, "days"),
        ({"order": [{"drug": "drug-x", "dose": "10 mg/m2", "days": [1, 8, 8]}]}, ImplausibleInputError, "twice"),
        ({"order": [{"drug": "drug-x", "dose": "10 mg/m2", "days": "15-1"}]}, ImplausibleInputError, "ranges"),
        ({"order": [{"drug": "drug-x", "dose": "10 mg/m2", "days": [True]}]}, ImplausibleInputError, "days"),
        ({"order": [{"drug": "drug-x", "dose": "10 mg/m2"}]}, MissingInputError, "days"),
        ({"order": [{"drug": "drug-x", "dose": "10 mg/m2 per cycle", "days": [1]}]}, UnitError, "dose"),
        ({"order": [{"drug": "drug-x", "dose": "10 mg/m\u00b2\u200b", "days": [1]}]}, UnitError, "dose"),
        (
            {"order": [{"drug": "drug-x", "dose": "10 mg/m2", "days": [1], "times_per_day": 0}]},
            ImplausibleInputError,
            "times_per_day",
        ),
        ({"order": []}, MissingInputError, "order"),
        ({"cycles": 0}, ImplausibleInputError, "cycles"),
        ({"cycles": True}, ImplausibleInputError, "cycles"),
        ({"cycle_days": "21"}, ImplausibleInputError, "cycle_days"),
        ({"name": ""}, ImplausibleInputError, "name"),
        ({"references": [1]}, ImplausibleInputError, "references"),
        # one cycle above a lifetime limit: doxorubicin 50 mg/m² × 2 × 6 = 600 mg/m², label 550 mg/m²
        (
            {"order": [{"drug": "doxorubicin", "dose": "50 mg/m2", "days": "1-6", "times_per_day": 2}]},
            ImplausibleInputError,
            "doxorubicin per cycle=600 mg/m",
        ),
        # a protocol's own stricter limit counts too: 4 × 50 = 200 mg/m² above its 150 mg/m²
        (
            {
                "order": [{"drug": "doxorubicin", "dose": "50 mg/m2", "days": [1, 2, 3, 4]}],
                "limit": [{"drug": "doxorubicin", "amount": "150 mg/m2", "source": "a stricter protocol limit"}],
            },
            ImplausibleInputError,
            "lifetime limit, 150 mg/m²",
        ),
    ],
)
def test_loading_refuses(changes, error, match):
    with pytest.raises(error, match=match):
        Protocol.from_dict(minimal(**changes), source="test.toml")


def test_a_drug_twice_on_one_day_needs_a_note_for_each():
    twice = [
        {"drug": "fluorouracil", "dose": "400 mg/m2", "days": [1]},
        {"drug": "fluorouracil", "dose": "2400 mg/m2", "days": [1, 2]},
    ]
    with pytest.raises(ImplausibleInputError, match="fluorouracil twice on day 1"):
        Protocol.from_dict(minimal(order=twice))
    twice[0]["note"] = twice[1]["note"] = "bolus"
    with pytest.raises(ImplausibleInputError, match="note"):
        Protocol.from_dict(minimal(order=twice))
    twice[1]["note"] = "infusion"
    assert len(Protocol.from_dict(minimal(order=twice)).orders) == 2


def test_twice_daily():
    # capecitabine-style: 1000 mg/m² twice daily on days 1-14 of 21: 2000 mg each time at 2.0 m², 28 a cycle
    protocol = Protocol.from_dict(
        minimal(order=[{"drug": "capecitabine", "dose": "1000 mg/m2", "days": "1-14", "times_per_day": 2}])
    )
    schedule = protocol.for_patient(**PATIENT, cycles=1)
    assert len(schedule.administrations) == 28
    assert [(a.time, a.dose.m_as("mg")) for a in schedule.administrations if a.day == 14] == [
        (1, pytest.approx(2000.0)),
        (2, pytest.approx(2000.0)),
    ]
    assert protocol.per_cycle()["capecitabine"].m_as("mg/m**2") == pytest.approx(28000.0)


def test_a_protocol_limit_is_stricter_never_looser():
    protocol = Protocol.from_dict(
        minimal(
            order=[{"drug": "doxorubicin", "dose": "60 mg/m2", "days": [1]}],
            limit=[
                {"drug": "doxorubicin", "amount": "450 mg/m2", "source": "institutional policy"},
                {"drug": "doxorubicin", "amount": "700 mg/m2", "source": "a looser one"},
            ],
        )
    )
    exposure = protocol.cumulative(cycles=8)["doxorubicin"]
    assert exposure.limit.source == "institutional policy"
    assert exposure.reached_at_cycle == math.ceil(450 / 60)  # 7.5 → after cycle 8
    # the library's 400 mg/m² after mediastinal radiotherapy still applies: 400 / 60 = 6.7 → 7
    exposure = protocol.cumulative(cycles=8, conditions=["mediastinal-radiotherapy"])["doxorubicin"]
    assert exposure.limit.amount.m_as("mg/m**2") == 400.0 and exposure.reached_at_cycle == 7


@pytest.mark.parametrize("amount", ["1 mg/kg", "540 mg", "450 units"])
def test_a_protocol_limit_of_another_kind_than_the_labels_is_refused(amount):
    # "540 mg" beside the label's 550 mg/m² (doxorubicin label) was the lowest by its number, and replaced it
    with pytest.raises(UnitError) as refused:
        Protocol.from_dict(
            minimal(
                cycles=12,
                order=[{"drug": "doxorubicin", "dose": "50 mg/m2", "days": [1]}],
                limit=[{"drug": "doxorubicin", "amount": amount, "source": "institutional policy"}],
            )
        )
    assert str(refused.value) == (
        f"protocol limit of doxorubicin={amount}: expected a limit in mg/m², as the label's of "
        "550 mg/m²: a protocol adds limits to a drug's, of their kind"
    )
    # of one kind in another unit: compared in one unit, 0.5 g/m² is 500 mg/m², lower than 550
    protocol = Protocol.from_dict(
        minimal(
            cycles=12,
            order=[{"drug": "doxorubicin", "dose": "50 mg/m2", "days": [1]}],
            limit=[{"drug": "doxorubicin", "amount": "0.5 g/m2", "source": "institutional policy"}],
        )
    )
    exposure = protocol.cumulative()["doxorubicin"]
    assert exposure.limit.source == "institutional policy" and exposure.reached_at_cycle == 10  # 500 / 50


def test_an_order_on_an_ideal_weight_gives_no_other_drug_its_bsa():
    # 180 cm, 50 kg, male: Devine's ideal weight 50 + 2.3 × (70.87 − 60) in = 75.0 kg (Devine 1974), BSA on it
    # sqrt(180 × 75 / 3600) = 1.936 m², on the body's weight sqrt(180 × 50 / 3600) = 1.581 m² (Mosteller 1987).
    # Doxorubicin 50 mg/m² on the body: 79.1 mg a cycle, 600 mg/m² after 12 cycles, its 550 reached at cycle 11;
    # counted per m² of the first order's 1.936 m², 490 mg/m² and cycle 14
    orders = [
        {"drug": "cyclophosphamide", "dose": "750 mg/m2", "weight_basis": "ideal", "days": [1]},
        {"drug": "doxorubicin", "dose": "50 mg/m2", "days": [1]},
    ]
    protocol = Protocol.from_dict(minimal(cycles=12, order=orders))
    schedule = protocol.for_patient(height=180, weight=50, sex="m")
    assert schedule.bsa.m_as("m**2") == pytest.approx(math.sqrt(180 * 50 / 3600))
    exposure = schedule.cumulative()["doxorubicin"]
    assert exposure.total_as_limit.m_as("mg/m**2") == pytest.approx(600.0)
    assert (exposure.reached_at_cycle, exposure.within_plan) == (11, True)
    swapped = Protocol.from_dict(minimal(cycles=12, order=orders[::-1]))
    assert swapped.for_patient(height=180, weight=50, sex="m").cumulative()["doxorubicin"].reached_at_cycle == 11


@pytest.mark.parametrize(
    "drug, meant",
    [
        ("doxorubicin hydrochloride", "doxorubicin"),
        ("doxorubicin-hcl", "doxorubicin"),
        ("doxorubicine", "doxorubicin"),
        ("bleomycin sulfate", "bleomycin"),
    ],
)
def test_a_protocol_drug_written_otherwise_than_one_with_a_limit_is_refused(drug, meant):
    # planned as written, no limit applied: 60 mg/m² × 12 cycles of "doxorubicin hydrochloride" exited 0
    with pytest.raises(ImplausibleInputError) as refused:
        Protocol.from_dict(minimal(order=[{"drug": drug, "dose": "60 mg/m2", "days": [1]}]))
    assert str(refused.value) == (
        f"protocol: drug={drug!r}: expected a drug's generic name: {meant} has a lifetime limit, never checked for an "
        f"order named otherwise; write {meant!r}"
    )
    # another product or another drug of the family is not taken for a slip
    for other in ("liposomal doxorubicin", "idarubicin"):
        assert Protocol.from_dict(minimal(order=[{"drug": other, "dose": "60 mg/m2", "days": [1]}])).orders


def test_cumulative_refusals():
    protocol = load_protocol("r-chop-21")
    with pytest.raises(UnknownNameError, match="epirubicin"):
        protocol.cumulative(prior={"epirubicin": "100 mg/m2"})
    with pytest.raises(UnitError, match="prior doxorubicin"):
        protocol.cumulative(prior={"doxorubicin": "150 mg"})  # mg against mg/m², without a patient
    with pytest.raises(UnknownNameError, match="condition"):
        protocol.cumulative(conditions=["chest radiation"])
    with pytest.raises(UnitError):
        protocol.cumulative(prior={"doxorubicin": "150–200 mg/m2"})


def test_limits_are_data_with_sources():
    drugs = {(limit.drug, limit.condition): limit for limit in LIFETIME_LIMITS}
    assert drugs[("doxorubicin", "standard")].amount.m_as("mg/m**2") == 550.0
    assert drugs[("doxorubicin", "mediastinal-radiotherapy")].amount.m_as("mg/m**2") == 400.0
    assert drugs[("epirubicin", "standard")].amount.m_as("mg/m**2") == 900.0
    assert drugs[("daunorubicin", "standard")].population == "adults"
    assert all(limit.source for limit in LIFETIME_LIMITS)


def test_bleomycin_limit_is_in_units():
    from dosecalc.protocol import _library_limits

    load_protocol("abvd")
    drugs = {(limit.drug, limit.condition): limit for limit in _library_limits()}
    assert drugs[("bleomycin", "standard")].amount.m_as("units") == 400.0


def test_file_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\ncycle_days = 21\n[[order]\n', encoding="utf-8")
    with pytest.raises(DoseCalcError, match="bad.toml: not valid TOML"):
        read_protocol(bad)
    with pytest.raises(DoseCalcError, match="cannot be read"):
        read_protocol(tmp_path / "missing.toml")
    with pytest.raises(UnknownNameError, match="r-chop-21"):
        load_protocol("r-chop-14")
    assert load_protocol("R-CHOP-21").name == "R-CHOP-21"
    good = tmp_path / "mine.toml"
    good.write_text((PROTOCOL_DIR / "mfolfox6.toml").read_text(encoding="utf-8"), encoding="utf-8")
    assert load_protocol(good).source == "mine.toml"


def test_errors_name_the_drug_of_a_plan():
    with pytest.raises(MissingInputError, match="carboplatin"):
        load_protocol("carboplatin-paclitaxel").for_patient(**PATIENT)


@pytest.mark.parametrize("days", [[1, 8, 15], "1, 8, 15", " 1,8 ,15 "])
def test_days_spellings(days):
    assert read_days(days, 28) == (1, 8, 15)
    assert read_days("1-5, 15", 28) == (1, 2, 3, 4, 5, 15)


def test_hostile_files(tmp_path):
    # a range far beyond the cycle is refused before it is laid out
    with pytest.raises(ImplausibleInputError, match="outside"):
        read_days("1-99999999999999", 28)
    # a note with a terminal escape sequence
    with pytest.raises(ImplausibleInputError, match="note"):
        Protocol.from_dict(minimal(order=[{"drug": "drug-x", "dose": "10 mg/m2", "days": [1], "note": "\x1b[31mIV"}]))
    # a level table next to the protocol file is found from anywhere
    (tmp_path / "levels.csv").write_text("level,dose\n0,85 mg/m^2\n-1,65 mg/m^2\n", encoding="utf-8")
    path = tmp_path / "p.toml"
    path.write_text(
        'name = "p"\ncycle_days = 14\ncycles = 1\n[[order]]\ndrug = "oxaliplatin"\ndose = "85 mg/m2"\n'
        'level = "-1"\nlevels = "levels.csv"\ndays = [1]\n',
        encoding="utf-8",
    )
    schedule = read_protocol(path).for_patient(**PATIENT)
    assert schedule.doses[0].dose.m_as("mg") == pytest.approx(130.0)  # 65 × 2.0


def test_a_drug_name_with_an_invisible_character_is_escaped_wherever_it_is_shown():
    drug = "doxorubicin\u200b"
    with pytest.raises(DoseCalcError) as refused:
        Protocol.from_dict(minimal(order=[{"drug": drug, "dose": "50 mg/m2", "days": [1]}]))
    message = str(refused.value)
    assert "\u200b" not in message and message.count("doxorubicin\\u200b") == 2


def test_for_table_refuses_a_column_it_writes():
    with pytest.raises(DoseCalcError, match="'cycle'"):
        load_protocol("r-chop-21").for_table({"height_cm": [180], "weight_kg": [80], "cycle": [3]})


def test_anthracycline_equivalence_only_when_named():
    protocol = load_protocol("r-chop-21")
    prior = {"doxorubicin": "100 mg/m2", "epirubicin": "250 mg/m2"}
    # without a named conversion, epirubicin before R-CHOP is refused, never converted silently
    with pytest.raises(UnknownNameError, match="epirubicin"):
        protocol.cumulative(prior=prior)
    # Feijen et al. 2019 (JAMA Oncol, Table 3): epirubicin 0.8 × doxorubicin; prior 100 + 0.8 × 250 = 300 mg/m²,
    # 50 mg/m² a cycle: (550 − 300) / 50 = 5 cycles to doxorubicin's 550 mg/m²
    cumulative = protocol.cumulative(prior=prior, equivalence="feijen-2019")
    equivalent = cumulative["doxorubicin-equivalent (feijen-2019)"]
    assert equivalent.prior.m_as("mg/m**2") == pytest.approx(300.0)
    assert equivalent.per_cycle.m_as("mg/m**2") == pytest.approx(50.0)
    assert (equivalent.reached_at_cycle, equivalent.within_plan) == (5, True)
    assert "doi:10.1001/jamaoncol.2018.6634" in equivalent.note
    # epirubicin itself: 250 of its 900 mg/m², nothing added by R-CHOP
    assert cumulative["epirubicin"].total.m_as("mg/m**2") == 250.0 and cumulative["epirubicin"].reached_at_cycle is None
    # the Children's Oncology Group substitution counts epirubicin as doxorubicin: 100 + 250 = 350 → (550 − 350) / 50 = 4
    cog = protocol.cumulative(prior=prior, equivalence="cog-hematologic")["doxorubicin-equivalent (cog-hematologic)"]
    assert cog.reached_at_cycle == 4
    with pytest.raises(UnknownNameError, match="feijen-2019"):
        protocol.cumulative(equivalence="feijen")
    # idarubicin has no ratio in Feijen 2019
    with pytest.raises(UnknownNameError, match="idarubicin"):
        protocol.cumulative(prior={"idarubicin": "30 mg/m2"}, equivalence="feijen-2019")


def test_equivalence_for_a_patient():
    # 180 cm, 80 kg: 2.0 m²; doxorubicin 100 mg a cycle = 50 mg/m²; prior epirubicin 500 mg = 250 mg/m² → 0.8 × 250 = 200
    schedule = load_protocol("r-chop-21").for_patient(**PATIENT)
    equivalent = schedule.cumulative(prior={"epirubicin": "500 mg"}, equivalence="feijen-2019")[
        "doxorubicin-equivalent (feijen-2019)"
    ]
    assert equivalent.prior.m_as("mg/m**2") == pytest.approx(200.0)
    assert equivalent.total.m_as("mg/m**2") == pytest.approx(200.0 + 8 * 50.0)
    assert equivalent.reached_at_cycle == 7  # (550 − 200) / 50


def test_hostile_file_encodings(tmp_path):
    text = (PROTOCOL_DIR / "mfolfox6.toml").read_text(encoding="utf-8")
    # a byte-order mark, as Windows editors write, and CRLF line ends: the same protocol
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert read_protocol(bom).per_cycle() == load_protocol("mfolfox6").per_cycle()
    # latin-1: refused naming the line
    latin = tmp_path / "latin.toml"
    latin.write_bytes('name = "x"\ntitle = "Caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(DoseCalcError, match="line 2 is not UTF-8"):
        read_protocol(latin)
    # a big file is not read
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * 2_000_000)
    with pytest.raises(DoseCalcError, match="more than 1,000,000 bytes"):
        read_protocol(big)
    # a directory, and a device that would be read forever (and its link named like a protocol): refused unread
    with pytest.raises(DoseCalcError, match="not a file"):
        read_protocol(tmp_path)
    link = tmp_path / "zero.toml"
    link.symlink_to("/dev/zero")
    for device in ("/dev/zero", link):
        with pytest.raises(DoseCalcError, match=r"not a file \(a folder, a device or a pipe\)"):
            read_protocol(device)
    # a band table likewise, CSV or TOML
    from dosecalc.adjustments import read_band_table

    for name in ("zero.csv", "zero-bands.toml"):
        (tmp_path / name).symlink_to("/dev/zero")
        with pytest.raises(DoseCalcError, match="not a file"):
            read_band_table(tmp_path / name)
    # a name with a terminal escape
    with pytest.raises(ImplausibleInputError, match="name"):
        Protocol.from_dict(minimal(name="\x1b[2Jx"))


def test_for_table_refuses_a_schedule_too_long_to_lay_out():
    # 1e5 patients × 100 cycles × (3 + 21 + 4) administrations = 280 million rows
    protocol = load_protocol("imgn901-rd")
    with pytest.raises(DoseCalcError, match="280,000,000 rows"):
        protocol.for_table({"height_cm": [175.0] * 100_000, "weight_kg": [70.0] * 100_000}, cycles=100)


def test_for_table_passes_the_engine_options_to_each_order():
    # a European export: "1,80" m is 180 cm, with a weight of 80 kg: sqrt(180 × 80 / 3600) = 2.0 m²,
    # doxorubicin 25 × 2.0 = 50 mg; with numeric_inputs the schedule holds the numbers read, not the text
    table = {"height_m": ["1,80"], "weight_kg": ["80"]}
    schedule, rejects = load_protocol("abvd").for_table(table, cycles=1, decimal_comma=True, numeric_inputs=True)
    assert rejects.num_rows == 0
    first = schedule.to_pylist()[0]
    assert (first["drug"], first["dose"], first["height_m"], first["weight_kg"]) == ("doxorubicin", 50.0, 1.8, 80.0)
    with pytest.raises(DoseCalcError, match="no engine option"):
        load_protocol("abvd").for_table(table, cycles=1, max_dose="2 mg")


def test_for_table_of_a_pandas_frame_keeps_no_index_column():
    pandas = pytest.importorskip("pandas")
    # patients labelled p1, p2: the schedule's rows name them by row (1, 2), and no index column leaks in
    frame = pandas.DataFrame({"height_cm": [180.0, 160.0], "weight_kg": [80.0, 60.0]}, index=["p1", "p2"])
    schedule, rejects = load_protocol("abvd").for_table(frame, cycles=1)
    assert (
        schedule.column_names[:3] == ["row", "height_cm", "weight_kg"]
        and "__index_level_0__" not in schedule.column_names
    )
    assert sorted(set(schedule["row"].to_pylist())) == [1, 2] and rejects.num_rows == 0


def test_for_table_reads_each_input_once_for_orders_reading_different_columns():
    # a CSV's text cells: carboplatin reads age, creatinine and weight, paclitaxel height and weight; the
    # schedule holds one version of each column, the numbers as read (a CSV of text made the schedule's
    # pieces disagree in type). By hand: Cockcroft-Gault (140 − 60) × 80 / (72 × 1.2) = 74.07 mL/min,
    # Calvert 5 × (74.07 + 25) = 495.37 mg (Calvert 1989); Mosteller sqrt(175 × 80 / 3600) = 1.9720 m²,
    # paclitaxel 175 × 1.9720 = 345.10 mg (the protocol file's sources)
    table = {
        "patient_id": ["a"],
        "age_years": ["60"],
        "sex": ["m"],
        "creatinine_mg_dl": ["1.2"],
        "height_cm": ["175"],
        "weight_kg": ["80"],
    }
    schedule, rejects = load_protocol("carboplatin-paclitaxel").for_table(table, cycles=1, numeric_inputs=True)
    assert rejects.num_rows == 0
    doses = {row["drug"]: row for row in schedule.to_pylist()}
    assert doses["carboplatin"]["dose"] == pytest.approx(495.37, abs=0.01)
    assert doses["paclitaxel"]["dose"] == pytest.approx(345.10, abs=0.01)
    for row in doses.values():
        assert (row["patient_id"], row["age_years"], row["creatinine_mg_dl"], row["height_cm"]) == (
            "a",
            60.0,
            1.2,
            175.0,
        )


def test_a_shipped_name_is_never_shadowed_by_a_path_here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r-chop-21").mkdir()  # a folder of that name is not a protocol file
    assert load_protocol("r-chop-21").name == "R-CHOP-21"
    (tmp_path / "mfolfox6").write_text((PROTOCOL_DIR / "abvd.toml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(DoseCalcError, match="both a shipped protocol and a file here; give ./mfolfox6"):
        load_protocol("mfolfox6")
    assert load_protocol("./mfolfox6").name == "ABVD"  # the file, named as a path
    (tmp_path / "local-abvd").write_text((PROTOCOL_DIR / "abvd.toml").read_text(encoding="utf-8"), encoding="utf-8")
    assert load_protocol("local-abvd").name == "ABVD"  # no shipped protocol of that name: the file
    with pytest.raises(UnknownNameError, match="'r-chop-99'"):
        load_protocol("r-chop-99")


def test_the_schedule_says_what_changed_each_dose():
    # R-CHOP-21's vincristine 1.4 mg/m² × sqrt(190 × 110 / 3600) = 1.4 × 2.4094 = 3.37 mg, capped at 2 mg
    # (Coiffier 2002); the other drugs are as calculated
    schedule, _ = load_protocol("r-chop-21").for_table({"height_cm": [190.0], "weight_kg": [110.0]}, cycles=1)
    changes = {row["drug"]: row["changed_by"] for row in schedule.to_pylist()}
    assert changes["vincristine"] == "max dose (3.37 mg → 2 mg)"
    assert {drug for drug, change in changes.items() if change is not None} == {"vincristine"}
    # carboplatin: Cockcroft-Gault (140 − 55) × 92 / (72 × 0.7) × 0.85 = 131.88 mL/min, capped at 125 (FDA)
    table = {"age_years": [55], "sex": ["f"], "creatinine_mg_dl": [0.7], "height_cm": [158.0], "weight_kg": [92.0]}
    schedule, _ = load_protocol("carboplatin-paclitaxel").for_table(table, cycles=1)
    changes = {row["drug"]: row["changed_by"] for row in schedule.to_pylist()}
    assert changes == {
        "paclitaxel": None,
        "carboplatin": "Calvert at GFR 125 mL/min (cockcroft_gault), capped from 131.88 mL/min",
    }


def test_a_protocols_name_is_read_as_typed_its_case_aside():
    # "ABVD" is abvd; "abvd " is no name: nothing typed is stripped (the API refuses it too)
    assert load_protocol("ABVD").name == load_protocol("abvd").name == "ABVD"
    with pytest.raises(UnknownNameError, match="did you mean 'abvd'"):
        load_protocol("abvd ")


def test_a_protocol_file_is_named_as_given_in_a_refusal(tmp_path, monkeypatch):
    # "./abvd" is the file, never the shipped name: refused as "./abvd", not as "abvd" (which Path shortens it to)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DoseCalcError, match=r"^\./abvd: cannot be read"):
        load_protocol("./abvd")


def test_a_protocols_texts_are_kept_as_typed_and_never_overwrite_a_line():
    # a carriage return in the notes was printed raw: "...cycle\rDose: 10x" overwrote the line on a terminal
    with pytest.raises(ImplausibleInputError, match="notes.*lines of text, without control characters"):
        Protocol.from_dict(minimal(notes="Give on day 1 of each cycle\rDose: 10x"))
    assert Protocol.from_dict(minimal(notes="line one\r\nline two\n")).notes == "line one\r\nline two\n"
    # a name or a note with spaces around it was stripped: refused, never changed
    with pytest.raises(ImplausibleInputError, match="protocol name=. T .: expected .*no space around it"):
        Protocol.from_dict(minimal(name=" T "))
    with pytest.raises(ImplausibleInputError, match="note.*no space around it"):
        Protocol.from_dict(minimal(order=[{"drug": "drug-x", "dose": "10 mg/m2", "days": [1], "note": " bolus"}]))


@pytest.mark.parametrize("other", ["b\u043elus", "Bolus", "bolus\u200b"])
def test_two_orders_of_a_drug_on_a_day_need_notes_a_person_tells_apart(other):
    # "bolus" and "bоlus" (a Cyrillic о) looked like one note: the drug given twice on day 1, 184 mg a cycle
    orders = [
        {"drug": "doxorubicin", "dose": "50 mg/m2", "days": [1], "note": "bolus"},
        {"drug": "doxorubicin", "dose": "50 mg/m2", "days": [1], "note": other},
    ]
    if not other.isprintable():
        with pytest.raises(ImplausibleInputError, match="note"):
            Protocol.from_dict(minimal(order=orders))
        return
    with pytest.raises(ImplausibleInputError, match=r"orders 1 and 2=doxorubicin twice on day 1"):
        Protocol.from_dict(minimal(order=orders))


def test_a_drug_on_an_ideal_weight_is_counted_per_m2_of_the_bodys_bsa_where_smaller():
    # 180 cm, 50 kg, male: Devine's ideal weight 75.0 kg (Devine 1974), BSA on it 1.936 m², the body's 1.581 m²
    # (Mosteller 1987). Doxorubicin 25 mg/m² on the ideal weight is 48.4 mg: 25 mg/m² of the ideal-weight BSA,
    # 30.6 mg/m² of the body's; counted by the smaller, never under: 6 cycles after 230 mg/m², 413.7 mg/m²
    protocol = Protocol.from_dict(
        minimal(
            cycles=6,
            order=[
                {"drug": "doxorubicin", "dose": "25 mg/m2", "weight_basis": "ideal", "days": [1]},
                {"drug": "cyclophosphamide", "dose": "750 mg/m2", "days": [1]},
            ],
        )
    )
    schedule = protocol.for_patient(height=180, weight=50, sex="m")
    exposure = schedule.cumulative(prior={"doxorubicin": "230 mg/m2"})["doxorubicin"]
    body = math.sqrt(180 * 50 / 3600)
    per_cycle = exposure.per_cycle.m_as("mg") / body
    assert exposure.total_as_limit.m_as("mg/m**2") == pytest.approx(230 + 6 * per_cycle)
    assert per_cycle == pytest.approx(25 * math.sqrt(180 * 75.0 / 3600) / body, rel=1e-3)


@pytest.mark.parametrize("text", ["1\u3000,8", "1\x1c,8", "1\n,8", "1,\u00a08", "1\t-\t5"])
def test_days_are_read_with_ascii_spaces_alone(text):
    # Python's \s took an ideographic space, U+001C and a line break for spaces: "1\u3000,8" was days 1 and 8
    with pytest.raises(ImplausibleInputError, match=r"^days=.*: expected days such as \[1, 8, 15\]"):
        read_days(text, 21)
    assert read_days("1 - 5, 8", 21) == (1, 2, 3, 4, 5, 8)


def test_orders_of_a_drug_in_two_bases_are_refused_naming_the_orders():
    # "--doxorubicin 20.0 mg/m²" named an option the command line does not have
    orders = [
        {"drug": "doxorubicin", "dose": "40 mg", "days": [1], "note": "a"},
        {"drug": "doxorubicin", "dose": "20 mg/m2", "days": [1], "note": "b"},
    ]
    with pytest.raises(UnitError) as refused:
        Protocol.from_dict(minimal(order=orders))
    assert str(refused.value) == (
        "the doxorubicin orders=20 mg/m²: expected a dose in mg, as the drug's other orders: doses in two bases are "
        "not summed"
    )
