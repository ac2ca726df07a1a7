#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image (Ubuntu, as root).
set -euo pipefail
cd /autograder/source
apt-get update -qq
apt-get install -y -qq --no-install-recommends bubblewrap python3-pip python3-venv
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet ./grader
# CIFAR-10 into the Keras cache now, so grading needs no network.
/autograder/venv/bin/python -c "import keras; keras.datasets.cifar10.load_data()"
# Pretrained keras.applications weights the submissions may load (README, "Pretrained
# weights"), into the cache grading mounts read-only; uncomment for transfer learning.
# /autograder/venv/bin/grader weights add MobileNetV2 VGG16 ResNet50
# Calibrate the standard budget on this data and these versions (kept when the bundled
# calibration already matches), then remove the solutions: only the calibration is needed
# to grade, and nothing a submission could find should hold the answer.
for assignment in assignments/*/; do
    /autograder/venv/bin/grader calibrate --assignment "$assignment" --budget standard --seeds 5
done
find reference -type f \( -name '*.py' -o -name '*.ipynb' \) -delete
