"""
The ``dosecalc`` command line: a thin shell over the library.

Each command reads its options as text, parses them once at the edge
(:func:`dosecalc.units.parse_quantity`), calls the library and prints the
result: for people, a few aligned lines or a compact table with a unit on every
number, the formula used and, where a value was converted, from what (BSA to
2 decimals, other values to 3 significant figures, 4 when that is exact); for
scripts, with ``--json``, one JSON object at full precision. Colour and box
drawing only on a terminal without ``NO_COLOR``.

Exit codes: 0 success; 2 bad input or usage, or a stdout that cannot be
written, with one line on stderr naming the option, the value and what was
expected; 3 a cohort with rejected rows;
4 a verification that needs attention; 130 Ctrl-C and 143 SIGTERM (128 + the
signal).

JSON schema
-----------
Every ``--json`` object has ``"command"`` (the command's name) and
``"dosecalc_version"``. The lookups (``bsa``, ``dose``, ``convert``, ``hed``,
``regimen``) add:

``"inputs"``
    The options given: ``{name: {"given": text as typed, "value": normalised
    value, "unit": unit or null}}``. Height in cm, weight in kg, BSA in m²,
    Km in kg/m², a dose in its basis (mg/m², mg/kg or mg; per week for a
    rate), ``days`` a list and ``cycle`` a number of days, ``sex`` as
    ``"female"`` or ``"male"``.
``"results"``
    ``{name: {"value": number, "unit": unit}}`` at full precision.

and, by command:

- ``bsa``: results ``bsa`` [m²]; ``"method"``: ``{"name", "label",
  "reference"}`` of the formula. With ``--method all``: results keyed by
  method name, and ``"methods"``, the list of those formulas (a sex-specific
  formula without ``--sex`` is listed without a result).
- ``dose``: results ``dose`` [mg], the dose to give (after every step
  below), and, where their inputs were given, ``bsa`` [m²] (after a BSA cap),
  ``dose_per_m2``, ``dose_per_kg`` (of the calculated dose, per m² of BSA and
  per kg of dosing weight); ``"method"``: the BSA formula, with name
  ``"given"`` when ``--bsa`` was given, null when no BSA was used; and the
  steps (see below): ``"modification"``, ``"patient_dose"``, ``"rounding"``,
  ``"band"``.
- ``convert``: results ``dose``; ``"km"``: ``{"species", "label", "value",
  "unit", "reference"}`` (species, label and reference null for a given
  ``--km``).
- ``hed``: results ``hed`` [mg/kg]; ``"km"`` of the animal, ``"human_km"``.
- ``regimen``: results ``per_administration``, ``per_cycle``,
  ``dose_intensity`` (per week) and, with ``--cycles``, ``cumulative``, in the
  dose's basis; ``per_administration_equivalent``, ``per_cycle_equivalent``,
  ``dose_intensity_equivalent`` in the other basis by the adult human Km
  (absent for a flat dose, and ``"km"`` null); with a patient, ``bsa`` [m²]
  where one was used and ``patient_per_administration``,
  ``patient_per_cycle``, ``patient_dose_intensity``, ``patient_cumulative``
  [mg]; ``"km"``; ``"method"`` as for ``dose`` (null without a patient);
  the steps as for ``dose``, ``"patient_dose"`` being one administration's
  (null without a patient). A modification changes the regimen's own doses.
- ``crcl``: results ``crcl`` [mL/min]; inputs ``age``, ``weight``, ``sex`` and
  ``creatinine`` (normalised to mg/dL by creatinine's molar mass);
  ``"formula"``: ``{"name", "label", "equation", "reference"}``.
- ``carboplatin``: results ``dose`` and ``dose_uncapped`` [mg], ``gfr`` (the
  GFR used, after the cap) and ``gfr_uncapped`` [mL/min], ``gfr_cap`` (absent
  under ``--no-gfr-cap``, whose input ``gfr_cap`` has value null);
  ``"formula"`` (Calvert) and ``"gfr_formula"`` (Cockcroft-Gault, null for a
  given ``--gfr``); ``"carboplatin_dose"``, the library's
  ``CarboplatinDose.to_dict()`` (``cap_applied``, ``gfr_source``, the
  normalised inputs, references, version).
- ``methods``: ``"methods"``, a list of ``{"name", "label", "reference",
  "needs"}``.
- ``species``: ``"species"``, a list of ``{"name", "label", "km",
  "reference_weight", "bsa"}`` (the last three ``{"value", "unit"}``), and
  ``"reference"``.
- ``cohort``: ``"summary"``, the library's ``CohortSummary.to_dict()``.

Safeguards (``dose`` and ``regimen``)
--------------------------------------
A patient's dose goes through these steps, in this order, each recorded in
the JSON by the library's own ``to_dict()`` (null when not asked for):

1. ``"modification"``: ``--reduce`` or ``--level`` (from ``--levels``) changes
   the prescribed dose (``ModifiedDose``: original, modified,
   percent_of_original, reduction_pct or level and level_table).
2. ``"patient_dose"``: the dose calculated from the modified prescription on
   the ``--weight-basis`` weight, then the BSA capped (``--bsa-cap``), then
   the dose capped (``--max-dose``) (``PatientDose``: weight_basis and its
   reference, dosing_weight, bmi, obese (BMI ≥ 30, a flag that never changes
   the dose), each cap with the uncapped value and whether it applied,
   the normalised inputs and the version). A cap never raises a dose.
3. ``"rounding"`` (``--round-to`` or ``--vials``, within ``--tolerance``) or
   ``"band"`` (``--bands``), one of them, on the capped dose
   (``RoundedDose``: calculated, rounded, difference_pct, tolerance_pct,
   step or strengths and counts; ``BandedDose``: calculated, banded,
   deviation_pct, band and its bounds, table). Rounding outside the tolerance
   is refused (exit 2), never applied.

The inputs of these options are listed like the others; ``weight_basis`` and
``level`` with their canonical name as value, ``levels`` and ``bands`` with
the absolute path of the file, ``vials`` with the strengths in mg (a list).

Examples
--------
``dosecalc dose 75mg/m2 --height 175cm --weight 70kg --json`` prints::

    {"command": "dose", "dosecalc_version": "0.1.0",
     "inputs": {"dose": {"given": "75mg/m2", "value": 75.0, "unit": "mg/m²"},
                "height": {"given": "175cm", "value": 175.0, "unit": "cm"},
                "weight": {"given": "70kg", "value": 70.0, "unit": "kg"}},
     "results": {"dose": {"value": 138.34964763236658, "unit": "mg"},
                 "bsa": {"value": 1.8446619684315546, "unit": "m²"},
                 "dose_per_m2": {"value": 75.0, "unit": "mg/m²"},
                 "dose_per_kg": {"value": 1.9764235376052368, "unit": "mg/kg"}},
     "method": {"name": "mosteller", "label": "Mosteller",
                "reference": "Mosteller RD. N Engl J Med 1987;317:1098. doi:10.1056/NEJM198710223171717"},
     "modification": null,
     "patient_dose": {"dose": {"value": 138.34964763236658, "unit": "mg"}, ...,
                      "weight_basis": "actual", "dosing_weight": {"value": 70.0, "unit": "kg"}, ...,
                      "bmi": {"value": 22.857142857142858, "unit": "kg/m²"}, "obese": false},
     "rounding": null, "band": null}
"""

from . import cohort, dose, lookup, protocol, renal, serve, verify  # noqa: F401  (each module registers its commands)
from .app import app

__all__ = ["app"]
