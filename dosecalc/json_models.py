"""
Typed models of every ``--json`` output, the source of the JSON Schemas in ``schemas/``.

Each command's object is a pydantic model; ``python tools/make_schemas.py``
writes ``schemas/<command>.schema.json`` from them (JSON Schema draft 2020-12),
and the tests validate what each command prints against those files. The
models describe the output; the command line does not use them, and neither
``import dosecalc`` nor the command line imports this module (pydantic is
needed only to regenerate the schemas or to serve the models over HTTP).

The envelope of every command is closed (no key beyond those listed); the
records that the library's own ``to_dict()`` writes (``patient_dose``,
``modification``, ``rounding``, ``band``, ``carboplatin_dose``, ``summary``)
list the keys they always carry and admit further ones, so a later version
may add a field to a result without breaking a reader.

Every number a command computes is finite: the tests read the output with a
JSON parser that refuses ``NaN`` and ``Infinity``, which JSON Schema cannot
state. Doses, areas, weights and clearances are never negative; a difference
in percent may be.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from .bsa import BSA_METHODS

__all__ = ["SCHEMAS", "ErrorOutput", "schema_of"]

NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Text = Annotated[str, Field(min_length=1)]
# dosecalc's own unit spellings ("mg/m²", "mg·min/mL", "µg/kg", "mL/min/1.73 m²"): MICRO SIGN µ and
# MIDDLE DOT ·, never pint's formats ("μg" with a Greek mu, "mg⋅min", "meter ** 2", "m^2")
Unit = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9%µ][A-Za-z0-9µ²³·%/. ]*$",
        description="A unit as dosecalc spells it: 'mg/m²', 'mg·min/mL', 'µg/kg', 'mL/min/1.73 m²'.",
    ),
]
Version = Annotated[str, Field(pattern=r"^\d+\.\d+", description="dosecalc's version, e.g. '0.1.0'.")]


class Closed(BaseModel):
    """A JSON object with exactly the keys listed."""

    model_config = ConfigDict(extra="forbid")


class Open(BaseModel):
    """A JSON object with at least the keys listed (later versions may add others)."""

    model_config = ConfigDict(extra="allow")


# --- building blocks ------------------------------------------------------------------


class Quantity(Closed):
    """A number with its unit, as dosecalc spells units (``"mg/m²"``, ``"mL/min"``)."""

    value: NonNegative
    unit: Unit


class Quantities(Closed):
    """Several numbers in one unit, e.g. vial strengths in mg."""

    value: list[NonNegative]
    unit: Unit


class Input(Closed):
    """One option as given and as read."""

    given: str = Field(description="The text as typed.")
    value: NonNegative | list[NonNegative] | str | list[tuple[str, str]] | None = Field(
        description=(
            "The value read, in ``unit``; a name or path for options that are not numbers; "
            "(name, text) pairs for a repeated option such as ``--ordered drug=dose``."
        )
    )
    unit: Unit | None


class Method(Closed):
    """A BSA formula; ``name`` is ``"given"`` (and ``reference`` null) when ``--bsa`` was given."""

    name: Text
    label: Text
    reference: Text | None


class ListedMethod(Closed):
    """A BSA formula as ``dosecalc methods`` lists it."""

    name: Text
    label: Text
    reference: Text
    needs: list[Literal["height", "weight", "sex"]]


class Km(Closed):
    """A Km factor (body weight / BSA) with its species; species, label and reference null for a given ``--km``."""

    species: Text | None
    label: Text | None
    value: NonNegative
    unit: Unit
    reference: Text | None


class Formula(Closed):
    """A formula with its equation and reference."""

    name: Text
    label: Text
    equation: Text
    reference: Text


class Envelope(Closed):
    dosecalc_version: Version


# --- the records of the library's to_dict() ----------------------------------------------


class ModifiedDose(Open):
    """``ModifiedDose.to_dict()``: a reduction or a dose level."""

    original: Quantity
    modified: Quantity
    percent_of_original: NonNegative
    method: Literal["reduction", "level"]
    reduction_pct: NonNegative | None
    level: str | None
    level_table: str | None
    version: Version


class PatientDose(Open):
    """``PatientDose.to_dict()``: the dose calculated for one patient, with its caps."""

    dose: Quantity
    bsa: Quantity | None
    dose_per_m2: Quantity | None
    dose_per_kg: Quantity | None
    bsa_method: Text | None
    basis: Text
    prescribed: Quantity
    height: Quantity | None
    weight: Quantity | None
    weight_basis: Text
    dosing_weight: Quantity | None
    bsa_uncapped: Quantity | None
    bsa_cap: Quantity | None
    bsa_cap_applied: bool | None
    max_dose: Quantity | None
    max_dose_applied: bool | None
    dose_uncapped: Quantity | None
    bsa_reference: Text | None
    weight_basis_reference: Text | None
    bmi: Quantity | None
    obese: bool | None
    above_actual_weight: bool | None = Field(
        None, description="Whether the dosing weight (ideal or adjusted) exceeds the actual weight; null for actual."
    )
    version: Version
    bsa_computed: Quantity | None = Field(
        None, description="The BSA computed from height and weight, when a BSA was given with them."
    )


class RoundedDose(Open):
    """``RoundedDose.to_dict()``: rounding to a step or to vial strengths, within a tolerance."""

    calculated: Quantity
    rounded: Quantity
    difference_pct: Annotated[float, Field(allow_inf_nan=False)]
    method: Literal["step", "strengths"]
    tolerance_pct: NonNegative
    step: Quantity | None
    strengths: Quantities | None
    counts: list[Annotated[int, Field(ge=0)]] | None
    version: Version


class BandedDose(Open):
    """``BandedDose.to_dict()``: the dose of the band the calculated dose falls in."""

    calculated: Quantity
    banded: Quantity
    deviation_pct: Annotated[float, Field(allow_inf_nan=False)]
    band: Text
    band_lower: Quantity
    band_upper: Quantity
    table: Text
    version: Version


class CarboplatinDose(Open):
    """``CarboplatinDose.to_dict()``: the Calvert dose with the GFR it used."""

    dose: Quantity
    dose_uncapped: Quantity
    auc: Quantity
    gfr: Quantity
    gfr_uncapped: Quantity
    gfr_source: Text
    gfr_cap: Quantity | None
    cap_applied: bool
    formula: Text
    reference: Text
    gfr_reference: Text | None
    version: Version


class KidneyFunction(Open):
    """``KidneyFunction.to_dict()``: an estimate of kidney function with its inputs, floor and range."""

    clearance: Quantity | None = Field(description="In mL/min; null for an eGFR without a BSA to de-index it.")
    formula: Literal["cockcroft_gault", "ckd_epi_2021", "schwartz_bedside"]
    egfr_ml_min_173m2: Quantity | None
    serum_creatinine: Quantity
    creatinine_used: Quantity
    creatinine_floor: Quantity | None
    creatinine_floor_policy: Text
    floor_applied: bool
    without_floor: Quantity | None
    outside_range: bool
    steps: list[Text]
    label: Text
    equation: Text
    reference: Text
    version: Version


class UsedFormula(Open):
    name: Text
    kind: Text
    label: Text
    reference: Text


class InputFile(Open):
    path: Text
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        description="The SHA-256 of the file read; null for a stream (stdin)."
    )


class Provenance(Open):
    """What produced the output: version, command and options, formulas with references, inputs and counts."""

    dosecalc_version: Version
    command: Text | None
    options: dict
    formulas: list[UsedFormula]
    inputs: list[InputFile]
    rows_read: Annotated[int, Field(ge=0)]
    rows_written: Annotated[int, Field(ge=0)]
    rows_rejected: Annotated[int, Field(ge=0)]
    rejects_by_reason: dict[str, Annotated[int, Field(ge=0)]]
    started: Annotated[str, Field(json_schema_extra={"format": "date-time"})]
    seconds: NonNegative


class CohortSummary(Open):
    """
    ``CohortSummary.to_dict()``: what a cohort run did; ``rows_read == rows_written + rows_rejected``,
    counted by patient (for a protocol, a patient is many rows of the schedule: ``output_rows``).
    """

    rows_read: Annotated[int, Field(ge=0, description="Patients read: one input row each.")]
    rows_written: Annotated[int, Field(ge=0, description="Patients dosed (for a protocol: scheduled).")]
    rows_rejected: Annotated[int, Field(ge=0, description="Patients rejected.")]
    output_rows: Annotated[
        int, Field(ge=0, description="Rows in the output file: one per patient, or per administration of a protocol.")
    ]
    rejects_rows: Annotated[
        int, Field(ge=0, description="Rows in the rejects: one per patient, or per patient and drug of a protocol.")
    ]
    seconds: NonNegative
    output: Text
    rejects: Text | None
    rejects_by_reason: dict[str, Annotated[int, Field(ge=0)]] = Field(
        description="The rejected rows counted by the class of their reason."
    )
    provenance: Provenance


# --- one model per command -----------------------------------------------------------------


class Steps(Closed):
    """The safeguard steps of ``dose`` and ``regimen``, each null when not asked for."""

    modification: ModifiedDose | None
    patient_dose: PatientDose | None
    rounding: RoundedDose | None
    band: BandedDose | None


class BsaResults(Closed):
    bsa: Quantity


if TYPE_CHECKING:
    BsaName = str
else:  # the names of the BSA formulas, as the schema's enum of result keys
    BsaName = Literal[tuple(BSA_METHODS)]


class BsaOneOutput(Envelope):
    """``dosecalc bsa --json`` with one formula."""

    command: Literal["bsa"]
    inputs: dict[str, Input]
    results: BsaResults
    method: Method


class BsaAllOutput(Envelope):
    """``dosecalc bsa --method all --json``: results keyed by formula (a sex-specific one needs ``--sex``)."""

    command: Literal["bsa"]
    inputs: dict[str, Input]
    results: dict[BsaName, Quantity]
    methods: list[Method]


class BsaOutput(RootModel[BsaOneOutput | BsaAllOutput]):
    """``dosecalc bsa --json``: one formula (``method``), or every formula with ``--method all`` (``methods``)."""


class DoseResults(Closed):
    dose: Quantity
    bsa: Quantity | None = None
    dose_per_m2: Quantity | None = None
    dose_per_kg: Quantity | None = None


class DoseOutput(Steps, Envelope):
    """``dosecalc dose --json``: the dose to give, after every step."""

    command: Literal["dose"]
    inputs: dict[str, Input]
    results: DoseResults
    method: Method | None


class ConvertResults(Closed):
    dose: Quantity


class ConvertOutput(Envelope):
    """``dosecalc convert --json``: a dose in the other basis by a Km factor."""

    command: Literal["convert"]
    inputs: dict[str, Input]
    results: ConvertResults
    km: Km


class HedResults(Closed):
    hed: Quantity


class HedOutput(Envelope):
    """``dosecalc hed --json``: the human-equivalent dose of an animal dose."""

    command: Literal["hed"]
    inputs: dict[str, Input]
    results: HedResults
    km: Km
    human_km: Km


class RegimenResults(Closed):
    per_administration: Quantity
    per_cycle: Quantity
    dose_intensity: Quantity
    cumulative: Quantity | None = None
    per_administration_equivalent: Quantity | None = None
    per_cycle_equivalent: Quantity | None = None
    dose_intensity_equivalent: Quantity | None = None
    bsa: Quantity | None = None
    patient_per_administration: Quantity | None = None
    patient_per_cycle: Quantity | None = None
    patient_dose_intensity: Quantity | None = None
    patient_cumulative: Quantity | None = None


class RegimenOutput(Steps, Envelope):
    """``dosecalc regimen --json``: per administration, per cycle, dose intensity and cumulative dose."""

    command: Literal["regimen"]
    inputs: dict[str, Input]
    results: RegimenResults
    km: Km | None
    method: Method | None


class CrclResults(Closed):
    """``crcl`` [mL/min] by Cockcroft-Gault; ``egfr`` [mL/min/1.73 m²] by an eGFR formula, and ``gfr`` [mL/min] with a BSA."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    crcl: Quantity | None = None
    egfr: Quantity | None = None
    gfr: Quantity | None = None


