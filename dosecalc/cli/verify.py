"""
``dosecalc verify``: ordered doses checked against doses computed
independently, for one patient or for a day's orders file.

Exit codes: 0 every order within tolerance and nothing flagged; 4 anything
outside the tolerance, flagged, not verifiable or rejected; 2 bad input.

``--json`` objects (besides ``"command"`` and ``"dosecalc_version"``):
``"inputs"`` as for ``dose`` (and ``protocol``, ``ordered``, ``cycle``,
``day``, ``tolerance``, each ``prior <drug>`` as typed and read, and
``conditions``); one patient: ``"verification"``, the library's
``Verification.to_dict()`` (every check with its numbers, verdict, flags
and the computation's steps; the settings with their sources); a file:
``"summary"``, ``VerifiedTable.summary()`` with the files written and the
run's ``provenance`` (as written with the files), and ``"not_ordered"``, the
doses due on a patient's day that nobody ordered. With the verified orders or
the rejects on stdout (``-``), the summary goes to stderr.
"""

import contextlib
import sys
from typing import Annotated

import typer

from ..errors import DoseCalcError, UnitError, as_typed
from ..validation import BSA, WEIGHT
from .app import app, terminable
from .inputs import bad_input, named, read_option, step_options, texts_of, value_of
from .options import AsJson, BsaCap, MaxDose, Patient, RoundTo, WeightBasis, option_groups, whole_number
from .output import figures, input_rows, inputs_json, limit_for, percent, print_blocks, print_json, show
from .protocol import NEEDS_ATTENTION, Condition, protocol_named, read_conditions, read_priors

#: The doses due and not ordered that the text output lists; --json has all.
_SHOWN = 10

Ordered = Annotated[
    list[str] | None,
    typer.Option(
        help='An ordered dose, drug=dose: "doxorubicin=95mg" (repeat for each drug); with --dose, the dose alone: "138mg".',
        show_default=False,
    ),
]


def _ordered(texts: list[str] | None, single: str | None) -> list[tuple[str, str]]:
    """The --ordered texts as (drug, dose) pairs; a dose alone is named ``single`` (with --dose), else refused."""
    from ..grammar import escaped

    pairs = []
    for text in texts or []:
        drug, sign, dose = text.partition("=")
        if single is not None and not sign:
            pairs.append((single, text.strip(" ")))
            continue
        if not sign or not drug.strip(" ") or not dose.strip(" ") or "=" in dose:
            # field, value and expected each named, for --json as for the text
            raise UnitError("ordered", escaped(text), "drug=dose, such as doxorubicin=95mg (one per --ordered)")
        pairs.append((drug.strip(" "), dose.strip(" ")))
    return pairs


def _check_rows(result) -> list[list[str]]:
    from ..grammar import unquoted_escaped
    from ..verify import verdict_codes

    rows = []
    for check in result.checks:
        drug = unquoted_escaped(check.drug)  # a name as typed, invisible characters escaped
        name = drug if check.note is None else f"{drug} ({check.note})"
        ordered = "" if check.ordered is None else show(check.ordered)
        given = unquoted_escaped(str(check.ordered_given or ""))
        if check.ordered is not None and given.replace(" ", "") != ordered.replace(" ", ""):
            ordered += f" (from {given})"
        difference = "" if check.difference_pct is None else percent(check.difference_pct)
        # a too high or too low dose is said by its difference, unless that is within the tolerance (an order
        # above its maximum dose): then the reason says why
        within = check.difference_pct is not None and verdict_codes(check.difference_pct, result.tolerance.value) == 0
        said = check.verdict in ("too_high", "too_low") and not within
        notes = [flag.message for flag in check.flags] + (
            [check.reason] if check.reason and not check.ok and not said else []
        )
        rows.append(
            [
                name,
                ordered,
                "" if check.computed is None else show(check.computed),
                difference,
                _verdict(check),
                "; ".join(notes),
            ]
        )
    return rows


def _prior_rows(result) -> list[list[str]]:
    """
    Each prior exposure beside its text as typed, with the lifetime limit it
    was counted against; one given in mg against a limit per m² with the
    exposure per m² and today's BSA that made it one. Then each condition
    given: the numbers behind a lifetime limit, reached or not.
    """
    from ..grammar import unquoted_escaped

    rows = []
    for exposure in result.priors:
        shown = show(exposure.amount)
        given = unquoted_escaped(str(exposure.given))  # as typed, an invisible character escaped
        typed = "" if given == shown else f"from {given}"
        if exposure.counted is not None and exposure.bsa is not None:
            bsa = f"{float(exposure.bsa.m_as('m**2')):.4g} m²"
            # mg against a limit per m² is divided by the BSA; units/m² against a limit in units, multiplied
            per_m2 = exposure.amount.dimensionality.get("[length]", 0) < exposure.counted.dimensionality.get(
                "[length]", 0
            )
            counted = f"{shown} {'×' if per_m2 else '÷'} today's BSA {bsa} (uncapped) = {show(exposure.counted)}"
        elif exposure.counted is None:
            counted = f"not counted: no dose of {exposure.drug} checked"
        else:
            counted = ""
        limit = f"lifetime limit {show(exposure.limit.amount)} ({limit_for(exposure.limit)})"
        rows.append([f"prior {exposure.drug}", shown, "; ".join(filter(None, [typed, counted, limit]))])
    rows += [["condition", name] for name in result.conditions]
    return rows


