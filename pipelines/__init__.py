"""Headless xQG steps: ingest, index, generate, augment, search, evaluate.

Each step reads its inputs from the store, does one thing, and writes its outputs and a run
record back. Nothing here imports the terminal app.
"""
