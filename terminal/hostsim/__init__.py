"""The acquirer host simulator: the host side of host-interface.md, for tests and the demo."""
