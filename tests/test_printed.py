"""What a student reads of their output: their own lines first, the machine's log lines
set apart, and no path of the grading machine."""

import sys
from pathlib import Path

import grader
from grader.reporting import printed

PACKAGE = Path(grader.__file__).resolve().parent
SITE = next(p for p in sys.path if p.endswith("site-packages"))

RAW = f"""WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1795666932.860296    7689 cpu_feature_guard.cc:227] This TensorFlow binary is optimized
To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with
Fontconfig error: Cannot load default config file: No such file: (null)
{SITE}/keras/src/layers/convolutional/base_conv.py:113: UserWarning: Do not pass an `input_shape`
hello from the student
  File "{PACKAGE}/inside/execute.py", line 70, in run
\x1b[1m32/32\x1b[0m \x1b[32m━━━━\x1b[0m 1s 14ms/step
"""


def test_student_lines_first_and_log_lines_apart():
    mine, logs = printed.parts(printed.clean(RAW))
    assert mine.splitlines()[1] == "hello from the student"
    assert "absl" not in mine and "cpu_feature_guard" not in mine and "Fontconfig" not in mine
    assert len(logs.splitlines()) == 4 and "cpu_feature_guard" in logs
    assert "32/32 ━━━━ 1s 14ms/step" in mine  # colour codes gone, the text kept


def test_no_path_of_the_grading_machine():
    text = printed.clean(RAW)
    for private in (str(PACKAGE), SITE, sys.prefix):
        assert private not in text
    assert "keras.src.layers.convolutional.base_conv:113: UserWarning" in text
    assert 'File "grader.inside.execute", line 70' in text


def test_output_without_log_lines_has_no_marker():
    assert printed.clean("just me\n") == "just me"
    assert printed.parts("just me") == ("just me", "")
