"""A patient's dose and a regimen: ``dose`` and ``regimen``, thin shells over :class:`dosecalc.order.Order`."""

import contextlib
import dataclasses
import os
from typing import Annotated

import typer

from ..adjustments import BAND_DEVIATION, DEFAULT_BAND_DEVIATION_PCT, read_band_table, read_level_table
from ..body import WEIGHT_BASES
from ..bsa import bsa_method
from ..conversions import FDA_2005, km_factor, to_mg_per_kg, to_mg_per_m2
from ..doses import BASIS_LABELS, FLAT, PER_KG, PER_M2, UNITS, UNITS_PER_M2
from ..errors import DoseCalcError, MissingInputError, as_typed
from ..grammar import bare_number
from ..order import Order
from ..patient import ACTUAL
from ..regimen import Regimen, cycle_total
from ..results import plain
from ..validation import BSA, checked_scalar
from .app import app
from .inputs import (
    Input,
    bad_input,
    named,
    one_measure,
    one_of,
    option_step,
    read_days,
    read_option,
    step_options,
    value_of,
)
from .options import (
    AsJson,
    BandDeviation,
    Bands,
    Body,
    BsaCap,
    Dose,
    Level,
    Levels,
    MaxDose,
    Reduce,
    RoundTo,
    Tolerance,
    Vials,
    WeightBasis,
    option_groups,
    whole_number,
)
from .output import (
    bsa_row,
    figures,
    input_rows,
    inputs_json,
    km_json,
    km_row,
    method_json,
    method_row,
    percent,
    print_json,
    print_rows,
    results_json,
    rounding_note,
    show,
    show_bsa,
)


def _patient_arguments(inputs: dict[str, Input | None]) -> dict:
    """height, weight and bsa as library arguments (None where not given)."""
    return {name: value_of(inputs[name]) for name in ("height", "weight", "bsa")}


# --- safeguards: the options of the steps of a patient's dose, as one Order -------------


@dataclasses.dataclass(frozen=True)
class Safeguards:
    """The safeguard options of ``dose`` and ``regimen`` as typed: the :class:`~dosecalc.order.Order` they
    make (see "Safeguards" in the package docstring), each error naming its option."""

    weight_basis: WeightBasis = None
    bsa_cap: BsaCap = None
    max_dose: MaxDose = None
    reduce: Reduce = None
    level: Level = None
    levels: Levels = None
    round_to: RoundTo = None
    vials: Vials = None
    tolerance: Tolerance = None
    bands: Bands = None
    band_deviation: BandDeviation = None

    @property
    def about_patient(self) -> bool:
        """Whether an option of a patient's dose (not of the regimen's) was given."""
        return any(
            getattr(self, name) is not None
            for name in ("weight_basis", "bsa_cap", "max_dose", "round_to", "vials", "bands")
        )

    def order(self, dose: str) -> Order:
        """The Order of the dose and these options; the level and band tables read naming their options."""
        one_of(("--reduce", self.reduce), ("--level", self.level))
        one_measure(self.round_to, self.vials, self.bands, self.tolerance)
        if self.levels is not None and self.level is None:
            raise MissingInputError("level", f"a dose level of --levels {self.levels}")
        texts = dataclasses.asdict(self)
        if texts["levels"] is not None:
            with option_step("--levels", texts["levels"]):
                texts["levels"] = read_level_table(texts["levels"])
        texts["bands"] = read_bands(texts["bands"], texts.pop("band_deviation"))
        level = texts["level"]
        with option_step("--level", level) if level is not None else contextlib.nullcontext(), as_typed({"dose": dose}):
            return Order.from_options(None, dose, **texts)

    def evaluate(self, order: Order, inputs: dict, body: Body):
        """The patient's OrderDose; a rounding or a band that fails names its option."""
        steps = {
            "rounding": ("--round-to", self.round_to) if self.vials is None else ("--vials", self.vials),
            "band": ("--bands", self.bands),
        }
        with step_options(steps):
            return order.for_patient(**_patient_arguments(inputs), method=body.bsa_method, sex=body.sex)

    def inputs_json(self, order: Order) -> dict:
        """The safeguard options given, as ``{"given", "value", "unit"}``."""
        texts = dataclasses.asdict(self)
        read = {
            "bsa_cap": read_option(texts["bsa_cap"], "bsa_cap", BSA.unit, bare=True),
            "max_dose": read_option(texts["max_dose"], "max_dose", order.amount_unit),
            "reduce": read_option(texts["reduce"], "reduction_pct", "percent", bare=True),
            "round_to": read_option(texts["round_to"], "step", FLAT),
            "tolerance": read_option(texts["tolerance"], "tolerance_pct", "percent", bare=True),
            "band_deviation": read_option(texts["band_deviation"], "band_deviation_pct", "percent", bare=True),
        }
        out = {name: item.to_json() for name, item in read.items() if item is not None}
        if texts["weight_basis"] is not None:
            out["weight_basis"] = named(texts["weight_basis"], order.weight_basis)
        if texts["level"] is not None:
            out["level"] = named(texts["level"], order.modification.level)
        for name in ("levels", "bands"):
            if texts[name] is not None:
                out[name] = named(texts[name], os.path.abspath(texts[name]))
        if order.vials is not None:
            out["vials"] = {
                "given": texts["vials"],
                "value": [strength.m_as("mg") for strength in order.vials],
                "unit": "mg",
            }
        return out