class CrclOutput(Envelope):
    """``dosecalc crcl --json``: kidney function by the formula asked for."""

    command: Literal["crcl"]
    inputs: dict[str, Input]
    results: CrclResults
    formula: Formula
    kidney_function: KidneyFunction


class CarboplatinResults(Closed):
    dose: Quantity
    dose_uncapped: Quantity
    gfr: Quantity
    gfr_uncapped: Quantity
    gfr_cap: Quantity | None = None


class CarboplatinOutput(Envelope):
    """``dosecalc carboplatin --json``: the Calvert dose; ``gfr_formula`` null for a given GFR."""

    command: Literal["carboplatin"]
    inputs: dict[str, Input]
    results: CarboplatinResults
    formula: Formula
    gfr_formula: Formula | None
    carboplatin_dose: CarboplatinDose


class MethodsOutput(Envelope):
    """``dosecalc methods --json``: the BSA formulas."""

    command: Literal["methods"]
    methods: list[ListedMethod]


class ListedSpecies(Closed):
    name: Text
    label: Text
    km: Quantity
    reference_weight: Quantity
    bsa: Quantity


class SpeciesOutput(Envelope):
    """``dosecalc species --json``: the Km factors of FDA (2005) Table 1."""

    command: Literal["species"]
    species: list[ListedSpecies]
    reference: Text


