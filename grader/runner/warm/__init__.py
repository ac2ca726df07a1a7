"""The warm path: one process per batch imports TensorFlow once and forks each stage,
which confines itself as strongly as bubblewrap would (README, "Warm stages")."""
