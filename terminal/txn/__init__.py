"""The transaction engine: lifecycle, reversal, store-and-forward, settlement."""