class CohortOutput(Envelope):
    """``dosecalc cohort --json``: the run's summary."""

    command: Literal["cohort"]
    summary: CohortSummary


class OrderRecord(Open):
    """``Order.to_dict()``: one drug's dose rule."""

    drug: Text
    dose: Quantity
    basis: Text
    weight_basis: Text
    references: dict[str, Text]


class Step(Open):
    """One step of a dose's evaluation: what it changed and why."""

    name: Text
    before: Quantity | None
    after: Quantity | None
    change: Text
    reference: Text | None
    applied: bool


class OrderDose(Open):
    """``OrderDose.to_dict()``: one drug's dose for one patient, with its steps."""

    drug: Text
    dose: Quantity
    calculated: Quantity
    steps: list[Step]
    capped: bool
    order: OrderRecord
    version: Version


class ScheduledOrder(OrderDose):
    """A protocol's order evaluated for the patient, with its days."""

    days: list[Annotated[int, Field(ge=1)]]
    times_per_day: Annotated[int, Field(ge=1)]
    note: Text | None


class Administration(Open):
    """One administration of the schedule; ``order`` is the index of its order in ``orders``."""

    cycle: Annotated[int, Field(ge=1)]
    day: Annotated[int, Field(ge=1)]
    time: Annotated[int, Field(ge=1)]
    drug: Text
    note: Text | None
    dose: Quantity
    calculated: Quantity
    capped: bool
    rounded: bool
    order: Annotated[int, Field(ge=0)]


