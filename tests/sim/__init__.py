"""The deterministic simulation of the whole terminal (docs/simulation.md)."""
