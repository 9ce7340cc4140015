"""Import bodies become rows (shape only; fields are checked per row by the job)."""
import pytest

from gpo.catalog.parsing import MAX_ROWS, rows_from_csv, rows_from_json
from gpo.errors import DomainError, Invalid

HEADER = "sku,name,category,list_price"


def test_csv_with_bom_quotes_and_line_numbers():
    data = (
        "\ufeff" + HEADER + ",description\n"
        'A-1,"Gloves, nitrile",supplies,12.99,"Box of 100, ""powder free"""\n'
        "\n"
        'A-2,"Two-line\nname",supplies,3.5,\n'
        "A-3,Mask,supplies,1.0000,\n"
    ).encode("utf-8")
    rows = rows_from_csv(data)
    assert [r["_line"] for r in rows] == [2, 4, 6]
    assert rows[0] == {"_line": 2, "sku": "A-1", "name": "Gloves, nitrile", "category": "supplies",
                       "list_price": "12.99", "description": 'Box of 100, "powder free"'}
    assert rows[1]["name"] == "Two-line\nname" and "description" not in rows[1]


def test_csv_rows_with_the_wrong_number_of_cells_are_flagged_not_dropped():
    rows = rows_from_csv((HEADER + "\nA-1,Gloves,supplies\n").encode())
    assert rows[0]["_shape_error"] == "expected 4 cells, found 3"


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"   \n", "empty"),
    (b"sku,name,category\nA,B,supplies\n", "header"),
    (b"sku,name,category,list_price,colour\nA,B,supplies,1,red\n", "header"),
    (b"sku,name,category,list_price,sku\nA,B,supplies,1,A\n", "header"),
    (HEADER.encode() + b"\n", "no products"),
    (HEADER.encode() + b"\nA,Gr\xfc\xdfe,supplies,1\n", "not UTF-8"),
])
def test_bad_csv_is_refused_whole(data, message):
    with pytest.raises(Invalid, match=message):
        rows_from_csv(data)


def test_a_missing_column_is_named():
    with pytest.raises(Invalid) as caught:
        rows_from_csv(b"sku,name,category\nA,B,supplies\n")
    assert caught.value.errors == {"header": {"missing": ["list_price"]}}


def test_more_rows_than_allowed_is_413():
    data = (HEADER + "\n" + "A,B,supplies,1\n" * (MAX_ROWS + 1)).encode()
    with pytest.raises(DomainError) as caught:
        rows_from_csv(data)
    assert caught.value.status_code == 413


def test_json_rows_carry_their_position():
    rows = rows_from_json({"mode": "upsert", "products": [{"sku": "A"}, {"sku": "B"}]})
    assert rows == [{"sku": "A", "_line": 1}, {"sku": "B", "_line": 2}]


@pytest.mark.parametrize("body", [
    [{"sku": "A"}], {"products": "nope"}, {"products": [1, 2]}, {"products": [{"sku": "A"}, "x"]},
    {"products": []}, {"products": [{"sku": "A"}], "extra": 1}, None,
])
def test_json_that_is_not_a_list_of_objects_is_refused(body):
    with pytest.raises(Invalid):
        rows_from_json(body)


def test_json_with_too_many_rows_is_413():
    with pytest.raises(DomainError) as caught:
        rows_from_json({"products": [{}] * (MAX_ROWS + 1)})
    assert caught.value.status_code == 413
