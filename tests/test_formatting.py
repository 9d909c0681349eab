import pytest

from manuscript_engine.core.formatting import (
    format_count,
    format_decimal,
    format_mean_sd,
    format_p_value,
    format_percent,
    number_words,
)


def test_p_values_below_one_thousandth_print_as_less_than():
    assert format_p_value(0.0004) == "< 0.001"
    assert format_p_value(0.001) == "0.001"


def test_p_values_keep_three_decimals_and_trailing_zeros():
    assert format_p_value(0.2) == "0.200"
    assert format_p_value(0.0125) == "0.013"


def test_p_value_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="P value"):
        format_p_value(1.2)


def test_rounding_is_half_away_from_zero_not_bankers():
    # Python's round(2.675, 2) gives 2.67 (binary float); SPSS prints 2.68.
    assert format_decimal(2.675, 2) == "2.68"
    assert format_decimal(0.125, 2) == "0.13"
    assert format_decimal(-1.25, 1) == "-1.3"


def test_percent_one_decimal_and_mean_sd_same_decimals():
    assert format_percent(100 * 62 / 70) == "88.6"
    assert format_mean_sd(5.6238, 1.3349, 2) == "5.62 ± 1.33"
    assert format_count(71) == "71"


def test_non_finite_values_are_refused():
    with pytest.raises(ValueError, match="finite"):
        format_decimal(float("nan"), 2)


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (8, "eight"),
        (13, "thirteen"),
        (20, "twenty"),
        (42, "forty-two"),
        (99, "ninety-nine"),
    ],
)
def test_number_words_spell_0_to_99(n, words):
    assert number_words(n) == words


def test_number_words_refuse_what_they_cannot_spell():
    with pytest.raises(ValueError, match="spells 0-99, not 100"):
        number_words(100)
