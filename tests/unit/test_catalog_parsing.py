"""Import bodies become rows (shape only; fields are checked per row by the job)."""
import io
import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gpo.catalog.parsing import (
    _LINE,
    MAX_ROWS,
    _lines,
    check_payload,
    csv_rows,
    json_rows,
    row_batches,
    text_parts,
)
from gpo.errors import DomainError, Invalid

HEADER = "sku,name,category,list_price"


def rows_from_csv(data):
    return list(csv_rows(data))


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
    assert check_payload("csv", text_parts(data)) == (3, None)


def test_csv_rows_with_the_wrong_number_of_cells_are_flagged_not_dropped():
    rows = rows_from_csv((HEADER + "\nA-1,Gloves,supplies\n").encode())
    assert rows[0]["_shape_error"] == "expected 4 cells, found 3"


def test_rows_whose_cells_are_all_blank_are_skipped_and_not_counted():
    text = HEADER + "\n,,,\n  , ,\t,\nA,B,supplies,1\n"
    assert [r["_line"] for r in rows_from_csv(text)] == [4]
    assert check_payload("csv", [text]) == (1, None)


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
    with pytest.raises(Invalid, match=message):
        check_payload("csv", text_parts(data))


def test_a_missing_column_is_named():
    with pytest.raises(Invalid) as caught:
        rows_from_csv(b"sku,name,category\nA,B,supplies\n")
    assert caught.value.errors == {"header": {"missing": ["list_price"]}}


def test_more_rows_than_allowed_is_413():
    data = (HEADER + "\n" + "A,B,supplies,1\n" * (MAX_ROWS + 1)).encode()
    for read in (rows_from_csv, lambda d: check_payload("csv", text_parts(d))):
        with pytest.raises(DomainError) as caught:
            read(data)
        assert caught.value.status_code == 413


def test_json_rows_carry_their_position():
    rows = list(json_rows({"mode": "upsert", "products": [{"sku": "A"}, {"sku": "B"}]}))
    assert rows == [{"sku": "A", "_line": 1}, {"sku": "B", "_line": 2}]
    assert check_payload("json", [json.dumps({"mode": "replace", "products": [{"sku": "A"}]})]) == (1, "replace")


@pytest.mark.parametrize("body", [
    [{"sku": "A"}], {"products": "nope"}, {"products": [1, 2]}, {"products": [{"sku": "A"}, "x"]},
    {"products": []}, {"products": [{"sku": "A"}], "extra": 1}, None,
])
def test_json_that_is_not_a_list_of_objects_is_refused(body):
    with pytest.raises(Invalid):
        list(json_rows(body))
    with pytest.raises(Invalid):
        check_payload("json", [json.dumps(body)])


def test_json_with_too_many_rows_is_413():
    with pytest.raises(DomainError) as caught:
        list(json_rows({"products": [{}] * (MAX_ROWS + 1)}))
    assert caught.value.status_code == 413


def test_rows_come_in_batches_in_file_order():
    text = HEADER + "\n" + "".join(f"S{i},N,supplies,1\n" for i in range(7))
    batches = list(row_batches("csv", [text], 3))
    assert [[r["sku"] for r in batch] for batch in batches] == [["S0", "S1", "S2"], ["S3", "S4", "S5"], ["S6"]]
    body = json.dumps({"products": [{"sku": f"S{i}"} for i in range(4)]})
    assert [[r["_line"] for r in batch] for batch in row_batches("json", [body], 3)] == [[1, 2, 3], [4]]


@given(st.text(alphabet=st.sampled_from(["a", ",", '"', "\r", "\n", " ", "\u2028", "\x0b", "\x85", "é"]), max_size=40))
def test_lines_are_split_as_a_text_file_without_newline_translation_splits_them(text):
    assert [m.group() for m in _LINE.finditer(text)] == list(io.StringIO(text, newline=""))


@given(st.text(alphabet=st.sampled_from(["a", ",", "\r", "\n", "é", "€", "😀"]), max_size=60), st.integers(1, 9))
@example("😀", 1)  # a part smaller than its first character still holds it (it once looped for ever)
@example("a€😀é", 2)
def test_a_body_read_in_parts_is_the_body(text, size):
    data = text.encode()
    parts = list(text_parts(data, size))
    assert "".join(parts) == text and all(parts)
    assert list(_lines(parts)) == list(io.StringIO(text, newline=""))
    assert "".join(text_parts(b"\xef\xbb\xbf" + data, size)) == text  # the byte order mark is not text


@pytest.mark.parametrize("size", [1, 2, 3, 1000])
def test_a_body_that_is_not_utf8_names_its_first_bad_byte_whatever_the_parts(size):
    for data, byte in [(b"ab\xffcd", 2), (b"\xef\xbb\xbfA\xff", 1), ("é".encode() + b"\x80\x80\x80\x80", 2),
                       ("€".encode()[:2] + b"x", 0)]:
        with pytest.raises(Invalid, match=f"byte {byte} cannot"):
            list(text_parts(data, size))
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            assert exc.start == byte  # as the body decoded whole says
