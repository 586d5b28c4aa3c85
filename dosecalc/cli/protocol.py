"""
Protocols: ``protocol list``, ``protocol show NAME|FILE`` and ``plan NAME|FILE``.

``--json`` objects (besides ``"command"`` and ``"dosecalc_version"``):

- ``protocol list``: ``"protocols"``, a list of ``{"name", "title",
  "cycle_days", "cycles", "drugs", "file"}``.
- ``protocol show``: ``"protocol"``: ``{"name", "title", "file",
  "cycle_days", "cycles", "orders", "limits", "references", "notes"}``, each
  order ``{"drug", "days", "times_per_day", "note", "order"}`` (the order's
  ``to_dict()``).
- ``plan``: ``"inputs"`` as for ``dose``; ``"schedule"``, the library's
  ``Schedule.to_dict()`` (each order with every step, each administration);
  ``"cumulative"``, its ``Cumulative.to_dict()`` with the ``--prior``
  exposures and ``--condition`` limits.

``plan`` exits 4 (after its output) when a lifetime limit is reached within
the planned cycles, the code ``verify`` exits with for the same condition;
2 for bad input; else 0.
"""

from typing import Annotated

import typer

from ..carboplatin import GFR, CarboplatinDose
from ..errors import ImplausibleInputError, UnitError, as_typed
from ..grammar import escaped
from ..order import drug_name
from ..protocol import (
    ANTHRACYCLINE_EQUIVALENCES,
    PROTOCOL_DIR,
    load_protocol,
    protocol_names,
)
from ..renal import INDEXED_GFR, RENAL_FORMULAS
from ..results import plain
from .app import app, command_group
from .inputs import bad_input, named, texts_of
from .options import AsJson, Patient, option_groups, whole_number
from .output import bsa_row, figures, input_rows, inputs_json, limit_for, print_blocks, print_json, show

#: The exit code of a verification that needs a pharmacist's attention, and of a plan that reaches a
#: lifetime limit within its cycles (a verification's flag too).
NEEDS_ATTENTION = 4

protocol_app = command_group(
    help="Treatment protocols: the library shipped with dosecalc, and protocol files.", no_args_is_help=True
)
app.add_typer(protocol_app, name="protocol")

ProtocolName = Annotated[
    str,
    typer.Argument(
        metavar="NAME|FILE", help="A protocol of `dosecalc protocol list`, or a protocol TOML file.", show_default=False
    ),
]
Cycles = Annotated[
    int | None,
    typer.Option(parser=whole_number, metavar="N", help="Cycles to plan; default the protocol's.", show_default=False),
]
Prior = Annotated[
    list[str] | None,
    typer.Option(
        help='Exposure before this protocol, drug=amount: "doxorubicin=150mg/m2" (repeat for each drug).',
        show_default=False,
    ),
]
Condition = Annotated[
    list[str] | None,
    typer.Option(
        help="A condition that lowers a lifetime limit: mediastinal-radiotherapy (repeatable).", show_default=False
    ),
]
Equivalence = Annotated[
    str | None,
    typer.Option(
        help="Also sum the anthracyclines as doxorubicin by a named conversion: cog-hematologic or feijen-2019 "
        "(sources disagree; none unless asked).",
        show_default=False,
    ),
]


def protocol_named(text: str):
    """The protocol of a NAME|FILE argument (:func:`~dosecalc.protocol.load_protocol`); a name it does not
    know is refused with the shipped names and the nearest of them: "did you mean 'r-chop-21'?"."""
    return load_protocol(text)


def _days(days: tuple[int, ...]) -> str:
    """1, 8, 15 or 1-21: runs of consecutive days as ranges."""
    runs, start = [], days[0]
    for before, day in zip(days, (*days[1:], 0)):  # 0: the end of the days
        if day != before + 1:
            runs.append(str(start) if start == before else f"{start}-{before}")
            start = day
    return ", ".join(runs)


def _file(protocol) -> str:
    return (
        str(PROTOCOL_DIR / protocol.source)
        if protocol.source in {f"{name}.toml" for name in protocol_names()}
        else str(protocol.source)
    )


