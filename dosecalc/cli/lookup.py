"""The lookups: ``bsa``, ``convert``, ``hed``, ``methods``, ``species``."""

from typing import Annotated, Optional

import typer

from ..bsa import BSA_METHODS, bsa, bsa_method
from ..conversions import (
    FDA_2005,
    KM,
    SPECIES,
    hed,
    km_factor,
    species_name,
    to_mg_per_kg,
    to_mg_per_m2,
)
from ..doses import PER_KG, dose_basis
from ..errors import MissingInputError, as_typed
from ..units import unit
from ..validation import BSA, HEIGHT, WEIGHT
from .app import app
from .inputs import bad_input, one_of, read_option, target_basis, value_of
from .options import AsJson, Height, Sex, Weight, starting
from .output import (
    figures,
    input_rows,
    inputs_json,
    km_json,
    km_row,
    method_json,
    method_row,
    print_blocks,
    print_json,
    print_rows,
    results_json,
    show,
    show_bsa,
)


@app.command("bsa")
def bsa_command(
    height: Height = None,
    weight: Weight = None,
    method: Annotated[
        str, typer.Option(help='BSA formula (see `dosecalc methods`), or "all" for every formula.')
    ] = "mosteller",
    sex: Sex = None,
    as_json: AsJson = False,
) -> None:
    """
    Body-surface area in m².

    \b
    Examples:
      dosecalc bsa --height 175cm --weight 70kg
      dosecalc bsa --height "5 ft 9 in" --weight "154 lb" --method dubois
      dosecalc bsa --height 165cm --weight 60kg --method all --sex f
    """
    with bad_input():
        inputs = {
            "height": read_option(height, "height", HEIGHT.unit),
            "weight": read_option(weight, "weight", WEIGHT.unit),
        }
        keys = list(BSA_METHODS) if method == "all" else [bsa_method(method)]
        areas = {}
        for key in keys:
            try:
                areas[key] = bsa(value_of(inputs["height"]), value_of(inputs["weight"]), method=key, sex=sex)
            except MissingInputError as err:
                if len(keys) == 1 or err.field != "sex":
                    raise
        described = inputs_json(inputs, sex)
    if len(keys) == 1:
        (key,) = keys
        if as_json:
            print_json("bsa", inputs=described, results=results_json({"bsa": areas[key]}), method=method_json(key))
            return
        print_rows(
            ("BSA", show_bsa(areas[key]), BSA_METHODS[key].label), *input_rows(inputs, described), method_row(key)
        )
        return
    if as_json:
        print_json("bsa", inputs=described, results=results_json(areas), methods=[method_json(key) for key in keys])
        return
    rows = [[key, BSA_METHODS[key].label, show_bsa(areas[key]) if key in areas else "needs --sex"] for key in keys]
    print_rows(*input_rows(inputs, described), table=(["method", "formula", "BSA"], rows))


