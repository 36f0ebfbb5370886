"""What the operator and the merchant read, per locale: amounts and currencies today (money.py)."""
