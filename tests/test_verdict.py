import pytest

from grader.judging import hints, verdict

CASES = [
    (
        "TypeError",
        "Dense.__init__() missing 1 required positional argument: 'units'",
        "error",
        "`units`",
    ),
    (
        "TypeError",
        "TensorFlowTrainer.fit() got an unexpected keyword argument 'nb_epoch'",
        "error",
        "epochs=",
    ),
    ("ValueError", "Argument(s) not recognized: {'lr': 0.01}", "error", "learning_rate"),
    (
        "ValueError",
        "Unrecognized keyword arguments passed to Conv2D: {'border_mode': 'same'}",
        "error",
        "padding",
    ),
    (
        "AttributeError",
        "'Sequential' object has no attribute 'fit_generator'",
        "error",
        "model.fit",
    ),
    (
        "AttributeError",
        "'Sequential' object has no attribute 'predict_classes'",
        "error",
        "np.argmax",
    ),
    ("ModuleNotFoundError", "No module named 'keras.layers.core'", "error", "keras.layers"),
    ("ImportError", "cannot import name 'np_utils' from 'keras.utils'", "error", "to_categorical"),
    ("ModuleNotFoundError", "No module named 'google.colab'", "environment", "Colab"),
    ("ModuleNotFoundError", "No module named 'seaborn'", "environment", "environment"),
    (
        "ValueError",
        "Arguments `target` and `output` must have the same shape. Received: ...",
        "error",
        "to_categorical",
    ),
    ("SyntaxError", "invalid syntax", "syntax", "bracket"),
    ("MemoryError", "", "memory", "memory"),
    (
        "FileNotFoundError",
        "[Errno 2] No such file or directory: 'model.h5'",
        "error",
        "empty folder",
    ),
]


@pytest.mark.parametrize(("exc", "message", "kind", "hint"), CASES)
def test_known_errors_get_kind_and_hint(exc, message, kind, hint):
    problem = verdict.from_record(
        {"exception": exc, "message": message, "cell": 4, "line": 2, "excerpt": [">   2 | x"]}
    )
    assert problem.kind == kind
    assert hint in problem.hint
    assert problem.cell == 4 and problem.line == 2


def test_unknown_errors_get_the_default_hint():
    assert hints.hint_for("KeyError", "'foo'") == hints.DEFAULT_HINT


def test_the_graders_own_failures_are_worded_on_the_trusted_side():
    record = {"code": "too_many_params", "facts": {"params": 6_000_000, "max_params": 5_000_000}}
    problem = verdict.from_record(record)
    assert problem.kind == "rejected"
    assert problem.message == "the model has 6,000,000 parameters, more than the 5,000,000 allowed"
    assert "GlobalAveragePooling2D" in problem.hint
    for code, expected in verdict.CODES.items():
        assert expected.kind in verdict.FAILURE_KINDS and expected.hint, code


def test_forged_or_unknown_codes_cannot_break_the_wording():
    missing = verdict.from_record({"code": "wrong_output_units", "facts": {}})
    assert missing.message.startswith("the model outputs ? values")
    forged = verdict.from_record({"code": "not_a_model", "facts": {"type": "{0.__class__}"}})
    assert forged.message == "build_model() returned {0.__class__}, not a keras.Model"
    unknown = verdict.from_record({"code": "no_such_code", "facts": []})
    assert unknown.kind == "no_model"


def test_tensorflow_out_of_memory_is_said_plainly():
    from grader.spec_types import Limits

    oom = "OOM when allocating tensor with shape[{}] and type float on cpu [Op:{}]"
    weight = oom.format("65536,8192", "StatelessRandomUniformV2")
    rejected = verdict.from_record(
        {"exception": "ResourceExhaustedError", "message": weight}, max_params=5_000_000
    )
    assert rejected.kind == "rejected" and "536,870,912 parameters" in rejected.message
    data = oom.format("1600,224,224,3", "ResizeBilinear")
    memory = verdict.from_record(
        {"exception": "ResourceExhaustedError", "message": data}, limits=Limits(memory_mb=1024)
    )
    assert memory.kind == "memory"
    assert "1,600 x 224 x 224 x 3" in memory.message and "1024 MB" in memory.message


