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
    unit: Text


class Quantities(Closed):
    """Several numbers in one unit, e.g. vial strengths in mg."""

    value: list[NonNegative]
    unit: Text


class Input(Closed):
    """One option as given and as read."""

    given: str = Field(description="The text as typed.")
    value: NonNegative | list[NonNegative] | str | None = Field(
        description="The value read, in ``unit``; a name or path for options that are not numbers."
    )
    unit: Text | None


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
    unit: Text
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
    version: Version


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


class CohortSummary(Open):
    """``CohortSummary.to_dict()``: what a cohort run did; ``rows_read == rows_written + rows_rejected``."""

    rows_read: Annotated[int, Field(ge=0)]
    rows_written: Annotated[int, Field(ge=0)]
    rows_rejected: Annotated[int, Field(ge=0)]
    seconds: NonNegative
    output: Text
    rejects: Text | None


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
    crcl: Quantity


class CrclOutput(Envelope):
    """``dosecalc crcl --json``: creatinine clearance with its formula."""

    command: Literal["crcl"]
    inputs: dict[str, Input]
    results: CrclResults
    formula: Formula


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


class ErrorOutput(Closed):
    """
    An error with ``--json``: printed on stdout besides the line on stderr (exit 2).

    ``code`` names the class of error (e.g. ``"unit_error"``); ``field`` the
    option, ``value`` the text as typed, ``expected`` what the option accepts,
    ``hint`` the likely slip, each null where it does not apply.
    """

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    field: str | None
    value: str | None
    expected: str | None
    hint: str | None
    command: Text | None = None
    dosecalc_version: Version | None = None
    message: Text | None = None


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
}
"""The schema files' names (``schemas/<name>.schema.json``) and their models."""


def schema_of(name: str) -> dict:
    """The JSON Schema (draft 2020-12) of ``schemas/<name>.schema.json``."""
    schema = SCHEMAS[name].model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
