"""causalbook.exact reproduces the book's table of exact answers, every row."""

import numpy as np
import pytest

from causalbook import exact
from causalbook.models import LINEAR, MODELS

S3 = np.sqrt(3.0)


@pytest.mark.parametrize("m", MODELS)
def test_joint_of_x_and_y_is_shared(m):
    g = exact.joint(LINEAR[m], ["x", "y"])
    np.testing.assert_allclose(g.mean_vector, [0.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(
        g.covariance, [[1.0, 1.0], [1.0, 4.0]], atol=1e-12
    )


@pytest.mark.parametrize("m", MODELS)
def test_seeing_x_equals_3(m):
    g = exact.conditional(LINEAR[m], {"x": 3.0}, ["y"])
    assert g.mean("y") == pytest.approx(4.0) and g.var("y") == pytest.approx(
        3.0
    )


@pytest.mark.parametrize(
    "m, mean, var", [("M1", 4.0, 3.0), ("M2", 1.0, 4.0), ("M3", 1.0, 4.0)]
)
def test_doing_x_equals_3(m, mean, var):
    g = exact.interventional(LINEAR[m], {"x": 3.0}, ["y"])
    assert g.mean("y") == pytest.approx(mean) and g.var("y") == pytest.approx(
        var
    )


@pytest.mark.parametrize("y_new", [-2.0, 1.0, 5.0])
@pytest.mark.parametrize("m", MODELS)
def test_doing_y(m, y_new):
    expected = {
        "M1": (0.0, 1.0),
        "M2": ((y_new - 1) / 4, 0.75),
        "M3": (0.0, 1.0),
    }[m]
    g = exact.interventional(LINEAR[m], {"y": y_new}, ["x"])
    assert (g.mean("x"), g.var("x")) == pytest.approx(expected)


@pytest.mark.parametrize(
    "x, y, x_new", [(1.0, 3.0, 3.0), (-0.5, 2.0, 1.5), (2.0, -1.0, 0.0)]
)
@pytest.mark.parametrize("m", MODELS)
def test_counterfactual_y_given_x_and_y(m, x, y, x_new):
    expected = {"M1": y + (x_new - x), "M2": y, "M3": y}[m]
    g = exact.counterfactual(LINEAR[m], {"x": x, "y": y}, {"x": x_new}, ["y"])
    assert g.mean("y") == pytest.approx(expected) and g.var(
        "y"
    ) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("x, x_new", [(1.0, 3.0), (-1.0, 0.5)])
@pytest.mark.parametrize("m", MODELS)
def test_counterfactual_y_given_x_only(m, x, x_new):
    expected = {"M1": x_new + 1, "M2": 1 + x, "M3": 1 + x}[m]
    g = exact.counterfactual(LINEAR[m], {"x": x}, {"x": x_new}, ["y"])
    assert g.mean("y") == pytest.approx(expected) and g.var(
        "y"
    ) == pytest.approx(3.0)


@pytest.mark.parametrize("x, y, y_new", [(1.0, 3.0, 5.0), (0.0, -1.0, 2.0)])
@pytest.mark.parametrize("m", MODELS)
def test_counterfactual_x_given_x_and_y(m, x, y, y_new):
    expected = {"M1": x, "M2": x + (y_new - y) / 4, "M3": x}[m]
    g = exact.counterfactual(LINEAR[m], {"x": x, "y": y}, {"y": y_new}, ["x"])
    assert g.mean("x") == pytest.approx(expected) and g.var(
        "x"
    ) == pytest.approx(0.0, abs=1e-12)


def test_worked_examples_of_the_facts_table():
    cf = [
        exact.counterfactual(LINEAR[m], {"x": 1.0, "y": 3.0}, {"x": 3.0}).mean(
            "y"
        )
        for m in MODELS
    ]
    assert cf == pytest.approx([5.0, 3.0, 3.0])
    only_x = [
        exact.counterfactual(LINEAR[m], {"x": 1.0}, {"x": 3.0}).marginal("y")
        for m in MODELS
    ]
    assert [g.mean("y") for g in only_x] == pytest.approx([4.0, 2.0, 2.0])
    assert [g.var("y") for g in only_x] == pytest.approx([3.0, 3.0, 3.0])


@pytest.mark.parametrize("m", MODELS)
def test_population_average_of_counterfactuals_is_the_interventional(m):
    # E over X ~ P(X) of the counterfactual given X = x equals
    # P(Y | do(X = 3)) (law of total variance)
    xs = np.linspace(-6, 6, 2001)
    w = np.exp(-(xs**2) / 2)
    w /= w.sum()
    cfs = [
        exact.counterfactual(LINEAR[m], {"x": float(x)}, {"x": 3.0}).marginal(
            "y"
        )
        for x in xs[::50]
    ]
    means = np.array([g.mean("y") for g in cfs])
    wt = w[::50] / w[::50].sum()
    mean = float(wt @ means)
    var = float(
        wt @ np.array([g.var("y") for g in cfs]) + wt @ (means - mean) ** 2
    )
    target = exact.interventional(LINEAR[m], {"x": 3.0}).marginal("y")
    assert mean == pytest.approx(target.mean("y"), abs=1e-6)
    assert var == pytest.approx(target.var("y"), rel=2e-3)


def test_soft_relaxation_of_model_3_has_the_documented_answer():
    for eps in (0.01, 0.1, 0.5):
        soft = exact.LinearGaussianSCM(
            "M3 soft",
            ("z", "x", "y"),
            {"y": 1.0},
            {"x": {"z": 1.0}, "y": {"z": 1.0}},
            {"z": 1.0, "x": eps, "y": S3},
        )
        g = exact.conditional(soft, {"x": 3.0}, ["y"])
        assert g.mean("y") == pytest.approx(1 + 3 / (1 + eps**2))
        assert g.var("y") == pytest.approx(3 + eps**2 / (1 + eps**2))


def test_impossible_evidence_is_refused():
    # in model 3, X = Z exactly: seeing X = 1 and Z = 2 has probability zero
    with pytest.raises(ValueError, match="probability zero"):
        exact.conditional(LINEAR["M3"], {"x": 1.0, "z": 2.0})


def test_unknown_variables_are_refused():
    with pytest.raises(KeyError, match="no variable 'w'"):
        exact.joint(LINEAR["M1"]).marginal("w")
    with pytest.raises(KeyError, match="no variable 'w'"):
        exact.interventional(LINEAR["M1"], {"w": 1.0})


def test_parents_must_come_first():
    with pytest.raises(ValueError, match="must come before"):
        exact.LinearGaussianSCM(
            "bad", ("y", "x"), {}, {"y": {"x": 1.0}}, {"x": 1.0, "y": 1.0}
        )


def test_mutilated_model_drops_edges_into_the_intervened_variable():
    assert LINEAR["M2"].edges() == [("y", "x")]
    assert LINEAR["M2"].intervene({"x": 3.0}).edges() == []
    assert LINEAR["M3"].intervene({"x": 3.0}).edges() == [("z", "y")]


# --- adjustment: the back-door formula and criterion -------------------------
def soft_m3(eps):
    from causalbook.seeing import relax

    return relax(LINEAR["M3"], {"x": eps})


def test_model_3_has_a_backdoor_set_but_no_overlap():
    assert exact.is_backdoor_set(LINEAR["M3"], "x", "y", ["z"])
    assert not exact.is_backdoor_set(LINEAR["M3"], "x", "y", [])
    with pytest.raises(exact.PositivityError, match="positivity fails") as e:
        exact.adjusted(LINEAR["M3"], "x", "y", ["z"], 3.0)
    assert isinstance(e.value, ValueError)
    assert (e.value.treatment, e.value.adjust) == ("x", ("z",))


@pytest.mark.parametrize("value", [-1.0, 3.0])
@pytest.mark.parametrize("eps", [0.01, 0.5, 2.0])
def test_adjusting_for_z_in_soft_model_3_gives_the_interventional(eps, value):
    scm = soft_m3(eps)
    got = exact.adjusted(scm, "x", "y", ["z"], value)
    want = exact.interventional(scm, {"x": value}).marginal("y")
    assert (got.mean("y"), got.var("y")) == pytest.approx((1.0, 4.0))
    assert (want.mean("y"), want.var("y")) == pytest.approx((1.0, 4.0))
    # no adjustment is plain conditioning, which is not the answer
    none = exact.adjusted(scm, "x", "y", [], value)
    seen = exact.conditional(scm, {"x": value}).marginal("y")
    assert (none.mean("y"), none.var("y")) == pytest.approx(
        (seen.mean("y"), seen.var("y"))
    )
    assert none.mean("y") != pytest.approx(want.mean("y"))


def test_model_1_needs_no_adjustment_and_model_2_has_no_backdoor_set():
    assert exact.backdoor_sets(LINEAR["M1"], "x", "y") == [()]
    got = exact.adjusted(LINEAR["M1"], "x", "y", [], 3.0)
    assert (got.mean("y"), got.var("y")) == pytest.approx((4.0, 3.0))
    # in M2 the edge Y -> X is a back-door path nothing blocks; the
    # criterion is sufficient, not necessary: P(Y | do(X)) = P(Y) anyway
    assert exact.backdoor_sets(LINEAR["M2"], "x", "y") == []
    assert exact.backdoor_sets(LINEAR["M2"], "y", "x") == [()]


def _confounded_mediation():
    # z confounds x and y; x acts on y only through the mediator m;
    # c is a collider of x and y
    return exact.LinearGaussianSCM(
        "mediation",
        intercepts={"y": 1.0},
        coefficients={
            "x": {"z": 1.0},
            "m": {"x": 2.0},
            "y": {"m": 1.5, "z": -1.0},
            "c": {"x": 1.0, "y": 1.0},
        },
        noise_scales={"z": 1.0, "x": 1.0, "m": 0.5, "y": 1.0, "c": 1.0},
    )


def test_adjusting_for_a_mediator_or_a_collider_is_wrong():
    scm = _confounded_mediation()
    want = exact.interventional(scm, {"x": 2.0}).marginal("y")
    right = exact.adjusted(scm, "x", "y", ["z"], 2.0)
    assert (right.mean("y"), right.var("y")) == pytest.approx(
        (want.mean("y"), want.var("y"))
    )
    assert exact.backdoor_sets(scm, "x", "y") == [("z",)]
    for adjust in (["z", "m"], ["z", "c"], ["m"], []):
        assert not exact.is_backdoor_set(scm, "x", "y", adjust)
        wrong = exact.adjusted(scm, "x", "y", adjust, 2.0)
        assert (wrong.mean("y"), wrong.var("y")) != pytest.approx(
            (want.mean("y"), want.var("y"))
        )


def test_m_bias_adjusting_for_the_collider_opens_a_path():
    # u1 -> x, u1 -> c <- u2, u2 -> y, x -> y: {} is a back-door set, {c}
    # is not (conditioning on the collider c opens x <- u1 -> c <- u2 -> y)
    scm = exact.LinearGaussianSCM(
        "M-bias",
        coefficients={
            "x": {"u1": 1.0},
            "c": {"u1": 1.0, "u2": 1.0},
            "y": {"x": 1.0, "u2": 1.0},
        },
        noise_scales={"u1": 1.0, "u2": 1.0, "x": 1.0, "c": 0.5, "y": 1.0},
    )
    assert exact.is_backdoor_set(scm, "x", "y", [])
    assert not exact.is_backdoor_set(scm, "x", "y", ["c"])
    assert exact.is_backdoor_set(scm, "x", "y", ["c", "u1"])
    want = exact.interventional(scm, {"x": 1.0}).marginal("y")
    ok = exact.adjusted(scm, "x", "y", [], 1.0)
    bad = exact.adjusted(scm, "x", "y", ["c"], 1.0)
    assert ok.mean("y") == pytest.approx(want.mean("y"))
    assert bad.mean("y") != pytest.approx(want.mean("y"))


def test_adjustment_for_several_outcomes_is_their_joint():
    scm = _confounded_mediation()
    got = exact.adjusted(scm, "x", ["m", "y"], ["z"], 2.0)
    want = exact.interventional(scm, {"x": 2.0}, ["m", "y"])
    np.testing.assert_allclose(got.mean_vector, want.mean_vector)
    np.testing.assert_allclose(got.covariance, want.covariance, atol=1e-12)
    assert exact.is_backdoor_set(scm, "x", ["m", "y"], ["z"])


def test_a_constant_treatment_has_no_overlap_even_without_adjustment():
    scm = exact.LinearGaussianSCM(
        "constant",
        intercepts={"x": 2.0},
        coefficients={"y": {"x": 1.0}},
        noise_scales={"y": 1.0},
    )
    with pytest.raises(
        exact.PositivityError, match=r"no variation given \(\)"
    ):
        exact.adjusted(scm, "x", "y", [], 2.0)


@pytest.mark.parametrize(
    "args, error, match",
    [
        (("x", "y", ["x"], 1.0), ValueError, "treatment 'x' cannot be"),
        (("x", "y", ["y"], 1.0), ValueError, "outcome 'y' cannot be"),
        (("x", "x", [], 1.0), ValueError, "both the treatment"),
        (("x", "y", ["w"], 1.0), KeyError, "no adjustment variable 'w'"),
        (("X", "y", [], 1.0), KeyError, "did you mean 'x'"),
        (("x", "y", "z", 1.0), TypeError, r"e\.g\. \['z'\]"),
        (("x", "y", [], float("nan")), ValueError, "is nan"),
    ],
)
def test_bad_adjustment_queries_raise(args, error, match):
    with pytest.raises(error, match=match):
        exact.adjusted(LINEAR["M3"], *args)
    if args[3] == 1.0:
        with pytest.raises(error, match=match):
            exact.is_backdoor_set(LINEAR["M3"], *args[:3])
