import pytest

from procsft.analysis.links import (
    episodes_link,
    fragment,
    lift_link,
    parse_fragment,
    pass_rate_link,
)


def test_a_fragment_keeps_any_configuration_name_and_reads_back():
    names = ["smollm2-135m/post/lora-r8/seed0", "odd, name & more=1#x", "ünï code"]
    text = fragment(configuration=names, scorer="judge", paired=1)
    assert "smollm2-135m/post/lora-r8/seed0" in text  # slashes stay readable
    assert parse_fragment("#" + text) == {
        "configuration": names,
        "scorer": ["judge"],
        "paired": ["1"],
    }


def test_an_unknown_filter_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown episode filter.*colour"):
        fragment(colour="red")


def test_a_pass_rate_counts_decided_verdicts_and_a_seed_lift_pairs_over_every_seed():
    rate = {"configuration": "m/pre", "condition": "curated", "scorer": "x"}
    assert pass_rate_link(rate) == (
        "episodes.html#configuration=m/pre&condition=curated&scorer=x&verdict=pass&verdict=fail"
    )
    posts = ["m/post/r/seed0", "m/post/r/seed1"]
    lift = {"pre_configuration": "m/pre", "post_configurations": posts, "scorer": "x"}
    whole = parse_fragment(lift_link(lift).split("#")[1])
    assert whole["configuration"] == ["m/pre", "m/post/r/seed0", "m/post/r/seed1"]
    assert "pair" not in whole
    one = parse_fragment(lift_link(lift, post=["m/post/r/seed1"]).split("#")[1])
    assert one["configuration"] == ["m/pre", "m/post/r/seed1"]
    assert one["pair"] == whole["configuration"]
    assert episodes_link(view="task", task="t1") == "episodes.html#task=t1&view=task"