def read_bands(bands: str | None, band_deviation: str | None):
    """
    The band table of --bands, each band moving a dose at most
    --band-deviation (a bare number in %; default 6 %, NICE KTT22; at most
    10 %); None without --bands, and --band-deviation alone is refused.
    """
    if bands is None:
        if band_deviation is not None:
            raise DoseCalcError(f"--band-deviation {band_deviation}: applies to a band table; give --bands")
        return None
    deviation = DEFAULT_BAND_DEVIATION_PCT
    if band_deviation is not None:
        number = bare_number(band_deviation)
        with option_step("--band-deviation", band_deviation):
            deviation = checked_scalar(band_deviation if number is None else number, BAND_DEVIATION, "band_deviation")
    with option_step("--bands", bands):
        return read_band_table(bands, deviation_pct=deviation)


@app.command("dose")
@option_groups
def dose_command(dose: Dose, *, body: Body, safeguards: Safeguards, as_json: AsJson = False) -> None:
    """
    A patient's absolute dose in mg, from mg/m², mg/kg or flat mg (in units
    from units/m², units/kg or units: bleomycin, never converted to mg), with
    its equivalents per m² and per kg and the BSA used. Safeguards apply in this
    order: --reduce or --level; the dose on the --weight-basis weight;
    --bsa-cap, then --max-dose; then --round-to, --vials or --bands.

    \b
    Examples:
      dosecalc dose 75mg/m2 --height 175cm --weight 70kg
      dosecalc dose 75mg/m2 --bsa 1.9
      dosecalc dose "6.1 mg/kg" --weight "154 lb"
      dosecalc dose 1.4mg/m2 --bsa 1.9 --max-dose 2mg
      dosecalc dose 75mg/m2 --height 190cm --weight 110kg --bsa-cap 2.0 --round-to 5mg
      dosecalc dose 1000mg/m2 --bsa 1.18 --bands examples/bands.csv
      dosecalc dose 85mg/m2 --bsa 1.9 --reduce 20
    """
    with bad_input():
        order = safeguards.order(dose)
        inputs = {"dose": read_option(dose, "dose"), **body.inputs()}
        steps = safeguards.evaluate(order, inputs, body)
        described = {**inputs_json(inputs, body.sex), **safeguards.inputs_json(order)}
    result = steps.patient
    if as_json:
        results = {
            "dose": steps.dose,
            "bsa": result.bsa,
            "dose_per_m2": result.dose_per_m2,
            "dose_per_kg": result.dose_per_kg,
        }
        print_json(
            "dose",
            inputs=described,
            results=results_json(results),
            method=method_json(result.bsa_method),
            **_steps_json(order, steps),
        )
        return
    print_rows(
        *_step_rows(order.modification, steps, "dose"),
        *_equivalent_rows(order.modification, steps),
        bsa_row(result.bsa, result.bsa_method, result.bsa_uncapped),
        computed_bsa_row(result),
        *input_rows(inputs, described, skip=("dose", "bsa")),
        *_weight_rows(result),
        method_row(result.bsa_method),
        _weight_basis_row(result),
    )


