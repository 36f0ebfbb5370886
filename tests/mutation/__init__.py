"""In-process tests written to kill mutants of terminal/txn and terminal/store (docs/mutation.md)."""