class LifetimeLimit(Open):
    """A per-drug lifetime limit with its source."""

    drug: Text
    amount: Quantity
    condition: Text
    population: Text
    source: Text


class Exposure(Open):
    """One drug's cumulative exposure and, with a lifetime limit, the cycle at which it is reached."""

    drug: Text
    per_cycle: Quantity
    prior: Quantity
    total: Quantity
    limit: LifetimeLimit | None
    reached_at_cycle: Annotated[int, Field(ge=1)] | None
    within_plan: bool
    note: Text | None


class Cumulative(Open):
    """``Cumulative.to_dict()``: every drug's exposure over the cycles."""

    cycles: Annotated[int, Field(ge=1)]
    exposures: list[Exposure]
    conditions: list[Text]
    version: Version


class Schedule(Open):
    """``Schedule.to_dict()``: each drug's dose and every administration of the planned cycles."""

    protocol: Text
    cycle_days: Annotated[int, Field(ge=1)]
    cycles: Annotated[int, Field(ge=1)]
    bsa: Quantity | None
    orders: list[ScheduledOrder]
    administrations: list[Administration]
    version: Version


class PlanOutput(Envelope):
    """``dosecalc plan --json``: a patient's schedule for a protocol, and the cumulative doses."""

    command: Literal["plan"]
    inputs: dict[str, Input]
    schedule: Schedule
    cumulative: Cumulative


class Setting(Open):
    """A named setting with its value and source."""

    name: Text
    value: NonNegative
    unit: Unit
    source: Text


VerdictName = Literal[
    "within_tolerance",
    "too_high",
    "too_low",
    "missing_input",
    "not_in_protocol",
    "not_ordered",
    "not_comparable",
    "ambiguous",
]
FlagName = Literal[
    "weight_change",
    "cap_explains",
    "rounding_explains",
    "lifetime_limit",
    "lifetime_unchecked",
    "not_scheduled",
    "duplicate_order",
]


class Flag(Open):
    """Something a pharmacist must look at, beside the verdicts, with the values that raised it."""

    code: FlagName
    meaning: Text
    message: Text
    source: Text | None = None


class OrderedDose(Closed):
    given: str
    value: NonNegative
    unit: Unit


class DrugCheck(Open):
    """One drug's verification: the computed and the ordered dose, the difference, the verdict and its flags."""

    drug: Text
    verdict: VerdictName
    meaning: Text
    ok: bool
    ordered: OrderedDose | None
    computed: Quantity | None
    difference_pct: Annotated[float, Field(allow_inf_nan=False)] | None
    flags: list[Flag]
    reason: Text | None


class PriorExposure(Open):
    """A drug's exposure before this dose: as given, as read, as its lifetime limit counted it and the BSA that
    converted it (null where none did)."""

    drug: Text
    given: Text | Quantity
    amount: Quantity
    limit: LifetimeLimit
    counted: Quantity | None
    bsa: Quantity | None


class Verification(Open):
    """``Verification.to_dict()``: every drug checked, the flags and a count by verdict."""

    ok: bool
    protocol: Text | None
    cycle: Annotated[int, Field(ge=1)] | None
    day: Annotated[int, Field(ge=1)] | None
    tolerance: Setting
    weight_change: Setting
    priors: list[PriorExposure]
    conditions: list[Text]
    checks: list[DrugCheck]
    flags: list[Flag]
    summary: dict[str, Annotated[int, Field(ge=0)]]
    references: list[Text]
    version: Version