def _crashed(signal: str, output: str, peak_mb: float):
    from grader.runner.sandbox import Exit, RunOutput

    return RunOutput(Exit(-11, signal, None, 3.0, peak_mb), "student", None, None, None, output)


def test_native_code_dying_of_a_failed_allocation_is_a_memory_verdict():
    from grader.spec_types import Limits

    limits = Limits(memory_mb=4096)
    abort = (
        "terminate called after throwing an instance of 'std::bad_alloc'\n  what():  std::bad_alloc"
    )
    for ran in (_crashed("SIGABRT", abort, 300), _crashed("SIGSEGV", "", 3900)):
        problem = verdict.from_run(ran, limits)
        assert problem.kind == "memory" and "4096 MB" in problem.message, problem
        assert "resize" in problem.hint
    plain = verdict.from_run(_crashed("SIGSEGV", "Segmentation fault", 300), limits)
    assert plain.kind == "crashed"  # a crash far from the limit stays a crash


def test_a_thread_or_fork_bomb_that_kills_the_stage_names_the_process_limit():
    from grader.spec_types import Limits

    died = "F tensorflow/core/platform/default/env.cc] pthread_create failed: Resource temporarily"
    problem = verdict.from_run(_crashed("SIGABRT", died, 300), Limits(processes=256))
    assert problem.kind == "resources" and "256 processes and threads" in problem.message
    assert "SIGABRT" not in problem.message


def test_a_knock_on_error_names_its_cause_and_a_never_imported_name_its_import():
    knock_on = {
        "exception": "NameError",
        "message": "name 'Sequential' is not defined",
        "cell": 4,
        "line": 1,
        "cause": {"id": 0, "cell": 1, "line": 9},
    }
    problem = verdict.from_record(knock_on)
    assert "consequence of the error at cell 1, line 9" in problem.message
    assert "fix the error at cell 1, line 9 first" in problem.hint
    never = {
        "exception": "NameError",
        "message": "name 'Sequential' is not defined",
        "missing_name": "Sequential",
        "import": "from tensorflow.keras.models import Sequential",
    }
    assert "import it: `from tensorflow.keras.models import Sequential`" in (
        verdict.from_record(never).hint
    )
    forged = {**never, "import": "import os; os.system('x')"}  # shown only if an import line
    assert "import it" not in verdict.from_record(forged).hint


def test_a_script_is_never_told_to_run_its_notebook():
    record = {"exception": "ValueError", "message": "object too deep for desired array"}
    assert "notebook" in verdict.from_record(record).hint
    hint = verdict.from_record(record, script=True).hint
    assert "notebook" not in hint and "script" in hint
    no_model = verdict.from_record({"code": "no_model"}, script=True)
    assert "cell" not in no_model.hint and "lines" in no_model.hint


def _history(losses: list) -> dict:
    return {"history": {"curves": {"loss": losses}}, "architecture": {"learning_rate": 0.001}}


def test_diverged_training_and_accuracy_far_below_chance_are_never_graded():
    np = pytest.importorskip("numpy")
    fine = np.full((300, 10), 0.1, np.float32)
    assert verdict.implausible(_history([2.3, 2.1]), fine, 0.25, 10) is None
    assert verdict.implausible(_history([2.3, 2.1]), fine, 0.08, 10) is None  # chance noise
    unscaled = {**_history([2.3, None]), "input_range": [0.0, 255.0]}
    diverged = verdict.implausible(unscaled, fine, 0.1, 10)
    assert "diverged" in diverged.message and "epoch 2" in diverged.message
    assert "not scaled (values up to 255)" in diverged.message
    nan = fine.copy()
    nan[3] = np.nan
    fast = {**_history([2.3]), "architecture": {"learning_rate": 0.5}}
    assert "learning rate 0.5" in verdict.implausible(fast, nan, 0.1, 10).message
    low = verdict.implausible(_history([2.3, 2.2]), fine, 0.01, 10)
    assert low.kind == "error" and "far below chance" in low.message