@protocol_app.command("list")
def protocol_list_command(as_json: AsJson = False) -> None:
    """
    The protocols shipped with dosecalc.

    \b
    Examples:
      dosecalc protocol list
      dosecalc protocol show r-chop-21
    """
    with bad_input():
        protocols = [(name, load_protocol(name)) for name in protocol_names()]
    if as_json:
        print_json(
            "protocol list",
            protocols=[
                {
                    "name": name,
                    "title": protocol.title,
                    "cycle_days": protocol.cycle_days,
                    "cycles": protocol.cycles,
                    "drugs": list(dict.fromkeys(item.order.drug for item in protocol.orders)),
                    "file": _file(protocol),
                }
                for name, protocol in protocols
            ],
        )
        return
    rows = [
        [
            name,
            protocol.name,
            f"{protocol.cycle_days} days",
            "until progression" if protocol.cycles is None else str(protocol.cycles),
            ", ".join(dict.fromkeys(item.order.drug for item in protocol.orders)),
        ]
        for name, protocol in protocols
    ]
    print_blocks((["name", "protocol", "cycle", "cycles", "drugs"], rows))


def _safeguards(order) -> str:
    parts = []
    if order.modification is not None:
        parts.append(
            f"reduced {order.reduction_pct:g} %"
            if order.reduction_pct is not None
            else f"level {order.level} of {order.levels.source}"
        )
    if order.weight_basis != "actual":
        parts.append(f"{order.weight_basis} weight")
    if order.bsa_cap is not None:
        parts.append(f"BSA cap {show(order.bsa_cap)}")
    if order.max_dose is not None:
        parts.append(f"max {show(order.max_dose)}")
    if order.round_to is not None:
        parts.append(f"round to {show(order.round_to)}")
    if order.vials is not None:
        parts.append("vials " + ", ".join(show(strength) for strength in order.vials))
    if order.bands is not None:
        parts.append(f"bands {order.bands.source}")
    return "; ".join(parts)


@protocol_app.command("show")
def protocol_show_command(protocol: ProtocolName, as_json: AsJson = False) -> None:
    """
    A protocol's orders, days, safeguards, lifetime limits and sources.

    \b
    Examples:
      dosecalc protocol show r-chop-21
      dosecalc protocol show my-protocol.toml --json
    """
    with bad_input():
        loaded = protocol_named(protocol)
    if as_json:
        print_json(
            "protocol show",
            protocol={
                "name": loaded.name,
                "title": loaded.title,
                "file": _file(loaded),
                "cycle_days": loaded.cycle_days,
                "cycles": loaded.cycles,
                "orders": [
                    {
                        "drug": item.order.drug,
                        "days": list(item.days),
                        "times_per_day": item.times_per_day,
                        "note": item.note,
                        "order": item.order.to_dict(),
                    }
                    for item in loaded.orders
                ],
                "limits": [limit.to_dict() for limit in loaded.limits],
                "references": list(loaded.references),
                "notes": loaded.notes,
            },
        )
        return
    cycles = "until progression" if loaded.cycles is None else f"{loaded.cycles} cycles"
    header = [[loaded.name, loaded.title or ""], ["cycle", f"{loaded.cycle_days} days, {cycles}"]]
    orders = [
        [
            _days(item.days) + (f" ×{item.times_per_day} a day" if item.times_per_day > 1 else ""),
            item.order.drug,
            show(item.order.prescribed),
            _safeguards(item.order),
            item.note or "",
        ]
        for item in loaded.orders
    ]
    limits = [[limit.drug, show(limit.amount), limit.condition, limit.population] for limit in loaded.limits]
    foot = [[f"reference: {reference}"] for reference in loaded.references] + (
        [[f"notes: {loaded.notes}"]] if loaded.notes else []
    )
    print_blocks(
        (None, header),
        (["days", "drug", "dose", "safeguards", "note"], orders),
        *([(["lifetime limit", "amount", "condition", "population"], limits)] if limits else []),
        (None, foot),
    )


#: What a --prior text is: a drug's name, "=", its amount (as the dose grammar reads it).
_PRIOR_FORM = "drug=amount"
_PRIOR_EXAMPLE = "such as doxorubicin=150mg/m2"


