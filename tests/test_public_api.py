"""The public surface: ``onhand.__all__`` is sorted, complete and documented."""

from __future__ import annotations

import inspect

import onhand
from onhand import errors


def test_all_is_sorted_and_every_name_exists() -> None:
    assert onhand.__all__ == sorted(onhand.__all__)
    for name in onhand.__all__:
        assert hasattr(onhand, name), name


def test_every_error_class_is_exported() -> None:
    classes = {name for name, value in vars(errors).items()
               if inspect.isclass(value) and issubclass(value, errors.OnhandError)}
    assert classes <= set(onhand.__all__), classes - set(onhand.__all__)


def test_every_public_name_has_a_docstring() -> None:
    for name in onhand.__all__:
        assert inspect.getdoc(getattr(onhand, name)), name


def test_every_public_inventory_method_has_a_docstring() -> None:
    for name, member in inspect.getmembers(onhand.Inventory, inspect.isfunction):
        if not name.startswith("_"):
            assert inspect.getdoc(member), name


def test_the_promised_library_calls_exist_with_their_keywords() -> None:
    promised = {
        "receive": {"sku", "qty", "location", "unit_cost"},
        "ship": {"sku", "qty", "location"},
        "return_": {"sku", "qty", "location", "shipment_id"},
        "adjust": {"sku", "qty", "location", "reason"},
        "scrap": {"sku", "qty", "location", "reason"},
        "transfer": {"sku", "qty", "source", "target"},
        "stock": {"sku", "location", "as_of", "owner", "lot"},
        "history": {"sku", "location", "since", "until", "limit", "owner"},
        "post_batch": {"lines", "key"},
        "reverse": {"movement_id", "reason"},
        "add_item": {"sku", "name", "unit", "decimals", "barcodes", "allow_negative",
                     "tracking", "cost_method", "owner"},
    }
    for method, keywords in promised.items():
        parameters = set(inspect.signature(getattr(onhand.Inventory, method)).parameters)
        assert keywords <= parameters, (method, keywords - parameters)


def test_the_package_ships_type_information() -> None:
    from importlib.resources import files

    assert files("onhand").joinpath("py.typed").is_file()