def test_a_run_that_dies_after_an_out_of_memory_line_is_headlined_by_that_line():
    from dataclasses import replace

    from grader.spec_types import Limits

    oom = "OOM when allocating tensor with shape[4000,224,224,3] and type float on cpu [Op:Resize]"
    earlier = {"exception": "ResourceExhaustedError", "message": oom, "cell": None, "line": 6}
    died = replace(_crashed("SIGABRT", "", 1900), running={"line": 16, "cell": None,
                   "excerpt": [], "errors": [earlier]})  # fmt: skip
    problem = verdict.from_run(died, Limits(memory_mb=2048), script=True)
    assert problem.kind == "memory" and problem.line == 6
    assert "4,000 x 224 x 224 x 3" in problem.message and "the run then ended" in problem.message
    plain = replace(died, running={"line": 16, "cell": None, "excerpt": []})
    assert verdict.from_run(plain, Limits(memory_mb=2048)).line == 16


def test_a_fork_bomb_stopped_by_a_time_limit_names_the_process_limit_it_filled():
    from grader.runner import sandbox
    from grader.runner.sandbox import Exit, RunOutput
    from grader.spec_types import Limits

    def stopped(tasks: int):
        ended = Exit(-9, "SIGKILL", sandbox.CODE_TIME, 40.0, 900, tasks)
        return RunOutput(ended, "student", None, None, None, "")

    limits = Limits(processes=512, code_time_s=40)
    bomb = verdict.from_run(stopped(509), limits)
    assert bomb.kind == "resources" and "filled the limit of 512 processes" in bomb.message
    assert "40 s" in bomb.message and bomb.hint == verdict.hints.LIMIT_HINTS["processes"]
    hung = verdict.from_run(stopped(120), limits)  # TensorFlow's own threads: just hung
    assert hung.kind == "timeout"


def test_a_fork_bomb_whose_forks_failed_in_its_children_names_the_process_limit():
    from dataclasses import replace

    from grader.runner import sandbox
    from grader.runner.sandbox import Exit, RunOutput
    from grader.spec_types import Limits

    fork = {"exception": "BlockingIOError", "message": "[Errno 11] Resource temporarily "
            "unavailable", "cell": None, "line": 5}  # fmt: skip
    ended = Exit(-9, "SIGKILL", sandbox.CODE_TIME, 40.0, 900, 300)
    ran = RunOutput(ended, "student", None, None, None, "", {"line": 5, "cell": None,
                    "excerpt": [], "errors": [fork]})  # fmt: skip
    limits = Limits(processes=512, code_time_s=40)
    bomb = verdict.from_run(ran, limits, script=True)
    assert bomb.kind == "resources" and "512 processes and threads" in bomb.message
    assert "40 s" in bomb.message
    oom = {**fork, "exception": "MemoryError", "message": ""}  # a hang after it: a timeout
    hung = replace(ran, running={**ran.running, "errors": [oom]})
    assert verdict.from_run(hung, limits).kind == "timeout"


def test_a_run_that_ended_without_a_result_after_filling_the_process_table_names_the_limit():
    from grader.runner.sandbox import Exit, RunOutput
    from grader.spec_types import Limits

    def ended(tasks: int) -> RunOutput:
        return RunOutput(Exit(1, None, None, 9.0, 300, tasks), "student", None, None, None, "")

    limits = Limits(processes=512)
    bomb = verdict.from_run(ended(505), limits)
    assert bomb.kind == "resources" and "filled the limit of 512 processes" in bomb.message
    assert "exit status 1" in bomb.message and bomb.hint == verdict.hints.LIMIT_HINTS["processes"]
    assert verdict.from_run(ended(110), limits).kind == "crashed"  # TensorFlow's own threads