def computed_bsa_row(result):
    """The BSA of the height and weight given beside a given BSA (within 5 % of it, or refused)."""
    computed = getattr(result, "bsa_computed", None)
    if computed is None:
        return None
    return "computed BSA", show_bsa(computed), "from height and weight: within 5 % of the given BSA"


def _steps_json(order: Order, steps) -> dict:
    """The steps of a dose in the JSON, each as the library's ``to_dict()``; null when not taken."""
    return {
        "modification": plain(order.modification),
        "patient_dose": None if steps is None else plain(steps.patient),
        "rounding": None if steps is None else plain(steps.rounding),
        "band": None if steps is None else plain(steps.band),
    }


def _calculation(result, bsa=None, modified: bool = False) -> str:
    """How a PatientDose's dose is calculated: "75 mg/m² × BSA 1.84 m²" (at ``bsa``
    when given: the BSA before its cap); a flat dose as prescribed, or as modified."""
    if result.basis in (FLAT, UNITS):
        return f"flat dose, as {'modified' if modified else 'prescribed'}"
    per_m2 = result.basis in (PER_M2, UNITS_PER_M2)
    size = f"BSA {show_bsa(result.bsa if bsa is None else bsa)}" if per_m2 else show(result.dosing_weight)
    return f"{show(result.prescribed)} × {size}"


def _modification_row(modification) -> tuple[str, str, str]:
    if modification.method == "reduction":
        return (
            "reduced",
            show(modification.modified),
            f"{show(modification.original)} {percent(-modification.reduction_pct)}",
        )
    share = f"{figures(modification.percent_of_original)} % of {show(modification.original)}"
    return f"level {modification.level}", show(modification.modified), f"{modification.level_table}: {share}"


def _last_step(steps) -> str | None:
    """How the rounding or band changed the calculated dose; None without them."""
    if steps.rounding is not None:
        return f"{show(steps.rounding.calculated)} {rounding_note(steps.rounding)}"
    if steps.band is not None:
        band = steps.band
        return f"{show(band.calculated)} in band {band.band} of {band.table}: {percent(band.deviation_pct)}"
    return None


def _step_rows(modification, steps, label: str) -> list[tuple[str, str, str]]:
    """The dose to give (as ``label``), then each step: modification,
    calculation, caps, rounding or band (an OrderDose; None without a patient)."""
    rows = [] if modification is None else [_modification_row(modification)]
    if steps is None:
        return rows
    result = steps.patient
    modified = modification is not None
    calculated = (
        f"capped at the max dose, {show(result.max_dose)}"
        if result.max_dose_applied
        else _calculation(result, modified=modified)
    )
    last = _last_step(steps)
    if last is not None:
        rows.append(("calculated", show(result.dose), calculated))
    if result.bsa_cap_applied or result.max_dose_applied:
        rows.append(("uncapped", show(result.dose_uncapped), _calculation(result, result.bsa_uncapped, modified)))
    if result.bsa_cap is not None:
        applied = f"applied: BSA {show_bsa(result.bsa_uncapped)} capped" if result.bsa_cap_applied else "not applied"
        rows.append(("BSA cap", show_bsa(result.bsa_cap), applied))
    if result.max_dose is not None:
        rows.append(("max dose", show(result.max_dose), "applied" if result.max_dose_applied else "not applied"))
    return [(label, show(steps.dose), last or calculated), *rows]