def read_priors(texts: list[str] | None) -> dict[str, str]:
    """
    The --prior texts as ``{drug: amount as typed}``, each read exactly: the drug by its generic name,
    nothing around it or the "=" (a tab, a line break or an ideographic space is no separator the
    user can see); the amount goes to the library as typed, where the dose grammar reads it. A drug
    given twice is refused: its total is one exposure.
    """
    priors: dict[str, str] = {}
    for text in texts or []:
        drug, sign, amount = text.partition("=")
        shown = escaped(text)
        if not sign or not drug or not amount:
            raise UnitError("prior", shown, f"{_PRIOR_FORM}, {_PRIOR_EXAMPLE}")
        if drug[0].isspace() or drug[-1].isspace() or amount[0].isspace():
            raise UnitError("prior", shown, f"{_PRIOR_FORM} with no space around the drug or the '=', {_PRIOR_EXAMPLE}")
        try:
            drug = drug_name(drug)
        except ImplausibleInputError as err:
            raise ImplausibleInputError(
                "prior", shown, f"{_PRIOR_FORM}, the drug as {err.expected}", err.hint
            ) from None
        if drug in priors:
            raise ImplausibleInputError("prior", shown, "each drug once", f"{drug} is given twice: give its total once")
        priors[drug] = amount
    return priors


def read_conditions(texts: list[str] | None) -> tuple[str, ...]:
    """The --condition texts, each once (the library knows their names): one given twice is refused, as a prior is."""
    conditions: list[str] = []
    for text in texts or []:
        if text in conditions:
            raise ImplausibleInputError("condition", escaped(text), "each condition once", "it is given twice")
        conditions.append(text)
    return tuple(conditions)


def _marks(dose) -> str:
    """What changed the dose on its way from the prescription: the modification ("reduced by 25 %"), a weight
    other than the actual one, a cap, a rounding or a band, each with the value before; for carboplatin first
    the GFR of the Calvert dose, what a pharmacist checks first."""
    marks = [
        step.change
        if step.name == "modification"
        else f"{step.change.removesuffix(' instead of the actual weight')} ({show(step.before)} → {show(step.after)})"
        if step.name == "weight basis"
        else f"{step.name} ({show(step.before)} → {show(step.after)})"
        for step in dose.steps
        if step.name in ("modification", "weight basis")
        or (step.applied and step.name in ("BSA cap", "max dose", "rounding", "band"))
    ]
    gfr = _gfr_mark(dose.patient)
    return "; ".join([gfr, *marks] if gfr else marks)


def _gfr_mark(patient) -> str | None:
    """A carboplatin dose's GFR, its source and the policy's cap: "Calvert at GFR 69.6 mL/min
    (Cockcroft-Gault; fda cap 125 mL/min not applied)"; None for another dose."""
    if not isinstance(patient, CarboplatinDose):
        return None
    source = "measured" if patient.gfr_source == "given" else RENAL_FORMULAS[patient.gfr_source].label
    indexed = getattr(patient.kidney_function, "egfr_ml_min_173m2", None)
    if indexed is not None:  # de-indexed by the BSA, as dosecalc carboplatin shows it (renal.absolute_gfr)
        source = f"{figures(float(indexed))} {INDEXED_GFR.symbol} × BSA / 1.73 m², {source}"
    if patient.gfr_cap is None:
        cap = f"{patient.policy}: not capped"
    elif patient.cap_applied:
        cap = f"{patient.policy} cap {show(patient.gfr_cap)} applied: the dose uses {show(patient.gfr)}"
    else:
        cap = f"{patient.policy} cap {show(patient.gfr_cap)} not applied"
    outside = ""
    if float(patient.gfr_uncapped.m_as("mL/min")) > GFR.high:  # read only as the protocol allows: said so
        outside = f"; outside {GFR.expected}, allowed by the protocol"
    return f"Calvert at GFR {show(patient.gfr_uncapped)} ({source}; {cap}{outside})"


