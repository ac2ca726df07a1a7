from pathlib import Path

import pytest

from grader import assignment
from grader.errors import UsageError
from tests.conftest import SPEC, spec_text


def test_bundled_spec_loads_and_sums_its_rubric():
    a = assignment.load("cifar10_cnn")
    spec = a.spec
    assert spec.budget.epochs == 3 and spec.budget.train_images == 5000
    assert spec.budget.test_images == 2000
    rules = sum(r.points for r in spec.rules)
    expected = spec.rubric.runs + spec.rubric.current_api + spec.rubric.accuracy.points + rules
    assert spec.compatibility.mode == "translate" and spec.rubric.current_api > 0
    assert a.max_score == expected == 100


def test_loads_by_folder_and_by_file():
    assert assignment.load(str(SPEC.parent)).sha256 == assignment.load(str(SPEC)).sha256


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "assignment.toml"
    path.write_text(text)
    return str(path)


def test_unknown_key_is_named(tmp_path):
    text = spec_text().replace("epochs = 3", "epochs = 3\nepoch = 4")
    with pytest.raises(UsageError, match="unknown key 'epoch'"):
        assignment.load(_write(tmp_path, text))


def test_wrong_type_is_named(tmp_path):
    with pytest.raises(UsageError, match=r"budget\.epochs: expected int, got str"):
        assignment.load(_write(tmp_path, spec_text(epochs="three")))


def test_missing_assignment_is_usage_error():
    with pytest.raises(UsageError, match="not found"):
        assignment.load("no_such_assignment")


def test_bad_toml_is_usage_error(tmp_path):
    with pytest.raises(UsageError, match="not valid TOML"):
        assignment.load(_write(tmp_path, "name = [unclosed"))


def test_unknown_fact_is_named(tmp_path):
    text = spec_text().replace('fact = "conv_layers"', 'fact = "convs"')
    with pytest.raises(UsageError, match="unknown fact 'convs'"):
        assignment.load(_write(tmp_path, text))


def test_only_a_parameter_bound_may_reject(tmp_path):
    text = spec_text().replace("min = 2\n", "min = 2\nreject = true\n")
    with pytest.raises(UsageError, match="reject"):
        assignment.load(_write(tmp_path, text))


def test_named_budgets_change_only_what_they_list():
    spec = assignment.load("cifar10_cnn").spec
    quick = spec.budget_named("quick")
    assert spec.budget_named("standard") == spec.budget
    assert quick.train_images < spec.budget.train_images
    assert (quick.batch_size, quick.seed, quick.threads) == (
        spec.budget.batch_size,
        spec.budget.seed,
        spec.budget.threads,
    )
    assert spec.check_budget == "quick"
    with pytest.raises(UsageError, match="no budget 'huge' \\(known: standard, quick\\)"):
        spec.budget_named("huge")


def test_unknown_check_budget_and_bad_budget_keys_are_named(tmp_path):
    with pytest.raises(UsageError, match="no budget 'fast'"):
        assignment.load(_write(tmp_path, spec_text(check_budget="fast")))
    text = spec_text().replace("quick = { train_images", "quick = { train_imgs")
    with pytest.raises(UsageError, match="budgets.quick: unknown key 'train_imgs'"):
        assignment.load(_write(tmp_path, text))


def test_reference_folder_is_relative_to_the_spec():
    a = assignment.load("cifar10_cnn")
    assert a.reference_dir == SPEC.parents[2] / "reference" / "cifar10_cnn"
    assert (a.reference_dir / "solution.py").is_file()


def test_an_unknown_compatibility_mode_is_a_usage_error(tmp_path):
    path = tmp_path / "assignment.toml"
    path.write_text(spec_text(mode="lenient"))
    with pytest.raises(UsageError, match="compatibility.mode: 'lenient' is not one of"):
        assignment.load(str(path))