@app.command("convert")
def convert_command(
    dose: Annotated[
        str,
        typer.Argument(
            metavar="DOSE", help='Dose in mg/m² or mg/kg (or per week): "225mg/m2", "10 mg/kg".', show_default=False
        ),
    ],
    to: Annotated[str, typer.Option(help='The basis to convert to: "mg/kg" or "mg/m2".', show_default=False)],
    species: Annotated[
        Optional[str],
        typer.Option(
            metavar="SPECIES",
            autocompletion=starting(SPECIES),
            help="Species whose Km factor to use (default human); see `dosecalc species`.",
            show_default=False,
        ),
    ] = None,
    km: Annotated[
        Optional[str],
        typer.Option(help='Km factor in kg/m² instead of a species: "25" or "25 kg/m2".', show_default=False),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """
    Convert a dose between mg/m² and mg/kg by a population Km factor (FDA 2005):
    mg/m² = Km × mg/kg.

    \b
    Examples:
      dosecalc convert 225mg/m2 --to mg/kg
      dosecalc convert 10mg/kg --to mg/m2 --species rat
      dosecalc convert "75 mg/m2/week" --to mg/kg --km 25
    """
    with bad_input():
        one_of(("--species", species), ("--km", km))
        given = read_option(dose, "dose")
        inputs = {"dose": given, "km": read_option(km, "km", KM.unit, bare=True)}
        convert = to_mg_per_kg if target_basis(to) == PER_KG else to_mg_per_m2
        with as_typed({"dose": dose}):
            converted = convert(given.quantity, km=value_of(inputs["km"]), species=species)
        factor = km_factor(value_of(inputs["km"]), species)
        key = None if km is not None else species_name(species or "human")
        described = inputs_json(inputs)
    if as_json:
        print_json("convert", inputs=described, results=results_json({"dose": converted}), km=km_json(factor, key))
        return
    operator = "÷" if convert is to_mg_per_kg else "×"
    how = f"from {show(given.normalised)} {operator} Km {figures(factor)} {unit(KM.unit):~P}"
    print_rows(("dose", show(converted), how), km_row(factor, key), references=(FDA_2005 if key else None,))


@app.command("hed")
def hed_command(
    dose: Annotated[
        str, typer.Argument(metavar="DOSE", help='The animal dose: "50mg/kg" (or mg/m²).', show_default=False)
    ],
    species: Annotated[
        Optional[str],
        typer.Option(
            metavar="SPECIES",
            autocompletion=starting(SPECIES),
            help="The animal species; see `dosecalc species`.",
            show_default=False,
        ),
    ] = None,
    km: Annotated[
        Optional[str],
        typer.Option(help="The animal's Km factor in kg/m², for a species not in the table.", show_default=False),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """
    Human-equivalent dose in mg/kg of an animal dose, by body-surface-area
    scaling (FDA 2005): HED = animal dose × Km animal / Km human.

    \b
    Examples:
      dosecalc hed 50mg/kg --species rat
      dosecalc hed 30mg/kg --species dog --json
    """
    with bad_input():
        if species is None and km is None:
            raise MissingInputError("species", "a human-equivalent dose (or give --km)")
        one_of(("--species", species), ("--km", km))
        animal_dose = read_option(dose, "animal_dose")
        inputs = {"dose": animal_dose, "km": read_option(km, "km", KM.unit, bare=True)}
        with as_typed({"dose": dose, "animal_dose": dose}):
            equivalent = hed(animal_dose.quantity, species=species, km=value_of(inputs["km"]))
        animal_km = km_factor(value_of(inputs["km"]), species)
        key = None if species is None else species_name(species)
        human_km = km_factor(species="human")
        described = inputs_json(inputs)
    if as_json:
        print_json(
            "hed",
            inputs=described,
            results=results_json({"hed": equivalent}),
            km=km_json(animal_km, key),
            human_km=km_json(human_km, "human"),
        )
        return
    given = animal_dose.normalised
    if dose_basis(given)[0] == PER_KG:
        how = f"from {show(given)} × Km {figures(animal_km)} ÷ Km {figures(human_km)}"
    else:
        how = f"from {show(given)} ÷ Km {figures(human_km)}"
    print_rows(
        ("HED", show(equivalent), how),
        km_row(animal_km, key),
        km_row(human_km, "human", "human Km"),
        references=(FDA_2005,),
    )


@app.command("methods")
def methods_command(as_json: AsJson = False) -> None:
    """
    The BSA formulas, with what they need and their references.

    \b
    Example:
      dosecalc methods
    """
    listed = []
    for key, entry in BSA_METHODS.items():
        needs = ["height", "weight"] if entry.needs_height else ["weight"]
        listed.append({**(method_json(key) or {}), "needs": needs + (["sex"] if entry.needs_sex else [])})
    if as_json:
        print_json("methods", methods=listed)
        return
    rows = [[item["name"], item["label"], ", ".join(item["needs"]), item["reference"]] for item in listed]
    print_blocks((["method", "formula", "needs", "reference"], rows))


@app.command("species")
def species_command(as_json: AsJson = False) -> None:
    """
    The Km factors (body weight / BSA, kg/m²) of FDA (2005) Table 1.

    \b
    Example:
      dosecalc species
    """
    units = {"km": f"{unit(KM.unit):~P}", "reference_weight": f"{unit(WEIGHT.unit):~P}", "bsa": f"{unit(BSA.unit):~P}"}
    listed: list[dict] = [
        {
            "name": key,
            "label": row.label,
            "km": {"value": float(row.km), "unit": units["km"]},
            "reference_weight": {"value": row.reference_weight_kg, "unit": units["reference_weight"]},
            "bsa": {"value": row.bsa_m2, "unit": units["bsa"]},
        }
        for key, row in SPECIES.items()
    ]
    if as_json:
        print_json("species", species=listed, reference=FDA_2005)
        return
    headers = [
        "name",
        "species",
        f"Km [{units['km']}]",
        f"ref. weight [{units['reference_weight']}]",
        f"BSA [{units['bsa']}]",
    ]
    rows = [[item["name"], item["label"], *(f"{item[name]['value']:g}" for name in units)] for item in listed]
    print_blocks(([*headers], rows), (None, [[f"reference: {FDA_2005}"]]))
