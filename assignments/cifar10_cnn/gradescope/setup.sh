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