class VerifyOneOutput(Envelope):
    """``dosecalc verify --json`` for one patient: exit 0 when ``verification.ok``, 4 otherwise."""

    command: Literal["verify"]
    inputs: dict[str, Input]
    verification: Verification


Count = Annotated[int, Field(ge=0)]


class OrdersSummary(Open):
    """A day's orders verified: ``rows == verified + flagged + rejected``, with counts by verdict and by flag."""

    rows: Count
    verified: Count
    flagged: Count
    rejected: Count
    verdicts: dict[VerdictName, Count]
    flags: dict[FlagName, Count]
    tolerance: Setting
    weight_change: Setting
    files: dict[str, Text | None]


class NotOrdered(Open):
    """A dose the protocol gives on a patient's cycle and day that no row ordered."""

    patient_id: str | None
    cycle: Annotated[int, Field(ge=1)] | None
    day: Annotated[int, Field(ge=1)] | None
    drug: Text
    note: Text | None


class VerifyOrdersOutput(Envelope):
    """``dosecalc verify --orders FILE --json``: the summary of a day's orders (exit 4 when any needs attention)."""

    command: Literal["verify"]
    inputs: dict[str, Input]
    summary: OrdersSummary
    not_ordered: list[NotOrdered]


class VerifyOutput(RootModel[VerifyOneOutput | VerifyOrdersOutput]):
    """``dosecalc verify --json``: one patient's verification, or the summary of a day's orders (``--orders``)."""


class ListedProtocol(Open):
    name: Text
    title: Text
    cycle_days: Annotated[int, Field(ge=1)]
    cycles: Annotated[int, Field(ge=1)] | None
    drugs: list[Text]
    file: Text


class ProtocolListOutput(Envelope):
    """``dosecalc protocol list --json``: the protocols shipped with dosecalc."""

    command: Literal["protocol list"]
    protocols: list[ListedProtocol]


class ProtocolOrder(Open):
    drug: Text
    days: list[Annotated[int, Field(ge=1)]]
    times_per_day: Annotated[int, Field(ge=1)]
    note: Text | None
    order: OrderRecord


class ProtocolRecord(Open):
    """A protocol as its file gives it (a file may give no title)."""

    name: Text
    title: Text | None
    file: Text
    cycle_days: Annotated[int, Field(ge=1)]
    cycles: Annotated[int, Field(ge=1)] | None
    orders: list[ProtocolOrder]
    limits: list[LifetimeLimit]
    references: list[Text]


class ProtocolShowOutput(Envelope):
    """``dosecalc protocol show --json``: one protocol."""

    command: Literal["protocol show"]
    protocol: ProtocolRecord


class ErrorOutput(Closed):
    """
    An error as JSON: on stdout with ``--json`` (exit 2, besides the line on
    stderr), and the body of the HTTP API's refusals.

    ``code`` names the class of error (``unit_error``,
    ``implausible_input_error``, ``missing_input_error``,
    ``unknown_name_error``, ...); ``field`` the option, ``value`` the value as
    given, ``expected`` what the option accepts, ``hint`` the likely slip, each
    null where it does not apply; ``message`` the error's own message;
    ``command`` the command (null where a request names none).
    """

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    field: str | None
    value: str | None
    expected: str | None
    hint: str | None
    message: Text
    command: Text | None
    dosecalc_version: Version


SCHEMAS: dict[str, type[BaseModel]] = {
    "bsa": BsaOutput,
    "dose": DoseOutput,
    "convert": ConvertOutput,
    "hed": HedOutput,
    "regimen": RegimenOutput,
    "crcl": CrclOutput,
    "carboplatin": CarboplatinOutput,
    "methods": MethodsOutput,
    "species": SpeciesOutput,
    "cohort": CohortOutput,
    "error": ErrorOutput,
    "plan": PlanOutput,
    "verify": VerifyOutput,
    "protocol-list": ProtocolListOutput,
    "protocol-show": ProtocolShowOutput,
}
"""The schema files' names (``schemas/<name>.schema.json``) and their models.

``protocol-list`` and ``protocol-show`` are ``dosecalc protocol list`` and
``dosecalc protocol show``; ``schemas/protocol.schema.json`` is the
hand-written schema of the protocol files themselves, not an output."""


def schema_of(name: str) -> dict:
    """The JSON Schema (draft 2020-12) of ``schemas/<name>.schema.json``."""
    schema = SCHEMAS[name].model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
