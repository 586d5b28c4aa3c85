"""
dosecalc: unit-aware oncology dosing.

Body-surface area by the published formulas, mg/m² ↔ mg/kg by Km factors,
human-equivalent doses, a patient's absolute dose and regimen arithmetic, for
one patient or whole cohorts; dose orders and protocols (``Order``,
``Protocol``), independent verification of ordered doses (``verify``) and
kidney function (Cockcroft-Gault, CKD-EPI 2021, bedside Schwartz). Every function takes pint Quantities (or plain
numbers in its documented unit) and returns Quantities.

dosecalc is decision support: every dose must be verified by a clinician.
"""

from ._version import __version__
from .adjustments import (
    BandedDose,
    BandTable,
    Capped,
    LevelTable,
    ModifiedDose,
    RoundedDose,
    band_dose,
    band_table,
    cap_bsa,
    cap_dose,
    level_table,
    modify_dose,
    read_band_table,
    read_level_table,
    round_dose,
)
from .body import (
    WEIGHT_BASES,
    adjusted_body_weight,
    bmi,
    dosing_weight,
    ideal_above_actual,
    ideal_body_weight,
    lean_body_weight,
)
from .bsa import BSA_METHODS, bsa
from .carboplatin import CARBOPLATIN_POLICIES, CarboplatinDose, carboplatin_dose
from .conversions import KM_FACTORS, SPECIES, hed, to_mg_per_kg, to_mg_per_m2
from .errors import DoseCalcError, ImplausibleInputError, MissingInputError, UnitError, UnknownNameError
from .order import Order, OrderDose, Step
from .patient import PatientDose, patient_dose
from .protocol import (
    Cumulative,
    Protocol,
    Schedule,
    load_protocol,
    protocol_names,
    read_protocol,
)
from .regimen import Regimen, RegimenDose
from .renal import (
    RENAL_FORMULAS,
    KidneyFunction,
    crcl_cockcroft_gault,
    egfr_ckd_epi_2021,
    egfr_schwartz_bedside,
    kidney_function,
    measured_gfr,
)
from .units import parse_quantity
from .verify import Verification, verify

__all__ = [
    "__version__",
    "ureg",
    "Q_",
    "parse_quantity",
    "bsa",
    "BSA_METHODS",
    "KM_FACTORS",
    "SPECIES",
    "to_mg_per_kg",
    "to_mg_per_m2",
    "hed",
    "patient_dose",
    "PatientDose",
    "Regimen",
    "RegimenDose",
    "bmi",
    "ideal_body_weight",
    "adjusted_body_weight",
    "lean_body_weight",
    "dosing_weight",
    "WEIGHT_BASES",
    "crcl_cockcroft_gault",
    "egfr_ckd_epi_2021",
    "egfr_schwartz_bedside",
    "kidney_function",
    "measured_gfr",
    "KidneyFunction",
    "RENAL_FORMULAS",
    "CARBOPLATIN_POLICIES",
    "ideal_above_actual",
    "Order",
    "OrderDose",
    "Step",
    "Protocol",
    "Schedule",
    "Cumulative",
    "load_protocol",
    "read_protocol",
    "protocol_names",
    "LIFETIME_LIMITS",
    "ANTHRACYCLINE_EQUIVALENCES",
    "verify",
    "Verification",
    "dose_table",
    "kidney_table",
    "carboplatin_dose",
    "CarboplatinDose",
    "cap_bsa",
    "cap_dose",
    "Capped",
    "round_dose",
    "RoundedDose",
    "band_dose",
    "band_table",
    "read_band_table",
    "BandTable",
    "BandedDose",
    "modify_dose",
    "level_table",
    "read_level_table",
    "LevelTable",
    "ModifiedDose",
    "DoseCalcError",
    "UnitError",
    "ImplausibleInputError",
    "MissingInputError",
    "UnknownNameError",
]


def __getattr__(name):
    # PEP 562: the registry (and pint) are loaded on first use of ureg or Q_.
    if name in ("ureg", "Q_"):
        from . import units

        return getattr(units, name)
    if name == "dose_table":  # pyarrow: loaded only for a table
        from .cohort import dose_table

        return dose_table
    if name == "kidney_table":  # pyarrow too
        from .renal_table import kidney_table

        return kidney_table
    if name in ("LIFETIME_LIMITS", "ANTHRACYCLINE_EQUIVALENCES"):  # data read with units: built on first use
        from . import protocol

        return getattr(protocol, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
