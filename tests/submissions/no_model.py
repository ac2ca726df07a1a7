"""Runs fine but never builds a model."""
print("I will finish this tomorrow")