def _equivalent_rows(modification, steps) -> list[tuple[str, str, str]]:
    """The calculated dose per m² of BSA and per kg of dosing weight, as the
    library reports them (a capped dose per m² of the uncapped BSA)."""
    result = steps.patient
    capped = result.bsa_cap_applied or result.max_dose_applied
    size = {
        PER_M2: None
        if result.bsa is None
        else f"BSA {show_bsa(result.bsa if result.bsa_uncapped is None else result.bsa_uncapped)}",
        PER_KG: None if result.dosing_weight is None else show(result.dosing_weight),
    }
    rows = []
    for basis, label, amount in ((PER_M2, "per m²", result.dose_per_m2), (PER_KG, "per kg", result.dose_per_kg)):
        if amount is not None:
            if amount.units == result.prescribed.units and not capped:
                note = "as prescribed" if modification is None else "as modified"
            else:
                note = f"{show(result.dose)} ÷ {size[basis]}"
            rows.append((label, show(amount), note))
    return rows


def _weight_rows(result) -> list[tuple[str, str, str]]:
    """The dosing weight where it is not the actual weight, and the BMI with the obesity flag."""
    rows = []
    if result.weight_basis != ACTUAL and result.dosing_weight is not None:
        label = WEIGHT_BASES[result.weight_basis].label
        if result.above_actual_weight:  # said, never changed: sources differ on a patient below the ideal weight
            label += f": above the actual weight, {show(result.weight)} (the lesser basis takes the actual one)"
        rows.append(("dosing weight", show(result.dosing_weight), label))
    if result.bmi is not None:
        rows.append(
            ("BMI", show(result.bmi), "obese (≥ 30 kg/m²): flagged; the dose is not changed" if result.obese else "")
        )
    return rows


def _weight_basis_row(result):
    if result.dosing_weight is None:
        return None
    return "weight basis", WEIGHT_BASES[result.weight_basis].label, result.weight_basis_reference