def _verdict(check) -> str:
    if check.ok:
        return "ok"
    if check.verdict == "within_tolerance":
        return "within tolerance, FLAGGED"
    return check.verdict.replace("_", " ").upper()


def _exit(ok: bool) -> None:
    if not ok:
        raise typer.Exit(code=NEEDS_ATTENTION)


@app.command("verify")
@option_groups
def verify_command(
    protocol: Annotated[
        str | None,
        typer.Argument(
            metavar="[NAME|FILE]",
            help="A protocol of `dosecalc protocol list`, or a protocol TOML file; or use --dose.",
            show_default=False,
        ),
    ] = None,
    ordered: Ordered = None,
    dose: Annotated[
        str | None,
        typer.Option(help='Verify one order of this dose instead of a protocol: "75mg/m2".', show_default=False),
    ] = None,
    drug: Annotated[
        str | None, typer.Option(help="The drug of --dose, for its lifetime limit.", show_default=False)
    ] = None,
    *,
    patient: Patient,
    weight_basis: WeightBasis = None,
    bsa_cap: BsaCap = None,
    max_dose: MaxDose = None,
    round_to: RoundTo = None,
    cycle: Annotated[
        int | None,
        typer.Option(parser=whole_number, metavar="N", help="The cycle the doses are for.", show_default=False),
    ] = None,
    day: Annotated[
        int | None,
        typer.Option(
            parser=whole_number,
            metavar="N",
            help="The day of the cycle: a drug not given that day is flagged, and one due and not ordered listed.",
            show_default=False,
        ),
    ] = None,
    baseline_weight: Annotated[
        str | None,
        typer.Option(
            help='The weight the treatment was planned with: "80kg"; a change of ≥ the threshold is flagged.',
            show_default=False,
        ),
    ] = None,
    weight_change: Annotated[
        str | None,
        typer.Option(
            help='Weight-change threshold: adult (10 %, the default), child (5 %) or a percentage: "7.5%".',
            show_default=False,
        ),
    ] = None,
    prior: Annotated[
        list[str] | None,
        typer.Option(
            help='Exposure before this dose, drug=amount: "doxorubicin=300mg/m2" (repeatable).', show_default=False
        ),
    ] = None,
    condition: Condition = None,
    tolerance: Annotated[
        str | None,
        typer.Option(
            help='Largest difference from the computed dose: default 5%, at most 10% (HOPA); "5%".', show_default=False
        ),
    ] = None,
    orders: Annotated[
        str | None,
        typer.Option(
            help="A day's orders, CSV or Parquet, one row per ordered dose (see examples/orders.csv); - for stdin.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="With --orders: write each order with its verdict here (.csv or .parquet).",
            show_default=False,
        ),
    ] = None,
    rejects: Annotated[
        str | None,
        typer.Option(help="With --orders: write the rows that could not be read or dosed here.", show_default=False),
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option(help='With --orders: the CSV delimiter, ",", ";", "tab" or "|".', show_default=False)
    ] = None,
    encoding: Annotated[
        str, typer.Option(help="With --orders: the CSV's text encoding, utf-8, latin-1 or cp1252.")
    ] = "utf-8",
    decimal_comma: Annotated[
        bool, typer.Option(help="With --orders: numbers are written with a decimal comma: 92,5.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """
    Verify ordered doses: each one against the dose computed independently
    from the patient's current measurements by the protocol's order, with
    the difference in % of the computed dose, a verdict and the flags a
    pharmacist must look at (weight change, a cap or rounding that explains
    a difference, a lifetime limit, a day the protocol does not give the
    drug). Exit 0 when every order is within tolerance and nothing is
    flagged, 4 when anything needs attention, 2 for bad input.

    \b
    Examples:
      dosecalc verify r-chop-21 --height 175cm --weight 80kg --ordered doxorubicin=95mg --ordered vincristine=2mg
      dosecalc verify r-chop-21 --height 170cm --weight 68kg --baseline-weight 80kg --cycle 4 --day 1 --ordered doxorubicin=97mg
      dosecalc verify r-chop-21 --height 182cm --weight 95kg --prior doxorubicin=500mg/m2 --ordered doxorubicin=110mg
      dosecalc verify --dose 75mg/m2 --height 175cm --weight 70kg --ordered 138mg
      dosecalc verify r-chop-21 --orders examples/orders.csv -o verified.csv --rejects rejects.csv
    """
    # the library is loaded when the command runs: `import dosecalc.cli` stays light
    from ..order import Order
    from ..verify import SINGLE_DOSE, tolerance_setting, verify, weight_change_setting

    with bad_input():
        if (protocol is None) == (dose is None):
            raise DoseCalcError("give a protocol (NAME|FILE) or --dose, one of them")
        single_options = {
            "--drug": drug,
            "--weight-basis": weight_basis,
            "--bsa-cap": bsa_cap,
            "--max-dose": max_dose,
            "--round-to": round_to,
        }
        given_single = [name for name, value in single_options.items() if value is not None]
        if protocol is not None and given_single:
            raise DoseCalcError(
                f"{given_single[0]}: applies to a single order (--dose); a protocol's orders carry their own"
            )
        plan = (
            protocol_named(protocol)
            if protocol is not None
            else Order.from_options(
                drug or SINGLE_DOSE,
                dose,
                weight_basis=weight_basis,
                bsa_cap=bsa_cap,
                max_dose=max_dose,
                round_to=round_to,
            )
        )
        # a bare tolerance or weight change is in %, the options' documented unit, as dose's --tolerance
        with as_typed({"tolerance": tolerance, "weight_change": weight_change}):
            tolerance_pct = tolerance_setting(value_of(read_option(tolerance, "tolerance", "percent", bare=True)))
            threshold = (
                weight_change_setting(value_of(read_option(weight_change, "weight_change", "percent", bare=True)))
                if weight_change is not None and any(character.isdigit() for character in weight_change)
                else weight_change  # a population's name, or none: the library's
            )
        settings = {"tolerance": tolerance_pct, "weight_change": threshold, "conditions": read_conditions(condition)}
        if orders is not None:
            per_patient = {
                "--ordered": ordered,
                "--height": patient.height,
                "--weight": patient.weight,
                "--bsa": patient.given_bsa,
                "--sex": patient.sex,
                "--age": patient.age,
                "--creatinine": patient.creatinine,
                "--gfr": patient.gfr,
                "--cycle": cycle,
                "--day": day,
                "--baseline-weight": baseline_weight,
                "--prior": prior,
            }
            given = [name for name, value in per_patient.items() if value is not None]
            if given:
                raise DoseCalcError(f"{given[0]}: with --orders each row gives its own; leave it out")
            if output is None:
                raise DoseCalcError("--orders needs --output (-o): where to write each order with its verdict")
            from ..cohort_io import Reading  # a day's orders only: one patient's verification reads no file
            from ..verify_table import verify_file

            reading = Reading(delimiter=delimiter, decimal_comma=decimal_comma, encoding=encoding)
            with terminable():  # a kill mid-run leaves no temporary file
                checked = verify_file(
                    plan,
                    orders,
                    output,
                    rejects=rejects,
                    method=patient.bsa_method,
                    reading=reading,
                    command="dosecalc verify",
                    **settings,
                )
        elif output is not None or rejects is not None or delimiter is not None or encoding != "utf-8" or decimal_comma:
            raise DoseCalcError(
                "--output, --rejects, --delimiter, --encoding and --decimal-comma are for a day's orders: give --orders"
            )
    if orders is not None:
        _print_file(checked, protocol, orders, output, rejects, as_json)
        return
    with bad_input():
        inputs = {
            **patient.inputs(),
            "baseline_weight": read_option(baseline_weight, "baseline_weight", WEIGHT.unit),
        }
        pairs = _ordered(ordered, single=None if dose is None else drug or SINGLE_DOSE)
        if not pairs:
            raise DoseCalcError("--ordered: give the ordered doses, drug=dose (or the dose alone with --dose)")
        # a single order's options named as dose names them; an input refused shown as typed
        with step_options({"rounding": ("--round-to", round_to)}), as_typed(texts_of(inputs)):
            verification = verify(
                plan,
                pairs,
                cycle=cycle,
                day=day,
                baseline_weight=value_of(inputs["baseline_weight"]),
                prior=read_priors(prior),
                **patient.arguments(inputs),
                **settings,
            )
        from ..doses import FLAT

        # a single order's own options, read once: as --json gives the dose, and as the text shows each
        single = {
            label: read_option(text, field, base, bare=base == BSA.unit)
            for label, field, text, base in (
                ("dose", "dose", dose, None),
                ("max dose", "max_dose", max_dose, FLAT),
                ("round to", "step", round_to, FLAT),
                ("BSA cap", "bsa_cap", bsa_cap, BSA.unit),
            )
            if text is not None
        }
        described = inputs_json(inputs, patient.sex)
        if protocol is not None:
            described["protocol"] = named(protocol, verification.protocol)
        else:
            described["dose"] = single["dose"].to_json()
        described["ordered"] = named(" ".join(ordered or []), [[name, text] for name, text in pairs])
        from ..results import plain

        for exposure in verification.priors:  # as typed and as read, whether or not a limit is reached
            described[f"prior {exposure.drug}"] = {"given": exposure.given, **plain(exposure.amount)}
        if verification.conditions:
            described["conditions"] = named(" ".join(condition or []), ", ".join(verification.conditions))
    if as_json:
        print_json("verify", inputs=described, verification=verification.to_dict())
        _exit(verification.ok)
        return
    head = [[verification.protocol or "single order", "OK" if verification.ok else "NEEDS ATTENTION"]]
    if cycle is not None or day is not None:
        head.append(["cycle, day", f"{cycle or '—'}, {day or '—'}"])
    head += [[flag.code.replace("_", " "), flag.message] for flag in verification.flags]
    from ..grammar import unquoted_escaped

    read = [list(row) for row in input_rows(inputs, described)]  # each value read, beside its text as typed
    read += [list(item.row(label)) for label, item in single.items()]  # as typed beside the values read
    read += _prior_rows(verification)
    computed = [  # how each dose was computed: BSA and formula, the kidney function, the caps
        [unquoted_escaped(check.drug), "; ".join(step.change for step in check.dose.steps[1:] if step.applied)]
        for check in verification.checks
        if check.dose is not None
    ]
    rules = [
        ["tolerance", f"±{figures(verification.tolerance.value)} %"],
        ["weight change", f"≥ {figures(verification.weight_change.value)} % from the baseline"],
    ]
    sources = [
        [f"tolerance: {verification.tolerance.source}"],
        [f"weight change: {verification.weight_change.source}"],
        *([f"why verify: {reference}"] for reference in verification.references),
    ]
    print_blocks(
        (None, head),
        (None, read),
        (["drug", "ordered", "computed", "difference", "verdict", "why"], _check_rows(verification)),
        (["drug", "computed by"], computed),
        (None, rules),
        (None, sources),
    )
    _exit(verification.ok)


def _print_file(result, protocol, orders, output, rejects, as_json) -> None:
    # with the verified orders (or the rejects) on stdout, the summary goes to stderr (as dosecalc cohort's)
    with contextlib.redirect_stdout(sys.stderr) if "-" in (output, rejects) else contextlib.nullcontext():
        _print_summary(result, protocol, orders, output, rejects, as_json)
    _exit(result.ok)


def _print_summary(result, protocol, orders, output, rejects, as_json) -> None:
    from ..grammar import unquoted_escaped

    summary = result.summary()
    written = {"orders": orders, "output": output, "rejects": rejects}
    if as_json:
        print_json(
            "verify",
            inputs={"protocol": named(protocol, protocol), **{k: named(v, v) for k, v in written.items() if v}},
            summary={**summary, "files": {k: v for k, v in written.items() if v}},
            not_ordered=result.not_ordered.to_pylist(),
        )
        return
    rows = [[name, str(summary[name])] for name in ("rows", "verified", "flagged", "rejected")]
    rows += [[verdict.replace("_", " "), str(count)] for verdict, count in summary["verdicts"].items() if count]
    rows += [[f"flag: {code.replace('_', ' ')}", str(count)] for code, count in summary["flags"].items() if count]
    for missing in result.not_ordered.slice(0, _SHOWN).to_pylist():
        patient = unquoted_escaped(str(missing["patient_id"]))  # as in the file, a newline escaped
        when = (
            f"day {missing['day']}" if missing["cycle"] is None else f"cycle {missing['cycle']}, day {missing['day']}"
        )
        rows.append(["not ordered", f"{patient}: {missing['drug']} ({when})"])
    if result.not_ordered.num_rows > _SHOWN:
        rows.append(["", f"… and {result.not_ordered.num_rows - _SHOWN} more (--json lists them all)"])
    rows.append(["written", "stdout" if output == "-" else output])
    if rejects is not None and summary["rejected"]:
        rows.append(["rejects", "stdout" if rejects == "-" else rejects])
    elif summary["rejected"]:
        rows.append(["rejects", "not written: give --rejects FILE to see the rows and why"])
    rows.append(["tolerance", f"±{figures(result.tolerance.value)} % ({result.tolerance.source})"])
    print_blocks((None, rows))
