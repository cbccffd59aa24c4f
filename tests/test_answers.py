import pytest

from procsft.answers import answers_match


@pytest.mark.parametrize(
    ("got", "reference", "answer_type", "tolerance", "ok"),
    [
        ("42", "42", "integer", 0, True),
        ("$1,042", "1042", "integer", 0, True),
        ("205 minutes", "205", "integer", 0, True),
        ("41", "42", "integer", 0, False),
        ("seven", "7", "integer", 0, False),
        ("15.0%", "15.0", "decimal", 0.05, True),
        ("15.04", "15.0", "decimal", 0.05, True),
        ("15.2", "15.0", "decimal", 0.05, False),
        ("−12.5", "-12.5", "decimal", 0.05, True),
        ("6/8", "3/4", "fraction", 0, True),
        ("0.75", "3/4", "fraction", 0, True),
        ("2/3", "3/4", "fraction", 0, False),
        ("2024-03-05", "2024-03-05", "date", 0, True),
        ("March 5th, 2024", "2024-03-05", "date", 0, True),
        ("5 March 2024", "2024-03-05", "date", 0, True),
        ("2024-03-06", "2024-03-05", "date", 0, False),
        ("Qjxp.", "qjxp", "string", 0, True),
        ("qjxq", "qjxp", "string", 0, False),
        ("[2, 3, 5]", "2, 3, 5", "list", 0, True),
        ("2; 3; 5.0", "2, 3, 5", "list", 0, True),
        ("3, 2, 5", "2, 3, 5", "list", 0, False),
        ("Apple, pear", "apple, pear", "list", 0, True),
        ("apple", "apple, pear", "list", 0, False),
    ],
)
def test_answers_match_by_type(got, reference, answer_type, tolerance, ok):
    assert answers_match(got, reference, answer_type, tolerance) is ok


@pytest.mark.parametrize(
    ("got", "reference", "answer_type", "ok"),
    [
        (".5", "0.5", "decimal", True),
        ("1 1/2", "3/2", "fraction", True),
        ("-1 1/2", "-3/2", "fraction", True),
        ("3/-4", "-3/4", "fraction", True),
        ("café", "caf", "string", False),
        ("日本", "中国", "string", False),
    ],
)
def test_edge_forms(got, reference, answer_type, ok):
    assert answers_match(got, reference, answer_type, 0.005) is ok
