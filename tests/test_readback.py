import json
import os
import pickle

import numpy as np

from grader.inside import protocol
from grader.runner.sandbox import Output
from grader.runner.stages import read_back

GOOD = protocol.new_outcome() | {
    "ok": True,
    "model_source": "x",
    "architecture": {},
    "history": {},
    "mode": protocol.TRAINED,
}


def _out(tmp_path, outcome, predictions=None):
    (tmp_path / protocol.OUTCOME).write_text(
        outcome if isinstance(outcome, str) else json.dumps(outcome)
    )
    if predictions is not None:
        np.save(tmp_path / protocol.PREDICTIONS, predictions)
    return tmp_path


def test_good_outcome_reads_back(tmp_path):
    out = _out(tmp_path, GOOD, np.zeros((5, 10), np.float32))
    outcome, preds, malformed = read_back(out, 5)
    assert malformed is None and preds.shape == (5, 10)


def test_nothing_left_is_not_malformed_but_empty(tmp_path):
    assert read_back(tmp_path, 5) == (None, None, None)


def test_malformed_outcomes_are_the_submissions_fault(tmp_path):
    for bad, reason in [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ({**GOOD, "errors": "x"}, "bad 'errors'"),
        ({**GOOD, "ok": "yes"}, "bad 'ok'"),
        ({**GOOD, "timings": {"train_s": "soon"}}, "bad 'timings'"),  # once crashed reports
        ({**GOOD, "timings": {"train_s": True}}, "bad 'timings'"),
    ]:
        _, _, malformed = read_back(_out(tmp_path, bad), 5)
        assert reason in malformed


def test_predictions_are_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    _out(tmp_path, GOOD)
    (tmp_path / protocol.PREDICTIONS).write_bytes(pickle.dumps(Evil()))
    _, preds, malformed = read_back(tmp_path, 5)
    assert preds is None and "cannot be read" in malformed
    np.save(tmp_path / protocol.PREDICTIONS, np.array([Evil()], dtype=object), allow_pickle=True)
    _, preds, malformed = read_back(tmp_path, 5)
    assert preds is None and "cannot be read" in malformed
    assert not marker.exists()


def test_predictions_of_the_wrong_shape(tmp_path):
    out = _out(tmp_path, GOOD, np.zeros((4, 10), np.float32))
    assert "shape (4, 10)" in read_back(out, 5)[2]
    out = _out(tmp_path, GOOD, np.zeros((5, 10), np.int64))
    assert "shape" in read_back(out, 5)[2]


def test_output_keeps_head_and_tail():
    kept = Output(keep=1000)
    kept.add(b"HEAD")
    for _ in range(100):
        kept.add(b"x" * 1000)
    kept.add(b"TAIL")
    text = kept.text()
    assert text.startswith("HEAD") and text.endswith("TAIL")
    assert "98008 bytes of output cut" in text
    assert len(text) < 2100


def test_short_output_is_kept_whole():
    kept = Output(keep=1000)
    kept.add(b"hello\n")
    assert kept.text() == "hello\n"


def test_only_the_stages_own_process_keeps_the_error_records(tmp_path):
    from grader.inside import heartbeat

    keep = heartbeat.keep_failed(tmp_path)
    pid = os.fork()
    if pid == 0:  # a fork of the student's code (a fork bomb's child) writes nothing
        keep([{"exception": "BlockingIOError", "message": "from a fork"}])
        os._exit(0)
    os.waitpid(pid, 0)
    assert not (tmp_path / protocol.FAILED_SO_FAR).exists()
    keep([{"exception": "BlockingIOError", "message": "from the stage"}])
    records = json.loads((tmp_path / protocol.FAILED_SO_FAR).read_text())
    assert records[0]["message"] == "from the stage"