@app.command("regimen")
@option_groups
def regimen_command(
    dose: Dose,
    days: Annotated[str, typer.Option(help="Dosing days of the cycle, day 1 first: 1,8,15.", show_default=False)],
    cycle: Annotated[
        int, typer.Option(parser=whole_number, metavar="DAYS", help="Cycle length in days: 28.", show_default=False)
    ],
    cycles: Annotated[
        int | None,
        typer.Option(
            parser=whole_number, metavar="N", help="Number of cycles, for the cumulative dose.", show_default=False
        ),
    ] = None,
    *,
    body: Body,
    safeguards: Safeguards,
    as_json: AsJson = False,
) -> None:
    """
    Regimen arithmetic: per administration, per cycle, dose intensity per week,
    the mg/kg (or mg/m²) equivalent by the adult human Km, the cumulative dose
    and, given height and weight (or --bsa), the patient's doses in mg.
    --reduce or --level changes the regimen's doses; the other safeguards
    apply to each of the patient's administrations, as in `dosecalc dose`.

    DOSE is the dose of each administration, or a cycle total shared
    equally over the days: "225 mg/m2 per cycle" on days 1,8,15 is 75 mg/m²
    each.

    \b
    Examples:
      dosecalc regimen 75mg/m2 --days 1,8,15 --cycle 28
      dosecalc regimen "225 mg/m2 per cycle" --days 1,8,15 --cycle 28
      dosecalc regimen 75mg/m2 --days 1,8,15 --cycle 28 --cycles 6 --height 175cm --weight 70kg
      dosecalc regimen 85mg/m2 --days 1 --cycle 14 --reduce 20 --bsa 1.9 --round-to 5mg
    """
    with bad_input():
        bsa_method(body.bsa_method)  # an unknown formula refused before anything is read
        dosing_days = read_days(days)
        typed: dict[str, str | None] = {"dose": dose, "days": days}
        if cycle_total(dose):  # "225 mg/m2 per cycle": shared equally over the days, as Regimen(...) does
            with as_typed(typed):
                each = Regimen(dose, days=dosing_days, cycle_days=cycle).per_administration
            order, dose_input = safeguards.order(each), Input(dose, each)
        else:
            order, dose_input = safeguards.order(dose), read_option(dose, "dose")
        inputs = {"dose": dose_input, **body.inputs()}
        steps = None
        with as_typed(typed):
            schedule = Regimen(order.prescribed, days=dosing_days, cycle_days=cycle)
        prescribed = _schedule_doses(schedule.per_administration, schedule, cycles)
        equivalents, factor = {}, None
        if schedule.basis != FLAT:
            convert = to_mg_per_kg if schedule.basis == PER_M2 else to_mg_per_m2
            equivalents = {
                name: convert(prescribed[name]) for name in ("per_administration", "per_cycle", "dose_intensity")
            }
            factor = km_factor()
        patient, area, method_key = {}, None, None
        if safeguards.about_patient or any(value is not None for value in _patient_arguments(inputs).values()):
            steps = safeguards.evaluate(order, inputs, body)
            # the patient's regimen: each administration's dose to give, in mg, on the same days
            doses = Regimen(steps.dose, days=schedule.days, cycle_days=schedule.cycle_days)
            patient = _schedule_doses(doses.per_administration, doses, cycles)
            area, method_key = steps.patient.bsa, steps.patient.bsa_method
        described = {**inputs_json(inputs, body.sex), **safeguards.inputs_json(order)}
        described["days"] = {"given": days, "value": list(schedule.days), "unit": "day"}
        described["cycle"] = {"given": str(cycle), "value": schedule.cycle_days, "unit": "day"}
        if cycles is not None:
            described["cycles"] = {"given": str(cycles), "value": cycles, "unit": None}
    km = None if factor is None else km_json(factor, "human")
    if as_json:
        results = {
            **prescribed,
            **{f"{name}_equivalent": quantity for name, quantity in equivalents.items()},
            "bsa": area,
            **{f"patient_{name}": quantity for name, quantity in patient.items()},
        }
        print_json(
            "regimen",
            inputs=described,
            results=results_json(results),
            km=km,
            method=method_json(method_key),
            **_steps_json(order, steps),
        )
        return
    columns = {BASIS_LABELS[schedule.basis]: prescribed}
    if equivalents:
        columns[f"≈ {BASIS_LABELS[PER_KG if schedule.basis == PER_M2 else PER_M2]}"] = equivalents
    if patient:
        columns["patient"] = patient
    rows = [
        [f"{label}, {cycles} cycles" if name == "cumulative" else label]
        + [show(doses[name]) if name in doses else "" for doses in columns.values()]
        for name, label in _SCHEDULE_LABELS.items()
        if name in prescribed
    ]
    print_rows(
        ("schedule", f"days {', '.join(map(str, schedule.days))}", f"of a {schedule.cycle_days}-day cycle"),
        None if factor is None else km_row(factor, "human", "≈ by Km"),
        *_step_rows(order.modification, steps, "patient dose"),
        bsa_row(area, method_key, None if steps is None else steps.patient.bsa_uncapped),
        *input_rows(inputs, described, skip=("dose", "bsa")),
        *([] if steps is None else _weight_rows(steps.patient)),
        method_row(method_key),
        None if steps is None else _weight_basis_row(steps.patient),
        table=(["", *columns], rows),
        references=(None if factor is None else FDA_2005,),
    )


_SCHEDULE_LABELS = {
    "per_administration": "per administration",
    "per_cycle": "per cycle",
    "dose_intensity": "dose intensity",
    "cumulative": "cumulative",
}


def _schedule_doses(per_administration, plan, cycles: int | None) -> dict:
    """The doses of a Regimen (in its basis) or a RegimenDose (in mg)."""
    doses = {
        "per_administration": per_administration,
        "per_cycle": plan.per_cycle,
        "dose_intensity": plan.dose_intensity,
    }
    if cycles is not None:
        doses["cumulative"] = plan.cumulative(cycles)
    return doses