@app.command("plan")
@option_groups
def plan_command(
    protocol: ProtocolName,
    *,
    patient: Patient,
    cycles: Cycles = None,
    prior: Prior = None,
    condition: Condition = None,
    equivalence: Equivalence = None,
    as_json: AsJson = False,
) -> None:
    """
    A patient's schedule for a protocol: each drug's dose to give on its days,
    with caps and roundings marked, and the cumulative exposure against the
    lifetime limits. Exit 0, or 4 when a lifetime limit is reached within
    the planned cycles (as verify exits 4 for it) or cannot be checked (a
    dose in mg against a limit per m², without height and weight), 2 for
    bad input.

    \b
    Examples:
      dosecalc plan r-chop-21 --height 175cm --weight 70kg
      dosecalc plan abvd --height 180cm --weight 80kg --cycles 6 --prior doxorubicin=150mg/m2
      dosecalc plan carboplatin-paclitaxel --height 165cm --weight 60kg --sex f --age 60 --creatinine 0.8mg/dL
      dosecalc plan imgn901-rd --height 175cm --weight 70kg --cycles 4 --json
      dosecalc plan r-chop-21 --height 175cm --weight 70kg --prior epirubicin=250mg/m2 --equivalence feijen-2019
    """
    with bad_input():
        loaded = protocol_named(protocol)
        inputs = patient.inputs()
        priors = read_priors(prior)
        with as_typed(texts_of(inputs)):
            schedule = loaded.for_patient(**patient.arguments(inputs), cycles=cycles)
        cumulative = schedule.cumulative(prior=priors, conditions=read_conditions(condition), equivalence=equivalence)
        described = inputs_json(inputs, patient.sex)
        described["protocol"] = named(protocol, loaded.name)  # as verify names it: no path of the machine
        if cycles is not None:
            described["cycles"] = named(str(cycles), cycles)
        if equivalence is not None:
            described["equivalence"] = named(equivalence, equivalence)
        for drug, amount in priors.items():
            described[f"prior {drug}"] = {"given": amount, **plain(cumulative[drug].prior)}
    if as_json:
        print_json("plan", inputs=described, schedule=schedule.to_dict(), cumulative=cumulative.to_dict())
    else:
        _print_plan(loaded, schedule, cumulative, inputs, described)
    if any(exposure.within_plan or exposure.unchecked for exposure in cumulative.exposures):
        raise typer.Exit(code=NEEDS_ATTENTION)


def _print_plan(loaded, schedule, cumulative, inputs, described) -> None:
    title = [[loaded.name, loaded.title or ""]]
    head = [["cycles", f"{schedule.cycles} of {loaded.cycle_days} days"]]
    head += [list(row) for row in input_rows(inputs, described) if row]
    bsa = bsa_row(
        schedule.bsa,
        next((dose.patient.bsa_method for dose in schedule.doses if getattr(dose.patient, "bsa_method", None)), None),
    )
    if bsa:
        head.append(list(bsa))
    rows = [
        [
            _days(item.days) + (f" ×{item.times_per_day} a day" if item.times_per_day > 1 else ""),
            item.order.drug,
            show(dose.dose),
            show(item.order.prescribed),
            item.note or "",
            _marks(dose),
        ]
        for item, dose in zip(loaded.orders, schedule.doses)
    ]
    foot = []
    for exposure in cumulative.exposures:
        limit = "" if exposure.limit is None else f"{show(exposure.limit.amount)} ({limit_for(exposure.limit)})"
        if exposure.limit is None:
            reached = ""
        elif exposure.reached_at_cycle == 0:
            reached = "REACHED before cycle 1"
        elif exposure.reached_at_cycle is not None:
            flag = "REACHED" if exposure.within_plan else "reached"
            reached = f"{flag} at cycle {exposure.reached_at_cycle}"
        elif exposure.total_as_limit is not None:
            reached = "not reached: nothing added by this protocol"
        else:
            reached = exposure.note or ""
        total = show(exposure.total)
        if exposure.total_as_limit is not None and exposure.total_as_limit.units != exposure.total.units:
            total += f" ({show(exposure.total_as_limit)})"
        foot.append(
            [
                exposure.drug,
                show(exposure.per_cycle),
                show(exposure.prior) if exposure.prior.magnitude else "",
                total,
                limit,
                reached,
            ]
        )
    conversion = ANTHRACYCLINE_EQUIVALENCES.get(cumulative.equivalence or "")
    equivalence_source = [[f"equivalence {conversion.name}: {conversion.source}"]] if conversion else []
    print_blocks(
        (None, title),
        (None, head),
        (["days", "drug", "dose", "prescribed", "note", "changed by"], rows),
        (
            [
                f"cumulative after {schedule.cycles} {'cycle' if schedule.cycles == 1 else 'cycles'}",
                "per cycle",
                "prior",
                "total",
                "lifetime limit",
                "",
            ],
            foot,
        ),
        (
            None,
            [
                *equivalence_source,
                [
                    "Every cycle as cycle 1: the doses are computed once from these measurements; recalculate when they change."
                ],
            ],
        ),
    )
